//! Arbitrary text as `config/deadlines.toml`, with the shipped units' regions: refused
//! with an error or loaded; a policy that loads takes a ticket of every tier through
//! dispatch, signing, an extension request and its warnings without a panic.

use super::{SAMPLE_REGIONS, shipped_rules};
use crate::domain::lifecycle::{Command, Context, apply};
use crate::domain::{
    Actor, Channel, Disposition, Intake, Policy, PolicyDomain, RequestType, Ticket, Urgency,
    deadline_file, warning,
};
use chrono::{DateTime, Duration, Utc};

const UNIT: &str = "urban-management";

/// The `deadlines_file` fuzz target's check of one input.
pub fn deadlines_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let rules = shipped_rules();
    let known = |code: &str| rules.units.is_known_region(code);
    let deadlines = match deadline_file::parse("fuzz/deadlines.toml", text, &known) {
        Ok(deadlines) => deadlines,
        Err(error) => {
            assert!(error.to_string().starts_with("fuzz/deadlines.toml"));
            return;
        }
    };
    let policy = Policy {
        deadlines,
        callbacks: rules.policy.callbacks,
    };
    let urgencies = [
        Urgency::Urgent,
        Urgency::Utility,
        Urgency::General,
        Urgency::Complex,
    ];
    // A Friday evening before a holiday, and the far edge of the plausible years.
    let instants = [1_790_000_000, 4_100_000_000].map(|s| DateTime::from_timestamp(s, 0).unwrap());
    for (i, urgency) in urgencies.into_iter().enumerate() {
        let region = SAMPLE_REGIONS[i % SAMPLE_REGIONS.len()];
        for now in instants {
            walk(&policy, urgency, region, now);
        }
    }
}

/// Dispatch, sign and ask for the longest extension; then look for warnings a year on.
fn walk(policy: &Policy, urgency: Urgency, region: &str, now: DateTime<Utc>) {
    let units = &shipped_rules().units;
    let centre = Actor {
        unit: "centre".into(),
        person: "fuzz".into(),
    };
    let clerk = Actor {
        unit: UNIT.into(),
        person: "fuzz".into(),
    };
    let step = |ticket: &Ticket, actor: &Actor, command: Command, at: DateTime<Utc>| {
        let ctx = Context {
            actor,
            principal: "token:fuzz",
            units,
            policy,
            now: at,
        };
        apply(ticket, command, &ctx).map(|t| t.ticket)
    };
    let queued = Ticket::received(
        intake(urgency, region),
        Disposition::Dispatch {
            unit: None,
            co_units: vec![],
        },
        now,
    );
    let dispatch = Command::Dispatch {
        unit: UNIT.into(),
        co_units: Vec::new(),
        reason: String::new(),
    };
    let dispatched = step(&queued, &centre, dispatch, now).expect("a queued ticket dispatches");
    let signed = step(
        &dispatched,
        &clerk,
        Command::Sign,
        now + Duration::minutes(5),
    )
    .expect("the unit signs");
    let extension = Command::RequestExtension {
        hours: 0,
        working_days: 10,
        reason: "需要协调多个部门".into(),
    };
    // Refused when longer than the file's max_extension: that is the file's choice.
    let _ = step(&signed, &clerk, extension, now + Duration::hours(1));
    let thresholds = policy.deadlines.thresholds();
    let _ = warning::alerts_reached(&signed, thresholds, now + Duration::days(400));
    let _ = warning::next_alert_after(&signed, thresholds, now);
}

fn intake(urgency: Urgency, region: &str) -> Intake {
    Intake {
        channel: Channel::Phone,
        line: "12345".into(),
        request_type: RequestType::Complaint,
        policy_domain: PolicyDomain::PublicServices,
        category: "urban_rural_construction".into(),
        topic: String::new(),
        urgency,
        title: String::new(),
        description: "路灯坏了".into(),
        region: region.into(),
        address: String::new(),
        requester: Default::default(),
    }
}
