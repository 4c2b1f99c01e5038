use chrono::{TimeZone, Utc};

use super::*;
use crate::domain::ticket::{
    Channel, Disposition, Intake, PolicyDomain, RequestType, Ticket, Urgency,
};

fn ticket(assigned: Option<&str>, co_units: &[&str], confidential: bool) -> Ticket {
    let intake = Intake {
        channel: Channel::Phone,
        line: "12345".into(),
        request_type: RequestType::Complaint,
        policy_domain: PolicyDomain::PublicServices,
        category: "urban_rural_construction".into(),
        topic: String::new(),
        urgency: Urgency::General,
        title: "路灯不亮".into(),
        description: "中山路口三盏路灯坏了两周。".into(),
        region: "320102001".into(),
        address: String::new(),
        requester: Requester {
            name: "王小明".into(),
            phone: "13800138000".into(),
            id_number: "11010519491231002X".into(),
            confidential,
        },
    };
    let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    let mut ticket = Ticket::received(
        intake,
        Disposition::Dispatch {
            unit: None,
            co_units: vec![],
        },
        now,
    );
    ticket.id = 7;
    ticket.assigned_unit = assigned.map(String::from);
    ticket.co_units = co_units.iter().map(|u| u.to_string()).collect();
    ticket
}

fn unit(id: &str) -> Role {
    Role::Unit(id.into())
}

#[test]
fn roles_parse_and_print_back() {
    for text in ["agent", "unit:urban-management", "centre", "admin"] {
        assert_eq!(Role::parse(text).unwrap().to_string(), text);
    }
    assert_eq!(Role::parse("center").unwrap(), Role::Centre);
    for bad in ["", "root", "unit:", "unit: x", "Unit:x", "agents"] {
        let e = Role::parse(bad).unwrap_err();
        assert!(e.to_string().starts_with("role: "), "{bad}: {e}");
    }
}

#[test]
fn stored_parts_make_the_role_back() {
    assert_eq!(
        Role::from_parts("unit", Some("tax-12366")),
        Some(unit("tax-12366"))
    );
    assert_eq!(Role::from_parts("admin", None), Some(Role::Admin));
    assert_eq!(Role::from_parts("unit", None), None);
    assert_eq!(Role::from_parts("agent", Some("x")), None);
    assert_eq!(Role::from_parts("root", None), None);
}

#[test]
fn the_matrix_names_each_rpc_once() {
    let mut seen = std::collections::HashSet::new();
    for (service, method, kinds) in MATRIX {
        assert!(seen.insert((service, method)), "{service}/{method} twice");
        assert!(
            kinds.contains(&RoleKind::Admin),
            "admin may call {service}/{method}"
        );
    }
}

