//! 1. Create and read back.

use super::fixtures::*;

/// Every field of a ticket and its creation events survives the round trip, including
/// sub-second instants (to the millisecond, the contract's precision), quotes, tabs,
/// newlines, full-width and four-byte characters.
pub async fn create_then_get_round_trips_every_field(store: Arc<dyn Store>) {
    let store = &*store;
    let now = t0() + Duration::milliseconds(123);
    let intake = Intake {
        channel: Channel::Wechat,
        line: "12366".into(),
        request_type: RequestType::Report,
        policy_domain: PolicyDomain::EnvironmentalProtection,
        category: "environmental_protection".into(),
        topic: "noise_pollution".into(),
        urgency: Urgency::Complex,
        title: "夜间施工噪音 \"扰民\" — O'Brien 路".into(),
        description: "第一行\n第二行\t制表符；全角ＡＢＣ１２３；繁體字；emoji 🚧；100% _x_ \\ 'q'"
            .into(),
        region: REGION_STREET.into(),
        address: "南京市玄武区中山东路18号（国贸大厦）".into(),
        requester: Requester {
            name: "张三".into(),
            phone: "+8613800138000".into(),
            id_number: "11010519491231002X".into(),
            confidential: true,
        },
    };
    let disposition = Disposition::Dispatch {
        unit: Some(STREET.into()),
        co_units: vec![MARKET.into(), DISTRICT.into()],
    };
    let opened = open(TAX, intake, disposition, None, now);
    assert_eq!(opened.events.len(), 2, "create + dispatch");
    let created = store
        .create_ticket(NewTicket {
            ticket: &opened.ticket,
            events: &opened.events,
            request_id: "console-round-trip",
            fingerprint: "sha256:0123456789abcdef",
        })
        .await
        .expect("create_ticket");
    assert!(created.created, "first use of a request id creates");
    assert!(created.ticket.id > 0, "assigned id must be positive");
    let (expected, expected_events) = as_stored(&opened, created.ticket.id);
    assert_eq!(
        created.ticket, expected,
        "create_ticket returns the ticket as given"
    );
    assert_eq!(
        get(store, expected.id).await,
        expected,
        "get_ticket round-trips"
    );
    assert_eq!(
        history(store, expected.id).await,
        expected_events,
        "history: the creation events, oldest first, with ticket_id filled in"
    );

    // A second ticket gets its own id and does not disturb the first.
    let other = create(
        store,
        self::intake(REGION_QINHUAI, "urban_rural_construction", Urgency::General),
        queue(),
        None,
        now + mins(1),
    )
    .await;
    assert_ne!(other.id, expected.id, "ids are unique");
    assert_eq!(get(store, expected.id).await, expected);
    assert_eq!(get(store, other.id).await, other);
    assert_eq!(
        history(store, other.id).await.len(),
        1,
        "queued: create only"
    );
}

/// Each intake outcome (and the ticket state it leads to) is stored faithfully.
pub async fn every_disposition_round_trips(store: Arc<dyn Store>) {
    let store = &*store;
    let base = intake(REGION_STREET, "government_services", Urgency::General);
    let queued = create(store, base.clone(), queue(), None, t0()).await;
    assert_eq!(queued.state, State::Received);
    let outcomes = vec![
        Disposition::AnswerDirectly {
            answer: "可在政务服务网办理".into(),
        },
        Disposition::EmergencyTransfer {
            line: EmergencyLine::Police110,
        },
        Disposition::UtilityTransfer {
            utility: Utility::Power,
        },
        Disposition::LegalChannel {
            channel: LegalChannel::Arbitration,
            advice: "请向劳动人事争议仲裁委员会申请仲裁".into(),
        },
        Disposition::Explain {
            reason: ExplainReason::Privacy,
            explanation: "涉及他人个人信息".into(),
        },
        Disposition::ReferPolice {
            reason: "恶意骚扰热线".into(),
        },
        Disposition::Merge { parent: queued.id },
    ];
    for (i, disposition) in outcomes.into_iter().enumerate() {
        let code = disposition.code();
        let now = t0() + mins(i as i64 + 1);
        let opened = open(CENTRE, base.clone(), disposition, Some(queued.state), now);
        let request_id = next_request_id();
        let created = store
            .create_ticket(NewTicket {
                ticket: &opened.ticket,
                events: &opened.events,
                request_id: &request_id,
                fingerprint: "fp",
            })
            .await
            .unwrap_or_else(|e| panic!("create_ticket({code}): {e}"));
        let (expected, events) = as_stored(&opened, created.ticket.id);
        assert_eq!(created.ticket, expected, "{code}: create_ticket");
        assert_eq!(
            get(store, expected.id).await,
            expected,
            "{code}: get_ticket"
        );
        assert_eq!(history(store, expected.id).await, events, "{code}: history");
    }
    assert_eq!(get(store, queued.id).await, queued, "the queued ticket");
}