/// Every RPC of the API has its row: a service added without one would be open to any
/// token (the layer lets calls outside the matrix through, for health and reflection).
#[test]
fn the_matrix_covers_every_rpc_of_the_api() {
    let pool = prost_reflect::DescriptorPool::decode(crate::proto::FILE_DESCRIPTOR_SET)
        .expect("the API's descriptors");
    let mut missing = Vec::new();
    let mut rpcs = 0;
    for service in pool.services() {
        for method in service.methods() {
            rpcs += 1;
            let known = MATRIX
                .iter()
                .any(|(s, m, _)| *s == service.name() && *m == method.name());
            if !known {
                missing.push(format!("{}/{}", service.name(), method.name()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "RPCs without a row in MATRIX: {missing:?}"
    );
    assert_eq!(
        MATRIX.len(),
        rpcs,
        "a row for an RPC that is not in the API"
    );
}

#[test]
fn calls_are_decided_by_path() {
    let path = |s: &str, m: &str| format!("/hotline.v1.{s}/{m}");
    use CallDecision::*;
    let cases = [
        (Role::Agent, path("IntakeService", "CreateTicket"), Allowed),
        (Role::Agent, path("DispatchService", "Sign"), Denied),
        (
            Role::Agent,
            path("FeedbackService", "RecordCallback"),
            Allowed,
        ),
        (Role::Agent, path("ReportService", "GetRates"), Denied),
        (unit("u"), path("DispatchService", "PullAssigned"), Allowed),
        (unit("u"), path("IntakeService", "GetTicket"), Allowed),
        (unit("u"), path("IntakeService", "CreateTicket"), Denied),
        (unit("u"), path("CenterService", "Dispatch"), Denied),
        (unit("u"), path("ReportService", "ListOverdue"), Allowed),
        (Role::Centre, path("CenterService", "ReloadRules"), Allowed),
        (Role::Centre, path("IntakeService", "CreateTicket"), Denied),
        (
            Role::Centre,
            path("IntakeService", "SearchTickets"),
            Allowed,
        ),
        (Role::Centre, path("DiagnosticsService", "Echo"), Denied),
        (Role::Admin, path("DiagnosticsService", "Echo"), Allowed),
        (Role::Admin, path("IntakeService", "NoSuchMethod"), NotInApi),
        (Role::Agent, "/grpc.health.v1.Health/Check".into(), NotInApi),
        (
            Role::Agent,
            "/hotline.v1x.IntakeService/CreateTicket".into(),
            NotInApi,
        ),
        (Role::Agent, "garbage".into(), NotInApi),
    ];
    for (role, path, wanted) in cases {
        assert_eq!(may_call(&role, &path), wanted, "{role} {path}");
    }
}

#[test]
fn a_unit_sees_only_its_desk_and_cannot_tell_missing_from_foreign() {
    let lead = ticket(Some("lead"), &["helper"], false);
    assert!(ticket_scope(&unit("lead"), 7, Some(&lead)).is_ok());
    assert!(ticket_scope(&unit("helper"), 7, Some(&lead)).is_ok());
    let foreign = ticket_scope(&unit("other"), 7, Some(&lead)).unwrap_err();
    let missing = ticket_scope(&unit("other"), 7, None).unwrap_err();
    assert_eq!(foreign, missing);
    assert!(matches!(foreign, DomainError::NotPermitted(_)));
    // Other roles see every ticket; a missing one is theirs to report as NOT_FOUND.
    assert_eq!(ticket_scope(&Role::Agent, 7, None), Ok(None));
    assert!(
        ticket_scope(&Role::Centre, 7, Some(&lead))
            .unwrap()
            .is_some()
    );
}

#[test]
fn unit_filters_are_held_to_the_own_unit() {
    let u = unit("market-12315");
    assert_eq!(unit_scope(&u, "unit", ""), Ok(Some("market-12315".into())));
    assert_eq!(
        unit_scope(&u, "unit", "market-12315"),
        Ok(Some("market-12315".into()))
    );
    let e = unit_scope(&u, "unit", "tax-12366").unwrap_err();
    assert!(matches!(e, DomainError::NotPermitted(_)));
    assert!(e.to_string().starts_with("unit: "), "{e}");
    assert_eq!(unit_scope(&Role::Centre, "unit", ""), Ok(None));
    assert_eq!(unit_scope(&Role::Centre, "unit", "x"), Ok(Some("x".into())));
}

#[test]
fn a_unit_acts_only_for_itself() {
    let actor = |u: &str| Actor {
        unit: u.into(),
        person: "clerk".into(),
    };
    let u = unit("market-12315");
    assert_eq!(acting_as(&u, actor("")).unwrap().unit, "market-12315");
    assert_eq!(
        acting_as(&u, actor("market-12315")).unwrap().unit,
        "market-12315"
    );
    assert!(matches!(
        acting_as(&u, actor("centre")),
        Err(DomainError::NotPermitted(_))
    ));
    // Others name their unit; the life-cycle's authority rules judge it.
    assert_eq!(
        acting_as(&Role::Agent, actor("centre")).unwrap().unit,
        "centre"
    );
    assert_eq!(acting_as(&Role::Centre, actor("")).unwrap().unit, "");
}

#[test]
fn confidential_contacts_are_for_the_centre_and_the_handling_units() {
    let open = ticket(Some("lead"), &["helper"], false);
    let secret = ticket(Some("lead"), &["helper"], true);
    for role in [
        Role::Agent,
        unit("other"),
        unit("lead"),
        Role::Centre,
        Role::Admin,
    ] {
        assert!(sees_contact(&role, &open), "{role}");
    }
    assert!(!sees_contact(&Role::Agent, &secret));
    assert!(!sees_contact(&unit("other"), &secret));
    for role in [unit("lead"), unit("helper"), Role::Centre, Role::Admin] {
        assert!(sees_contact(&role, &secret), "{role}");
    }

    let r = masked(&secret.intake.requester);
    assert_eq!(
        (r.name.as_str(), r.phone.as_str(), r.id_number.as_str()),
        ("王**", "138******00", "110*************2X")
    );
    assert!(r.confidential);
}