/// Walks one ticket through returns, supervision, extension, escalation, rework,
/// a reopening callback, closing and archiving; after every step the store returns
/// exactly the domain's ticket, and the history is every event in order.
pub async fn transitions_round_trip_every_field(store: Arc<dyn Store>) {
    let store = &*store;
    let opened = open(
        CENTRE,
        intake(REGION_STREET, "urban_management", Urgency::General),
        Disposition::Dispatch {
            unit: Some(STREET.into()),
            co_units: vec![MARKET.into()],
        },
        None,
        t0(),
    );
    let created = store
        .create_ticket(NewTicket {
            ticket: &opened.ticket,
            events: &opened.events,
            request_id: &next_request_id(),
            fingerprint: "fp",
        })
        .await
        .expect("create_ticket");
    let (mut ticket, mut events) = as_stored(&opened, created.ticket.id);

    let script: Vec<(&str, Command, Timestamp)> = vec![
        (
            STREET,
            Command::RequestReturn {
                reason: "不属于本街道职责".into(),
            },
            t0() + mins(10),
        ),
        (
            CENTRE,
            Command::ReviewReturn {
                approve: false,
                reassign_to: None,
                co_units: Vec::new(),
                reason: "属地管理，请街道办理".into(),
            },
            t0() + mins(20),
        ),
        (
            CENTRE,
            Command::Supervise {
                on: true,
                note: "多次来电，督办".into(),
            },
            t0() + mins(25),
        ),
        (STREET, Command::Sign, t0() + mins(30)),
        (STREET, respond_cmd(), t0() + hours(1)),
        (STREET, handle_cmd(), t0() + hours(2)),
        (
            STREET,
            Command::RequestExtension {
                hours: 48,
                working_days: 0,
                reason: "需协调多部门".into(),
            },
            t0() + hours(3),
        ),
        (
            CENTRE,
            Command::ReviewExtension {
                approve: true,
                reason: String::new(),
            },
            t0() + hours(4),
        ),
        (
            STREET,
            Command::Escalate {
                reason: "需区级协调".into(),
            },
            t0() + hours(5),
        ),
        (DISTRICT, Command::Sign, t0() + hours(6)),
        (DISTRICT, respond_cmd(), t0() + hours(7)),
        (DISTRICT, reply_cmd(), t0() + days(1)),
        (CENTRE, review_reply(false), t0() + days(1) + hours(1)),
        (
            DISTRICT,
            Command::AddNote {
                note: "已约谈商户".into(),
            },
            t0() + days(1) + hours(2),
        ),
        (DISTRICT, reply_cmd(), t0() + days(2)),
        (CENTRE, review_reply(true), t0() + days(2) + hours(1)),
        (
            CENTRE,
            Command::RecordCallback {
                resolved: false,
                satisfaction: Satisfaction::Dissatisfied,
                reopen: true,
                note: "市民表示仍有占道".into(),
            },
            t0() + days(3),
        ),
        (DISTRICT, reply_cmd(), t0() + days(4)),
        (CENTRE, review_reply(true), t0() + days(4) + hours(1)),
        (
            CENTRE,
            callback_cmd(true, Satisfaction::BasicallySatisfied),
            t0() + days(5),
        ),
        (CENTRE, Command::Archive, t0() + days(30)),
    ];
    for (by, command, now) in script {
        let name = command.name();
        let transition = decide(&ticket, by, command, now);
        store
            .save_transition(&ticket, &transition)
            .await
            .unwrap_or_else(|e| panic!("save_transition({name}): {e}"));
        assert_eq!(
            get(store, ticket.id).await,
            transition.ticket,
            "get_ticket after {name}"
        );
        events.push(transition.event);
        ticket = transition.ticket;
    }
    // The walk really did set the fields a shallow test would miss.
    assert_eq!(ticket.state, State::Archived);
    assert_eq!(ticket.assigned_unit.as_deref(), Some(DISTRICT));
    assert_eq!(
        (
            ticket.return_count,
            ticket.rework_count,
            ticket.escalation_level
        ),
        (1, 2, 1)
    );
    assert!(ticket.supervised && ticket.callback.is_some() && ticket.closed_at.is_some());
    assert_eq!(
        history(store, ticket.id).await,
        events,
        "history: every event, oldest first"
    );
    let versions: Vec<i64> = events.iter().map(|e| e.version).collect();
    assert_eq!(versions, (1..=events.len() as i64).collect::<Vec<_>>());
}
