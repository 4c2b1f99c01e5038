//! Unit tests of the life-cycle state machine ([`apply`]) and of intake ([`intake::open`]).
//!
//! The transition table below is written out by hand from domain.md §3-4 and the diagram
//! at the top of lifecycle.rs; no expectation is computed from the code under test.
//! Fixtures: a small unit catalogue, tickets built directly in each state (not by walking
//! the machine), fixed instants.

use std::fmt::Debug;
use std::sync::LazyLock;

use chrono::{Duration, TimeZone, Utc};
use serde_json::json;
use strum::IntoEnumIterator;

use super::*;
use crate::domain::calendar::{Calendar, china_standard_time};
use crate::domain::deadline::{DEFAULT_MAX_EXTENSION, DeadlineKind, DeadlinePolicy, default_tiers};
use crate::domain::intake::{self, Opened};
use crate::domain::policy::{CallbackPolicy, Policy, Reopen};
use crate::domain::warning::Thresholds;
use State::*;

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

const CENTRE: &str = "centre";
const SUB_CENTRE: &str = "tax-12366";
const DEPARTMENT: &str = "market";
/// A department whose parent is the centre: escalation must not assign it to the centre.
const DEPARTMENT_UNDER_CENTRE: &str = "housing";
const DISTRICT: &str = "district-a";
const STREET: &str = "street-a1";
const STREET2: &str = "street-a2";

const TICKET_ID: TicketId = 42;
const PARENT_ID: TicketId = 7;
const VERSION: i64 = 5;
const REASON: &str = "诉求涉及本单位职责，已核实";

const UNITS_TOML: &str = r#"
[city]
name = "Test City"
region = "320100"

[[unit]]
id = "centre"
name = "12345 centre"
kind = "centre"
hotline = "12345"

[[unit]]
id = "tax-12366"
name = "12366 tax sub-centre"
kind = "sub_centre"
hotline = "12366"

[[unit]]
id = "market"
name = "Market Regulation Bureau"
kind = "department"
hotline = "12315"

[[unit]]
id = "housing"
name = "Housing Bureau"
kind = "department"
parent = "centre"

[[unit]]
id = "district-a"
name = "District A"
kind = "district"
region = "320102"

[[unit]]
id = "street-a1"
name = "Street A1"
kind = "street"
parent = "district-a"
region = "320102001"

[[unit]]
id = "street-a2"
name = "Street A2"
kind = "street"
parent = "district-a"
region = "320102002"
"#;

static UNITS: LazyLock<UnitCatalog> = LazyLock::new(|| {
    UnitCatalog::from_toml("test-units.toml", UNITS_TOML).expect("test catalogue parses")
});

fn at(day: u32, hour: u32, minute: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, day, hour, minute, 0).unwrap()
}

fn created_at() -> Timestamp {
    at(2, 9, 0)
}

fn dispatched_at() -> Timestamp {
    at(2, 9, 5)
}

/// When the commands under test are applied: after every milestone of the fixtures.
fn now() -> Timestamp {
    at(3, 14, 30)
}

/// General tier (domain.md §5): sign and respond within a working day, reply in 7 days,
/// return within 2 working days. The fixtures' instants fall on Monday to Wednesday
/// evenings in Beijing, so one working day is 24 hours there and two are 48.
fn general_due(from: Timestamp) -> Deadlines {
    Deadlines {
        sign: Some(from + Duration::hours(24)),
        respond: Some(from + Duration::hours(24)),
        reply: Some(from + Duration::days(7)),
        return_by: Some(from + Duration::hours(48)),
        started_at: Some(from),
    }
}

fn ids(units: &[&str]) -> Vec<UnitId> {
    units.iter().map(|u| u.to_string()).collect()
}

fn actor(unit: &str) -> Actor {
    Actor {
        unit: unit.to_string(),
        person: format!("{unit}-staff-01"),
    }
}

fn intake_form() -> Intake {
    Intake {
        channel: Channel::Phone,
        line: "12345".into(),
        request_type: RequestType::Complaint,
        policy_domain: PolicyDomain::EnvironmentalProtection,
        category: "environmental_protection".into(),
        topic: "noise_pollution".into(),
        urgency: Urgency::General,
        title: "夜间施工噪声".into(),
        description: "小区旁工地每晚十一点后仍在施工，影响休息。".into(),
        region: "320102001".into(),
        address: "幸福路 8 号".into(),
        requester: Requester {
            name: "张三".into(),
            phone: "13800138000".into(),
            id_number: "11010519491231002X".into(),
            confidential: false,
        },
    }
}

fn pending(hours: u32) -> ExtensionRequest {
    ExtensionRequest {
        hours,
        working_days: 0,
        reason: "需要现场勘验".into(),
        requested_at: at(2, 16, 0),
    }
}

/// A plausible ticket in `state`, built directly. Tickets that went through dispatch are
/// held by STREET with STREET2 as co-handling unit; a return was requested from Signed.
fn ticket_in(state: State) -> Ticket {
    let mut t = Ticket::received(
        intake_form(),
        Disposition::Dispatch {
            unit: None,
            co_units: vec![],
        },
        created_at(),
    );
    t.id = TICKET_ID;
    t.version = VERSION;
    t.state = state;
    match state {
        Received => {}
        Transferred => {
            t.disposition = Disposition::EmergencyTransfer {
                line: EmergencyLine::Police110,
            };
            t.closed_at = Some(dispatched_at());
        }
        Refused => {
            t.disposition = Disposition::LegalChannel {
                channel: LegalChannel::Litigation,
                advice: "请向人民法院起诉".into(),
            };
            t.closed_at = Some(dispatched_at());
        }
        Merged => {
            t.disposition = Disposition::Merge { parent: PARENT_ID };
            t.merged_into = Some(PARENT_ID);
        }
        _ => {
            t.disposition = Disposition::Dispatch {
                unit: Some(STREET.into()),
                co_units: ids(&[STREET2]),
            };
            t.assigned_unit = Some(STREET.into());
            t.co_units = ids(&[STREET2]);
            t.dispatched_at = Some(dispatched_at());
            t.due = general_due(dispatched_at());
        }
    }
    let after_reply = matches!(state, Replied | AwaitingCallback | Closed | Archived);
    let after_response = after_reply || matches!(state, Responded | InProgress);
    if after_response || matches!(state, Signed | ReturnRequested) {
        t.signed_at = Some(at(2, 10, 0));
    }
    if after_response {
        t.responded_at = Some(at(2, 11, 0));
    }
    if after_reply {
        t.replied_at = Some(at(3, 10, 0));
        t.reply = "已协调工地停止夜间施工".into();
    }
    if state == ReturnRequested {
        t.prior_state = Some(Signed);
        t.return_count = 1;
    }
    if matches!(state, Closed | Archived) {
        t.callback = Some(CallbackResult {
            resolved: true,
            satisfaction: Satisfaction::Satisfied,
            note: String::new(),
            at: at(3, 12, 0),
        });
        t.closed_at = Some(at(3, 12, 0));
    }
    // As every transition leaves it (the watch itself is tested in warning.rs).
    t.watch = warning::watch(&t, Thresholds::default());
    t
}

fn run_at(
    ticket: &Ticket,
    command: Command,
    unit: &str,
    now: Timestamp,
) -> Result<Transition, DomainError> {
    run_under(&Policy::default(), ticket, command, unit, now)
}

fn run_under(
    policy: &Policy,
    ticket: &Ticket,
    command: Command,
    unit: &str,
    now: Timestamp,
) -> Result<Transition, DomainError> {
    let actor = actor(unit);
    let ctx = Context {
        actor: &actor,
        principal: "token:test",
        units: &UNITS,
        policy,
        now,
    };
    apply(ticket, command, &ctx)
}

fn run(ticket: &Ticket, command: Command, unit: &str) -> Result<Transition, DomainError> {
    run_at(ticket, command, unit, now())
}

#[track_caller]
fn ok(ticket: &Ticket, command: Command, unit: &str) -> Transition {
    let name = command.name();
    run(ticket, command, unit)
        .unwrap_or_else(|e| panic!("{name} by {unit} in {}: {e}", ticket.state))
}

#[track_caller]
fn assert_invalid<T: Debug>(result: Result<T, DomainError>, field: &str) {
    match result {
        Err(DomainError::Invalid { field: f, .. }) if f == field => {}
        other => panic!("expected Invalid naming `{field}`, got {other:?}"),
    }
}

#[track_caller]
fn assert_illegal<T: Debug>(result: Result<T, DomainError>, command: &str, state: State) {
    match result {
        Err(DomainError::IllegalTransition {
            command: c,
            state: s,
            ..
        }) if c == command && s == state => {}
        other => panic!("expected IllegalTransition({command} in {state}), got {other:?}"),
    }
}

#[track_caller]
fn assert_not_permitted<T: Debug>(result: Result<T, DomainError>) {
    match result {
        Err(DomainError::NotPermitted(_)) => {}
        other => panic!("expected NotPermitted, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Commands: one valid sample of each, and who may issue it
// ---------------------------------------------------------------------------------------

const COMMANDS: [&str; 21] = [
    "dispatch",
    "answer_directly",
    "transfer",
    "refuse",
    "merge",
    "sign",
    "respond",
    "handle",
    "return",
    "review_return",
    "request_extension",
    "review_extension",
    "escalate",
    "reply",
    "review_reply",
    "record_callback",
    "supervise",
    "chase_up",
    "add_note",
    "archive",
    "exclude_from_rates",
];

/// Commands whose sample carries no reason, so their event's reason stays empty.
const WITHOUT_REASON: [&str; 5] = ["answer_directly", "refuse", "sign", "reply", "archive"];

fn dispatch(unit: &str, co_units: &[&str], reason: &str) -> Command {
    Command::Dispatch {
        unit: unit.into(),
        co_units: ids(co_units),
        reason: reason.into(),
    }
}

fn review_return(approve: bool, reassign_to: Option<&str>, co_units: &[&str]) -> Command {
    Command::ReviewReturn {
        approve,
        reassign_to: reassign_to.map(Into::into),
        co_units: ids(co_units),
        reason: REASON.into(),
    }
}

fn request_extension(hours: u32) -> Command {
    Command::RequestExtension {
        hours,
        working_days: 0,
        reason: REASON.into(),
    }
}

fn request_extension_days(working_days: u32) -> Command {
    Command::RequestExtension {
        hours: 0,
        working_days,
        reason: REASON.into(),
    }
}

fn review_extension(approve: bool, reason: &str) -> Command {
    Command::ReviewExtension {
        approve,
        reason: reason.into(),
    }
}

fn review_reply(approve: bool, reason: &str) -> Command {
    Command::ReviewReply {
        approve,
        reason: reason.into(),
    }
}

fn callback(resolved: bool, satisfaction: Satisfaction, reopen: bool) -> Command {
    Command::RecordCallback {
        resolved,
        satisfaction,
        reopen,
        note: REASON.into(),
    }
}

fn merge(parent: TicketId, parent_state: State) -> Command {
    Command::MergeInto {
        parent,
        parent_state,
        reason: REASON.into(),
    }
}

fn escalate() -> Command {
    Command::Escalate {
        reason: REASON.into(),
    }
}

/// A valid command of each kind, with every text filled in.
fn sample(name: &str) -> Command {
    let reason = || REASON.to_string();
    match name {
        "dispatch" => dispatch(DEPARTMENT, &[], REASON),
        "answer_directly" => Command::AnswerDirectly {
            answer: "办理时间为工作日 9:00-17:00".into(),
        },
        "transfer" => Command::Transfer {
            to: Disposition::EmergencyTransfer {
                line: EmergencyLine::Police110,
            },
            reason: reason(),
        },
        "refuse" => Command::Refuse {
            outcome: Disposition::LegalChannel {
                channel: LegalChannel::Litigation,
                advice: "请向人民法院起诉".into(),
            },
        },
        "merge" => merge(PARENT_ID, InProgress),
        "sign" => Command::Sign,
        "respond" => Command::Respond { note: reason() },
        "handle" => Command::Handle { note: reason() },
        "return" => Command::RequestReturn { reason: reason() },
        "review_return" => review_return(true, Some(DEPARTMENT), &[]),
        "request_extension" => request_extension(48),
        "review_extension" => review_extension(true, REASON),
        "escalate" => escalate(),
        "reply" => Command::Reply {
            reply: "已协调工地停止夜间施工".into(),
        },
        "review_reply" => review_reply(true, REASON),
        "record_callback" => callback(true, Satisfaction::Satisfied, false),
        "supervise" => Command::Supervise {
            on: true,
            note: reason(),
        },
        "chase_up" => Command::ChaseUp { note: reason() },
        "add_note" => Command::AddNote { note: reason() },
        "archive" => Command::Archive,
        "exclude_from_rates" => Command::ExcludeFromRates {
            reason: ExclusionReason::Unreasonable,
            note: reason(),
        },
        other => panic!("no sample for command `{other}`"),
    }
}

/// Who may issue a command on a ticket held by STREET (domain.md §3-4 and §8): the unit
/// works its own ticket; the centre dispatches, reviews, supervises and archives; intake
/// and callbacks are desk work. Exhaustive on purpose: a new command must be placed here.
fn authorised_unit(command: &Command) -> &'static str {
    match command {
        Command::Sign
        | Command::Respond { .. }
        | Command::Handle { .. }
        | Command::RequestReturn { .. }
        | Command::RequestExtension { .. }
        | Command::Escalate { .. }
        | Command::Reply { .. } => STREET,
        Command::Dispatch { .. }
        | Command::AnswerDirectly { .. }
        | Command::Transfer { .. }
        | Command::Refuse { .. }
        | Command::MergeInto { .. }
        | Command::ReviewReturn { .. }
        | Command::ReviewExtension { .. }
        | Command::ReviewReply { .. }
        | Command::RecordCallback { .. }
        | Command::Supervise { .. }
        | Command::ChaseUp { .. }
        | Command::AddNote { .. }
        | Command::Archive
        | Command::ExcludeFromRates { .. } => CENTRE,
    }
}

/// A ticket in `state` on which the authorised actor of `command` passes the authority
/// check, so that only the state rule is under test.
fn ticket_for(state: State, command: &Command) -> Ticket {
    let mut t = ticket_in(state);
    if authorised_unit(command) == STREET && t.assigned_unit.is_none() {
        // Queued and transferred tickets hold no unit; give them one so that STREET is
        // the assigned unit and the refusal, if any, comes from the state.
        t.assigned_unit = Some(STREET.into());
    }
    if matches!(command, Command::ReviewExtension { .. }) {
        t.pending_extension = Some(pending(48));
    }
    if matches!(command, Command::ChaseUp { .. }) {
        // Chase-ups need a supervised (or overdue) ticket.
        t.supervised = true;
    }
    t
}

// ---------------------------------------------------------------------------------------
// The transition table
// ---------------------------------------------------------------------------------------

/// Every legal (command, from, to) for the samples above. Anything else is illegal.
const LEGAL: &[(&str, State, State)] = &[
    // 派单 from the queue, and 改派 by the centre while a unit works the ticket.
    ("dispatch", Received, Dispatched),
    ("dispatch", Dispatched, Dispatched),
    ("dispatch", Signed, Dispatched),
    ("dispatch", Responded, Dispatched),
    ("dispatch", InProgress, Dispatched),
    // Intake outcomes that end the loop at once.
    ("answer_directly", Received, Closed),
    ("refuse", Received, Refused),
    // A ticket still open may turn out to be an emergency or a duplicate.
    ("transfer", Received, Transferred),
    ("transfer", Dispatched, Transferred),
    ("transfer", Signed, Transferred),
    ("transfer", Responded, Transferred),
    ("transfer", InProgress, Transferred),
    ("merge", Received, Merged),
    ("merge", Dispatched, Merged),
    ("merge", Signed, Merged),
    ("merge", Responded, Merged),
    ("merge", InProgress, Merged),
    // The main line: 签收 → 响应 → 办理 → 反馈.
    ("sign", Dispatched, Signed),
    ("respond", Signed, Responded),
    ("handle", Responded, InProgress),
    ("handle", InProgress, InProgress),
    ("reply", Responded, Replied),
    ("reply", InProgress, Replied),
    // 退单 before work starts, reviewed by the centre (sample: approve and reassign).
    ("return", Dispatched, ReturnRequested),
    ("return", Signed, ReturnRequested),
    ("review_return", ReturnRequested, Dispatched),
    // 延期 while the unit works the ticket; the review also while a return is pending.
    ("request_extension", Signed, Signed),
    ("request_extension", Responded, Responded),
    ("request_extension", InProgress, InProgress),
    ("review_extension", Signed, Signed),
    ("review_extension", Responded, Responded),
    ("review_extension", InProgress, InProgress),
    ("review_extension", ReturnRequested, ReturnRequested),
    // 提级 from a street to its district.
    ("escalate", Dispatched, Dispatched),
    ("escalate", Signed, Dispatched),
    ("escalate", Responded, Dispatched),
    ("escalate", InProgress, Dispatched),
    // 审核 (sample: accept) and 回访 (sample: satisfied, closes).
    ("review_reply", Replied, AwaitingCallback),
    ("record_callback", AwaitingCallback, Closed),
    // 督办 on any ticket whose loop is not over.
    ("supervise", Received, Received),
    ("supervise", Dispatched, Dispatched),
    ("supervise", Signed, Signed),
    ("supervise", Responded, Responded),
    ("supervise", InProgress, InProgress),
    ("supervise", ReturnRequested, ReturnRequested),
    ("supervise", Replied, Replied),
    ("supervise", AwaitingCallback, AwaitingCallback),
    // 催办 presses the unit holding the ticket.
    ("chase_up", Dispatched, Dispatched),
    ("chase_up", Signed, Signed),
    ("chase_up", Responded, Responded),
    ("chase_up", InProgress, InProgress),
    // Notes until the ticket is archived.
    ("add_note", Received, Received),
    ("add_note", Dispatched, Dispatched),
    ("add_note", Signed, Signed),
    ("add_note", Responded, Responded),
    ("add_note", InProgress, InProgress),
    ("add_note", ReturnRequested, ReturnRequested),
    ("add_note", Replied, Replied),
    ("add_note", AwaitingCallback, AwaitingCallback),
    ("add_note", Closed, Closed),
    ("add_note", Transferred, Transferred),
    ("add_note", Refused, Refused),
    ("add_note", Merged, Merged),
    // 归档 of finished tickets.
    ("archive", Closed, Archived),
    ("archive", Transferred, Archived),
    ("archive", Refused, Archived),
    ("archive", Merged, Archived),
    // 甄别: out of the assessment in any state, unless already out of the rates.
    ("exclude_from_rates", Received, Received),
    ("exclude_from_rates", Dispatched, Dispatched),
    ("exclude_from_rates", Signed, Signed),
    ("exclude_from_rates", Responded, Responded),
    ("exclude_from_rates", InProgress, InProgress),
    ("exclude_from_rates", ReturnRequested, ReturnRequested),
    ("exclude_from_rates", Replied, Replied),
    ("exclude_from_rates", AwaitingCallback, AwaitingCallback),
    ("exclude_from_rates", Closed, Closed),
    ("exclude_from_rates", Archived, Archived),
    ("exclude_from_rates", Refused, Refused),
];

fn expected_next(command: &str, from: State) -> Option<State> {
    LEGAL
        .iter()
        .find(|(c, f, _)| *c == command && *f == from)
        .map(|(_, _, to)| *to)
}

/// The first state in which `command` is legal, for tests that need any legal state.
fn legal_state(command: &str) -> State {
    LEGAL
        .iter()
        .find(|(c, _, _)| *c == command)
        .map(|(_, from, _)| *from)
        .unwrap_or_else(|| panic!("`{command}` is never legal"))
}

#[test]
fn the_table_and_samples_are_consistent() {
    for name in COMMANDS {
        assert_eq!(sample(name).name(), name);
    }
    for (i, (name, from, _)) in LEGAL.iter().enumerate() {
        assert!(COMMANDS.contains(name), "unknown command `{name}` in LEGAL");
        assert!(
            !LEGAL[..i].iter().any(|(c, f, _)| c == name && f == from),
            "({name}, {from}) is listed twice"
        );
    }
    assert_eq!(State::iter().count(), 13, "a new state needs rows in LEGAL");
}

#[test]
fn every_state_and_command_follows_the_transition_table() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for state in State::iter() {
        for name in COMMANDS {
            let command = sample(name);
            let unit = authorised_unit(&command);
            let ticket = ticket_for(state, &command);
            checked += 1;
            match (run(&ticket, command, unit), expected_next(name, state)) {
                (Ok(step), Some(to)) if step.ticket.state == to => {}
                (
                    Err(DomainError::IllegalTransition {
                        command: c,
                        state: s,
                        ..
                    }),
                    None,
                ) if c == name && s == state => {}
                (got, want) => failures.push(format!(
                    "{name} by {unit} in {state}: expected {}, got {:?}",
                    want.map_or("IllegalTransition".to_string(), |to| format!("Ok({to})")),
                    got.map(|step| step.ticket.state),
                )),
            }
        }
    }
    assert_eq!(checked, 13 * COMMANDS.len());
    assert!(
        failures.is_empty(),
        "{} cells differ from the table:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn an_illegal_transition_names_the_command_and_the_state() {
    let err = run(&ticket_in(Closed), Command::Sign, STREET).unwrap_err();
    assert_eq!(err.to_string(), "cannot sign ticket in state closed");

    let err = run(&ticket_in(Replied), escalate(), STREET).unwrap_err();
    assert_eq!(err.to_string(), "cannot escalate ticket in state replied");
}

#[test]
fn every_legal_transition_bumps_the_version_and_records_one_event() {
    for &(name, from, to) in LEGAL {
        let command = sample(name);
        let unit = authorised_unit(&command);
        let ticket = ticket_for(from, &command);
        let step = ok(&ticket, command, unit);
        let context = format!("{name} in {from}");
        assert_eq!(step.ticket.version, VERSION + 1, "{context}");
        assert_eq!(step.ticket.updated_at, now(), "{context}");
        assert_eq!(step.ticket.id, TICKET_ID, "{context}");

        let event = &step.event;
        assert_eq!(event.ticket_id, TICKET_ID, "{context}");
        assert_eq!(event.version, VERSION + 1, "{context}");
        assert_eq!(event.command, name, "{context}");
        assert_eq!(event.from_state, Some(from), "{context}");
        assert_eq!(event.to_state, to, "{context}");
        assert_eq!(event.actor, actor(unit), "{context}");
        assert_eq!(event.at, now(), "{context}");
        let reason = if WITHOUT_REASON.contains(&name) {
            ""
        } else {
            REASON
        };
        assert_eq!(event.reason, reason, "{context}");
        assert!(event.details.is_object(), "{context}: {}", event.details);
    }
}

#[test]
fn apply_is_pure() {
    let ticket = ticket_in(InProgress);
    let first = ok(&ticket, escalate(), STREET);
    let second = ok(&ticket, escalate(), STREET);
    assert_eq!(first, second);
    assert_eq!(
        ticket,
        ticket_in(InProgress),
        "the input ticket is untouched"
    );
}

// ---------------------------------------------------------------------------------------
// Effects of each command
// ---------------------------------------------------------------------------------------

#[test]
fn dispatch_from_the_queue_assigns_the_unit_with_fresh_deadlines() {
    let step = ok(
        &ticket_in(Received),
        dispatch(STREET, &[STREET2, DEPARTMENT], ""),
        CENTRE,
    );
    let t = &step.ticket;
    assert_eq!(t.state, Dispatched);
    assert_eq!(t.assigned_unit.as_deref(), Some(STREET));
    assert_eq!(t.co_units, ids(&[STREET2, DEPARTMENT]));
    assert_eq!(t.dispatched_at, Some(now()));
    assert_eq!(t.due, general_due(now()));
    assert_eq!(
        t.disposition,
        Disposition::Dispatch {
            unit: Some(STREET.into()),
            co_units: ids(&[STREET2, DEPARTMENT]),
        }
    );
    assert_eq!(
        step.event.details,
        json!({ "unit": STREET, "co_units": [STREET2, DEPARTMENT], "previous_unit": null })
    );
}

#[test]
fn dispatch_deadlines_follow_the_urgency_tier() {
    // The tiers of domain.md §5 from Tuesday 22:30 in Beijing (now()): a working day is
    // 24 hours from there, two are 48.
    let m = Duration::minutes;
    let h = Duration::hours;
    let expected = [
        (Urgency::Urgent, [m(15), m(30), h(2), h(48)]),
        (Urgency::Utility, [m(30), h(2), h(24), h(48)]),
        (Urgency::General, [h(24), h(24), h(7 * 24), h(48)]),
        (Urgency::Complex, [h(24), h(24), h(15 * 24), h(48)]),
    ];
    assert_eq!(expected.len(), Urgency::iter().count());
    for (urgency, [sign, respond, reply, return_by]) in expected {
        let mut ticket = ticket_in(Received);
        ticket.intake.urgency = urgency;
        let step = ok(&ticket, dispatch(STREET, &[], ""), CENTRE);
        let due = Deadlines {
            sign: Some(now() + sign),
            respond: Some(now() + respond),
            reply: Some(now() + reply),
            return_by: Some(now() + return_by),
            started_at: Some(now()),
        };
        assert_eq!(step.ticket.due, due, "{urgency}");
    }
}

#[test]
fn reassignment_restarts_the_clock_and_needs_a_reason() {
    for from in [Dispatched, Signed, Responded, InProgress] {
        let ticket = ticket_in(from);
        let step = ok(&ticket, dispatch(DEPARTMENT, &[], REASON), CENTRE);
        let t = &step.ticket;
        assert_eq!(t.state, Dispatched, "{from}");
        assert_eq!(t.assigned_unit.as_deref(), Some(DEPARTMENT), "{from}");
        assert!(t.co_units.is_empty(), "{from}");
        assert_eq!(t.dispatched_at, Some(now()), "{from}");
        assert_eq!(t.signed_at, None, "{from}");
        assert_eq!(t.responded_at, None, "{from}");
        assert_eq!(t.due, general_due(now()), "{from}");
        assert_eq!(step.event.details["previous_unit"], json!(STREET), "{from}");

        assert_invalid(
            run(&ticket, dispatch(DEPARTMENT, &[], " "), CENTRE),
            "reason",
        );
    }
}

#[test]
fn dispatch_targets_are_checked() {
    let queued = ticket_in(Received);
    let try_dispatch = |unit: &str, co_units: &[&str]| {
        run(&queued, dispatch(unit, co_units, ""), CENTRE).map(|step| step.ticket.state)
    };
    assert_invalid(try_dispatch(CENTRE, &[]), "unit");
    assert_invalid(try_dispatch("no-such-unit", &[]), "unit");
    assert_invalid(try_dispatch("", &[]), "unit");
    assert_invalid(try_dispatch(STREET, &[STREET]), "co_units");
    assert_invalid(try_dispatch(STREET, &[STREET2, STREET2]), "co_units");
    assert_invalid(try_dispatch(STREET, &[CENTRE]), "co_units");
    assert_invalid(try_dispatch(STREET, &[STREET2; 11]), "co_units");
    assert_eq!(try_dispatch(SUB_CENTRE, &[]), Ok(Dispatched));
}

#[test]
fn sign_and_respond_stamp_their_instants() {
    let signed = ok(&ticket_in(Dispatched), Command::Sign, STREET).ticket;
    assert_eq!(signed.signed_at, Some(now()));

    let respond = || Command::Respond {
        note: String::new(),
    };
    // Respond window: a day from dispatch (2 March 09:05).
    let early = at(2, 12, 0);
    let step = run_at(&ticket_in(Signed), respond(), STREET, early).unwrap();
    assert_eq!(step.ticket.responded_at, Some(early));
    assert!(step.ticket.responded_in_time());
    assert_eq!(
        step.event.details,
        json!({ "in_time": true, "unit": STREET, "dispatched_at": dispatched_at() })
    );

    let late = ok(&ticket_in(Signed), respond(), STREET);
    assert_eq!(late.ticket.responded_at, Some(now()));
    assert_eq!(late.event.details["in_time"], json!(false));
}

#[test]
fn a_return_remembers_the_state_it_came_from() {
    for from in [Dispatched, Signed] {
        let mut ticket = ticket_in(from);
        ticket.return_count = 2;
        let t = ok(&ticket, sample("return"), STREET).ticket;
        assert_eq!(t.state, ReturnRequested);
        assert_eq!(t.prior_state, Some(from));
        assert_eq!(t.return_count, 3);
        assert_eq!(t.assigned_unit.as_deref(), Some(STREET));

        let blank = Command::RequestReturn {
            reason: "\n".into(),
        };
        assert_invalid(run(&ticket, blank, STREET), "reason");
    }
}

#[test]
fn approving_a_return_with_a_unit_reassigns_it_with_fresh_deadlines() {
    let ticket = ticket_in(ReturnRequested);
    let step = ok(
        &ticket,
        review_return(true, Some(DEPARTMENT), &[STREET2]),
        CENTRE,
    );
    let t = &step.ticket;
    assert_eq!(t.state, Dispatched);
    assert_eq!(t.assigned_unit.as_deref(), Some(DEPARTMENT));
    assert_eq!(t.co_units, ids(&[STREET2]));
    assert_eq!(t.prior_state, None);
    assert_eq!(t.dispatched_at, Some(now()));
    assert_eq!(t.signed_at, None);
    assert_eq!(t.due, general_due(now()));
    assert_eq!(t.return_count, 1);
    assert_eq!(
        t.disposition,
        Disposition::Dispatch {
            unit: Some(DEPARTMENT.into()),
            co_units: ids(&[STREET2]),
        }
    );
    assert_eq!(step.event.details["approved"], json!(true));
    assert_eq!(step.event.details["previous_unit"], json!(STREET));
}

#[test]
fn approving_a_return_without_a_unit_sends_it_back_to_the_queue() {
    let step = ok(
        &ticket_in(ReturnRequested),
        review_return(true, None, &[]),
        CENTRE,
    );
    let t = &step.ticket;
    assert_eq!(t.state, Received);
    assert_eq!(t.assigned_unit, None);
    assert!(t.co_units.is_empty());
    assert_eq!(t.prior_state, None);
    assert_eq!(t.due, Deadlines::default());
    assert_eq!(
        step.event.details,
        json!({ "approved": true, "previous_unit": STREET })
    );
}

#[test]
fn rejecting_a_return_restores_the_prior_state_and_counts_against_the_unit() {
    for prior in [Dispatched, Signed] {
        let mut ticket = ticket_in(ReturnRequested);
        ticket.prior_state = Some(prior);
        let step = ok(&ticket, review_return(false, None, &[]), CENTRE);
        assert_eq!(step.ticket.state, prior);
        assert_eq!(step.ticket.prior_state, None);
        assert_eq!(step.ticket.assigned_unit.as_deref(), Some(STREET));
        assert_eq!(step.ticket.due, ticket.due, "the unit keeps its deadlines");
        assert_eq!(
            step.event.details,
            json!({ "approved": false, "improper_return": true, "unit": STREET })
        );
    }
    // Without a recorded prior state the ticket goes back to Dispatched.
    let mut ticket = ticket_in(ReturnRequested);
    ticket.prior_state = None;
    let step = ok(&ticket, review_return(false, None, &[]), CENTRE);
    assert_eq!(step.ticket.state, Dispatched);

    let blank = Command::ReviewReturn {
        approve: false,
        reassign_to: None,
        co_units: vec![],
        reason: String::new(),
    };
    assert_invalid(run(&ticket_in(ReturnRequested), blank, CENTRE), "reason");
}

#[test]
fn a_return_is_not_reassigned_to_the_returning_unit_or_the_centre() {
    let ticket = ticket_in(ReturnRequested);
    let reassign = |unit: &str, co_units: &[&str]| {
        run(&ticket, review_return(true, Some(unit), co_units), CENTRE)
    };
    assert_invalid(reassign(STREET, &[]), "reassign_to");
    assert_invalid(reassign(CENTRE, &[]), "reassign_to");
    assert_invalid(reassign("no-such-unit", &[]), "reassign_to");
    assert_invalid(reassign(DEPARTMENT, &[DEPARTMENT]), "co_units");
}

#[test]
fn an_approved_extension_pushes_the_reply_deadline() {
    let ticket = ticket_in(InProgress);
    let requested = ok(&ticket, request_extension(48), STREET);
    assert_eq!(requested.ticket.state, InProgress);
    assert_eq!(
        requested.ticket.pending_extension,
        Some(ExtensionRequest {
            hours: 48,
            working_days: 0,
            reason: REASON.into(),
            requested_at: now(),
        })
    );
    assert_eq!(requested.ticket.due, ticket.due);
    assert_eq!(
        requested.event.details,
        json!({ "hours": 48, "working_days": 0 })
    );

    let approved = ok(&requested.ticket, review_extension(true, ""), CENTRE);
    let due = approved.ticket.due;
    let reply_due = dispatched_at() + Duration::days(7) + Duration::hours(48);
    assert_eq!(due.reply, Some(reply_due));
    assert_eq!(due.sign, ticket.due.sign);
    assert_eq!(due.respond, ticket.due.respond);
    assert_eq!(approved.ticket.pending_extension, None);
    assert_eq!(approved.ticket.state, InProgress);
    assert_eq!(approved.event.details["approved"], json!(true));
    assert_eq!(approved.event.details["hours"], json!(48));
}

#[test]
fn a_rejected_extension_keeps_the_deadline_and_clears_the_request() {
    let mut ticket = ticket_in(Responded);
    ticket.pending_extension = Some(pending(72));
    assert_invalid(run(&ticket, review_extension(false, ""), CENTRE), "reason");

    let rejected = ok(&ticket, review_extension(false, REASON), CENTRE);
    assert_eq!(rejected.ticket.due, ticket.due);
    assert_eq!(rejected.ticket.pending_extension, None);
    assert_eq!(rejected.event.details["approved"], json!(false));
}

#[test]
fn only_one_extension_request_may_be_pending() {
    let mut ticket = ticket_in(InProgress);
    ticket.pending_extension = Some(pending(48));
    let second = run(&ticket, request_extension(24), STREET);
    assert_eq!(
        second.as_ref().unwrap_err().to_string(),
        "cannot request_extension ticket in state in_progress: an extension request is already pending"
    );
    assert_illegal(second, "request_extension", InProgress);

    let none_pending = ticket_in(InProgress);
    assert_illegal(
        run(&none_pending, review_extension(true, ""), CENTRE),
        "review_extension",
        InProgress,
    );
}

#[test]
fn extensions_are_bounded_by_the_configured_cap() {
    // Reply due Monday 9 March 17:05 in Beijing; 10 working days later is Monday 23 March,
    // 336 hours on: the default cap.
    let ticket = ticket_in(Signed);
    assert_invalid(run(&ticket, request_extension(0), STREET), "hours");
    assert_invalid(run(&ticket, request_extension(337), STREET), "hours");
    assert!(run(&ticket, request_extension(1), STREET).is_ok());
    assert!(run(&ticket, request_extension(336), STREET).is_ok());
    assert!(run(&ticket, request_extension_days(10), STREET).is_ok());
    assert_invalid(
        run(&ticket, request_extension_days(11), STREET),
        "working_days",
    );
    assert_invalid(
        run(&ticket, request_extension_days(u32::MAX), STREET),
        "working_days",
    );
    let both = Command::RequestExtension {
        hours: 24,
        working_days: 1,
        reason: REASON.into(),
    };
    assert_invalid(run(&ticket, both, STREET), "working_days");
    let blank = Command::RequestExtension {
        hours: 24,
        working_days: 0,
        reason: String::new(),
    };
    assert_invalid(run(&ticket, blank, STREET), "reason");
}

/// The default windows on a calendar with National Day 2026 and its make-up days.
fn national_day_policy() -> Policy {
    let block = chrono::NaiveDate::from_ymd_opt(2026, 10, 1)
        .unwrap()
        .iter_days()
        .take(7);
    let make_up = [
        chrono::NaiveDate::from_ymd_opt(2026, 9, 20).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2026, 10, 10).unwrap(),
    ];
    Policy {
        deadlines: DeadlinePolicy::new(
            Calendar::default().with_year(2026, block, make_up),
            default_tiers(),
            Vec::new(),
            DEFAULT_MAX_EXTENSION,
            Thresholds::default(),
        ),
        ..Policy::default()
    }
}

/// A Beijing wall-clock instant in 2026.
fn bj(month: u32, day: u32, hour: u32, minute: u32) -> Timestamp {
    china_standard_time()
        .with_ymd_and_hms(2026, month, day, hour, minute, 0)
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn working_day_deadlines_skip_national_day() {
    let policy = national_day_policy();
    // Dispatched Wednesday 30 Sep 16:00: sign within a working day, so by Thursday 8 Oct
    // 16:00; the reply (7 natural days) by 7 Oct; a return until Friday 9 Oct 16:00.
    let t = run_under(
        &policy,
        &ticket_in(Received),
        dispatch(STREET, &[], ""),
        CENTRE,
        bj(9, 30, 16, 0),
    )
    .unwrap()
    .ticket;
    assert_eq!(t.due.sign, Some(bj(10, 8, 16, 0)));
    assert_eq!(t.due.respond, Some(bj(10, 8, 16, 0)));
    assert_eq!(t.due.reply, Some(bj(10, 7, 16, 0)));
    assert_eq!(t.due.return_by, Some(bj(10, 9, 16, 0)));
    // The watch follows the first deadline: the reply, due before the sign here.
    let watch = t.watch.unwrap();
    assert_eq!(
        (watch.deadline, watch.due_at),
        (DeadlineKind::Reply, bj(10, 7, 16, 0))
    );
    // 改派 on Saturday 3 Oct (a holiday) restarts every clock: one working day runs to the
    // end of Thursday 8 Oct.
    let moved = run_under(
        &policy,
        &t,
        dispatch(DEPARTMENT, &[], REASON),
        CENTRE,
        bj(10, 3, 11, 0),
    )
    .unwrap()
    .ticket;
    assert_eq!(moved.due.sign, Some(bj(10, 9, 0, 0)));
    assert_eq!(moved.due.return_by, Some(bj(10, 10, 0, 0)));
    assert_eq!(moved.due.started_at, Some(bj(10, 3, 11, 0)));
}

#[test]
fn an_extension_in_working_days_skips_the_holiday() {
    let policy = national_day_policy();
    let mut ticket = ticket_in(InProgress);
    ticket.due.reply = Some(bj(9, 29, 10, 0));
    // Three working days after Tuesday 29 Sep 10:00: 30 Sep, 8 Oct, 9 Oct.
    let asked = run_under(
        &policy,
        &ticket,
        request_extension_days(3),
        STREET,
        bj(9, 28, 9, 0),
    )
    .unwrap();
    assert_eq!(
        asked
            .ticket
            .pending_extension
            .as_ref()
            .map(|e| e.working_days),
        Some(3)
    );
    let approved = run_under(
        &policy,
        &asked.ticket,
        review_extension(true, ""),
        CENTRE,
        bj(9, 28, 10, 0),
    )
    .unwrap();
    assert_eq!(approved.ticket.due.reply, Some(bj(10, 9, 10, 0)));
    assert_eq!(approved.event.details["reply_due"], json!(bj(10, 9, 10, 0)));
    // The cap is 10 working days on the same calendar: 19 Oct 10:00, i.e. 480 hours.
    let hours = |h| {
        run_under(
            &policy,
            &ticket,
            request_extension(h),
            STREET,
            bj(9, 28, 9, 0),
        )
    };
    assert!(hours(480).is_ok());
    assert_invalid(hours(481), "hours");
}

#[test]
fn a_return_is_refused_after_the_return_window() {
    // Dispatched Monday 2 March 17:05 in Beijing: a return is allowed until Wednesday
    // 4 March 17:05 (two working days).
    let ticket = ticket_in(Signed);
    let until = dispatched_at() + Duration::hours(48);
    assert_eq!(ticket.due.return_by, Some(until));
    let ask = || Command::RequestReturn {
        reason: REASON.into(),
    };
    assert!(
        run_at(&ticket, ask(), STREET, until).is_ok(),
        "at the limit"
    );
    let late = run_at(&ticket, ask(), STREET, until + Duration::milliseconds(1));
    assert_eq!(
        late.as_ref().unwrap_err().to_string(),
        "cannot return ticket in state signed: the return window closed at 2026-03-04 17:05 +08:00"
    );
    assert_illegal(late, "return", Signed);
    // Tickets dispatched before return windows were recorded keep the old behaviour.
    let mut old = ticket_in(Dispatched);
    old.due.return_by = None;
    assert!(run_at(&old, ask(), STREET, until + Duration::days(30)).is_ok());
}

#[test]
fn chase_ups_need_a_supervised_or_overdue_ticket() {
    let chase = || Command::ChaseUp {
        note: "请今日内联系市民".into(),
    };
    // InProgress, reply due 9 March 09:05 UTC, not supervised: nothing to chase yet.
    let ticket = ticket_in(InProgress);
    let early = run(&ticket, chase(), CENTRE);
    assert_eq!(
        early.as_ref().unwrap_err().to_string(),
        "cannot chase_up ticket in state in_progress: only supervised (督办) or overdue tickets are chased up"
    );
    // Overdue: past the reply deadline.
    let late = at(9, 9, 5);
    let step = run_at(&ticket, chase(), CENTRE, late).unwrap();
    assert_eq!(step.ticket.chase_up_count, 1);
    assert_eq!(step.ticket.state, InProgress);
    assert_eq!(
        step.event.details,
        json!({ "chase_up_count": 1, "unit": STREET, "supervised": false, "overdue": "reply" })
    );
    assert_eq!(step.event.reason, "请今日内联系市民");
    // Supervised: at any time, and each chase-up counts.
    let mut supervised = ticket_in(Dispatched);
    supervised.supervised = true;
    let once = ok(&supervised, chase(), CENTRE).ticket;
    let twice = ok(&once, chase(), CENTRE).ticket;
    assert_eq!(twice.chase_up_count, 2);
    assert_invalid(
        run(&supervised, Command::ChaseUp { note: " ".into() }, CENTRE),
        "note",
    );
    // Only the centre chases; a unit cannot chase itself.
    assert_not_permitted(run(&supervised, chase(), STREET));
}

#[test]
fn the_watch_follows_the_state() {
    // Signed: respond and reply run; the respond deadline (3 March 09:05 UTC) comes first.
    let signed = ticket_in(Signed);
    let w = signed.watch.unwrap();
    assert_eq!((w.deadline, w.due_at), (DeadlineKind::Respond, at(3, 9, 5)));
    // Once responded only the reply runs; once replied nothing does.
    let responded = ok(&signed, sample("respond"), STREET).ticket;
    let w = responded.watch.unwrap();
    assert_eq!((w.deadline, w.due_at), (DeadlineKind::Reply, at(9, 9, 5)));
    // 7-day window from 2 March 09:05 UTC: yellow at 75% (5 days 6 hours), red at 90%.
    assert_eq!(w.yellow_at, at(7, 15, 5));
    assert_eq!(w.red_at, at(8, 16, 17));
    let replied = ok(&responded, sample("reply"), STREET).ticket;
    assert_eq!(replied.watch, None);
}

#[test]
fn a_pending_extension_goes_with_the_ticket_when_it_leaves_the_unit() {
    let mut ticket = ticket_in(InProgress);
    ticket.pending_extension = Some(pending(48));
    let leaving = [
        (sample("reply"), STREET),
        (sample("escalate"), STREET),
        (sample("dispatch"), CENTRE),
        (sample("transfer"), CENTRE),
        (sample("merge"), CENTRE),
    ];
    for (command, unit) in leaving {
        let name = command.name();
        let after = ok(&ticket, command, unit).ticket;
        assert_eq!(after.pending_extension, None, "{name}");
    }
    // A finished ticket's deadline can no longer be moved.
    let mut transferred = ticket_in(Transferred);
    transferred.pending_extension = Some(pending(48));
    assert_illegal(
        run(&transferred, review_extension(true, ""), CENTRE),
        "review_extension",
        Transferred,
    );
}

#[test]
fn escalation_from_a_street_goes_to_its_district() {
    let step = ok(&ticket_in(InProgress), escalate(), STREET);
    let t = &step.ticket;
    assert_eq!(t.state, Dispatched);
    assert_eq!(t.assigned_unit.as_deref(), Some(DISTRICT));
    assert!(t.co_units.is_empty());
    assert_eq!(t.escalation_level, 1);
    assert_eq!(t.dispatched_at, Some(now()));
    assert_eq!(t.signed_at, None);
    assert_eq!(t.due, general_due(now()));
    assert_eq!(
        step.event.details,
        json!({ "from_unit": STREET, "to_unit": DISTRICT })
    );

    assert_invalid(
        run(
            &ticket_in(InProgress),
            Command::Escalate {
                reason: String::new(),
            },
            STREET,
        ),
        "reason",
    );
}

#[test]
fn escalation_without_a_parent_goes_to_the_centre_queue() {
    // A district has no parent; a department under the centre must not be handed to it.
    for unit in [DISTRICT, DEPARTMENT, DEPARTMENT_UNDER_CENTRE] {
        let mut ticket = ticket_in(Signed);
        ticket.assigned_unit = Some(unit.into());
        ticket.escalation_level = 1;
        let step = ok(&ticket, escalate(), unit);
        let t = &step.ticket;
        assert_eq!(t.state, Received, "{unit}");
        assert_eq!(t.assigned_unit, None, "{unit}");
        assert!(t.co_units.is_empty(), "{unit}");
        assert_eq!(t.due, Deadlines::default(), "{unit}");
        assert_eq!(t.escalation_level, 2, "{unit}");
        assert_eq!(
            step.event.details,
            json!({ "from_unit": unit, "to_unit": null }),
            "{unit}"
        );
    }
}

#[test]
fn escalation_climbs_one_level_at_a_time() {
    let at_district = ok(&ticket_in(Signed), escalate(), STREET).ticket;
    assert_eq!(at_district.assigned_unit.as_deref(), Some(DISTRICT));
    let signed = ok(&at_district, Command::Sign, DISTRICT).ticket;
    let queued = ok(&signed, escalate(), DISTRICT).ticket;
    assert_eq!(queued.state, Received);
    assert_eq!(queued.escalation_level, 2);
    assert_eq!(queued.version, VERSION + 3);
}

#[test]
fn a_reply_records_its_text_and_time() {
    let reply = |text: &str| Command::Reply { reply: text.into() };
    let t = ok(&ticket_in(Responded), reply("已处理完毕"), STREET).ticket;
    assert_eq!(t.state, Replied);
    assert_eq!(t.reply, "已处理完毕");
    assert_eq!(t.replied_at, Some(now()));
    assert_invalid(run(&ticket_in(Responded), reply("  "), STREET), "reply");
}

#[test]
fn review_of_a_reply_accepts_or_sends_back_for_rework() {
    let ticket = ticket_in(Replied);
    let accepted = ok(&ticket, review_reply(true, ""), CENTRE);
    assert_eq!(accepted.ticket.state, AwaitingCallback);
    assert_eq!(accepted.ticket.rework_count, 0);
    assert_eq!(accepted.event.details, json!({ "approved": true }));

    let sent_back = ok(&ticket, review_reply(false, REASON), CENTRE);
    assert_eq!(sent_back.ticket.state, InProgress);
    assert_eq!(sent_back.ticket.rework_count, 1);
    assert_eq!(sent_back.ticket.assigned_unit.as_deref(), Some(STREET));
    assert_eq!(sent_back.event.details, json!({ "approved": false }));
    // 重办 starts a fresh reply window; sign and respond deadlines are history.
    let window = Duration::days(7);
    assert_eq!(sent_back.ticket.due.reply, Some(now() + window));
    assert_eq!(sent_back.ticket.due.sign, ticket.due.sign);
    assert_ne!(
        ticket.due.reply,
        Some(now() + window),
        "the fixture's old window differs"
    );

    let mut reworked = ticket.clone();
    reworked.rework_count = 2;
    let again = ok(&reworked, review_reply(false, REASON), CENTRE);
    assert_eq!(again.ticket.rework_count, 3);

    assert_invalid(run(&ticket, review_reply(false, ""), CENTRE), "reason");
}

#[test]
fn a_callback_closes_or_reopens_the_ticket() {
    use Satisfaction::*;
    // (resolved, satisfaction, reopen) → next state, or the field named by the error.
    let cases: &[(bool, Satisfaction, bool, Result<State, &str>)] = &[
        (true, Satisfied, false, Ok(Closed)),
        (true, BasicallySatisfied, false, Ok(Closed)),
        (true, Dissatisfied, false, Ok(Closed)),
        (false, Dissatisfied, false, Ok(Closed)),
        (false, Declined, false, Ok(Closed)),
        (false, Dissatisfied, true, Ok(InProgress)),
        (true, Dissatisfied, true, Ok(InProgress)),
        (false, Satisfied, true, Ok(InProgress)),
        (false, BasicallySatisfied, true, Ok(InProgress)),
        (true, Satisfied, true, Err("reopen")),
        (true, BasicallySatisfied, true, Err("reopen")),
        (false, Declined, true, Err("reopen")),
        (true, Declined, false, Err("resolved")),
        (true, Declined, true, Err("resolved")),
    ];
    let ticket = ticket_in(AwaitingCallback);
    for &(resolved, satisfaction, reopen, expected) in cases {
        let case = format!("resolved={resolved} {satisfaction} reopen={reopen}");
        let result = run(&ticket, callback(resolved, satisfaction, reopen), CENTRE);
        match expected {
            Err(field) => assert_invalid(result, field),
            Ok(to) => {
                let step = result.unwrap_or_else(|e| panic!("{case}: {e}"));
                let t = &step.ticket;
                assert_eq!(t.state, to, "{case}");
                assert_eq!(
                    t.callback,
                    Some(CallbackResult {
                        resolved,
                        satisfaction,
                        note: REASON.into(),
                        at: now(),
                    }),
                    "{case}"
                );
                let reopened = to == InProgress;
                assert_eq!(t.rework_count, u32::from(reopened), "{case}");
                let fresh_window = now() + Duration::days(7);
                let expected_due = if reopened {
                    Some(fresh_window)
                } else {
                    ticket.due.reply
                };
                assert_eq!(t.due.reply, expected_due, "{case}");
                assert_eq!(t.closed_at, (!reopened).then(now), "{case}");
                assert_eq!(
                    step.event.details,
                    json!({ "resolved": resolved, "satisfaction": satisfaction, "reopened": reopen, "unit": STREET }),
                    "{case}"
                );
            }
        }
    }
}

/// (when dissatisfied, when unresolved, (resolved, satisfaction, reopen)) → reopened?, or
/// words of the refusal.
type PolicyCase = (
    Reopen,
    Reopen,
    (bool, Satisfaction, bool),
    Result<bool, &'static str>,
);

/// A callback on the awaiting ticket under a callback policy.
fn callback_under(
    when_dissatisfied: Reopen,
    when_unresolved: Reopen,
    verdict: (bool, Satisfaction, bool),
) -> Result<Transition, DomainError> {
    let policy = Policy {
        callbacks: CallbackPolicy {
            when_dissatisfied,
            when_unresolved,
        },
        ..Policy::default()
    };
    let actor = actor(CENTRE);
    let ctx = Context {
        actor: &actor,
        principal: "token:test",
        units: &UNITS,
        policy: &policy,
        now: now(),
    };
    let (resolved, satisfaction, reopen) = verdict;
    apply(
        &ticket_in(AwaitingCallback),
        callback(resolved, satisfaction, reopen),
        &ctx,
    )
}

#[test]
fn the_callback_policy_decides_when_a_verdict_reopens() {
    use Reopen::*;
    use Satisfaction::*;
    // (dissatisfied policy, unresolved policy, verdict) → reopened?, or the refusal.
    // A verdict can be unhappy on both counts; `always` on either reopens, and a request
    // is refused only when every count that applies says `never`.
    let cases: &[PolicyCase] = &[
        (Always, OnRequest, (true, Dissatisfied, false), Ok(true)),
        (Always, Never, (false, Dissatisfied, false), Ok(true)),
        (OnRequest, Always, (false, Satisfied, false), Ok(true)),
        (OnRequest, Always, (true, Dissatisfied, false), Ok(false)),
        (Always, Always, (true, BasicallySatisfied, false), Ok(false)),
        // Declined is never unhappy, not even under `always`.
        (Always, Always, (false, Declined, false), Ok(false)),
        (Never, OnRequest, (true, Dissatisfied, false), Ok(false)),
        (
            Never,
            OnRequest,
            (true, Dissatisfied, true),
            Err("reopen_when_dissatisfied"),
        ),
        (
            Never,
            Never,
            (false, Dissatisfied, true),
            Err("reopen_when_dissatisfied = \"never\", reopen_when_unresolved"),
        ),
        (Never, OnRequest, (false, Dissatisfied, true), Ok(true)),
        (
            OnRequest,
            Never,
            (false, Satisfied, true),
            Err("reopen_when_unresolved"),
        ),
        (Never, Never, (true, Satisfied, true), Err("field reopen")),
    ];
    for &(dissatisfied, unresolved, verdict, expected) in cases {
        let case = format!("{dissatisfied:?}/{unresolved:?} {verdict:?}");
        let result = callback_under(dissatisfied, unresolved, verdict);
        match expected {
            Ok(reopened) => {
                let step = result.unwrap_or_else(|e| panic!("{case}: {e}"));
                let to = if reopened { InProgress } else { Closed };
                assert_eq!(step.ticket.state, to, "{case}");
                assert_eq!(step.event.details["reopened"], json!(reopened), "{case}");
                assert_eq!(step.ticket.rework_count, u32::from(reopened), "{case}");
            }
            Err("field reopen") => assert_invalid(result, "reopen"),
            Err(words) => {
                let err = result.unwrap_err();
                assert!(
                    matches!(
                        err,
                        DomainError::IllegalTransition {
                            command: "record_callback",
                            ..
                        }
                    ) && err.to_string().contains(words),
                    "{case}: {err}"
                );
            }
        }
    }
}

#[test]
fn exclusion_takes_a_ticket_out_of_the_rates_once() {
    let exclude = |reason, note: &str| Command::ExcludeFromRates {
        reason,
        note: note.into(),
    };
    let closed = ticket_in(Closed);
    assert!(closed.in_rates_scope());
    let step = ok(&closed, exclude(ExclusionReason::Duplicate, REASON), CENTRE);
    assert_eq!(
        step.ticket.excluded_from_rates,
        Some(ExclusionReason::Duplicate)
    );
    assert!(!step.ticket.in_rates_scope());
    assert_eq!(step.ticket.state, Closed);
    assert_eq!(step.event.details, json!({ "reason": "duplicate" }));
    assert_eq!(step.event.reason, REASON);

    assert_invalid(
        run(&closed, exclude(ExclusionReason::Invalid, " "), CENTRE),
        "note",
    );
    for out in [step.ticket, ticket_in(Merged), ticket_in(Transferred)] {
        let err = run(&out, exclude(ExclusionReason::Invalid, REASON), CENTRE).unwrap_err();
        assert!(
            err.to_string().contains("already outside the rates"),
            "{err}"
        );
    }
    assert_not_permitted(run(
        &closed,
        exclude(ExclusionReason::Invalid, REASON),
        STREET,
    ));
}

#[test]
fn supervision_is_switched_on_with_a_note_and_off_again() {
    let ticket = ticket_in(InProgress);
    let on = ok(
        &ticket,
        Command::Supervise {
            on: true,
            note: "本月重点督办".into(),
        },
        CENTRE,
    );
    assert_eq!(on.ticket.state, InProgress);
    assert!(on.ticket.supervised);
    assert_eq!(on.ticket.supervision_note, "本月重点督办");
    assert_eq!(on.event.details, json!({ "supervised": true }));

    let off = ok(
        &on.ticket,
        Command::Supervise {
            on: false,
            note: String::new(),
        },
        CENTRE,
    );
    assert!(!off.ticket.supervised);
    assert_eq!(off.ticket.supervision_note, "");
    assert_eq!(off.ticket.version, VERSION + 2);

    let blank = Command::Supervise {
        on: true,
        note: " ".into(),
    };
    assert_invalid(run(&ticket, blank, CENTRE), "note");
}

#[test]
fn a_note_changes_nothing_but_the_version() {
    for state in State::iter().filter(|s| *s != Archived) {
        let ticket = ticket_in(state);
        let step = ok(&ticket, sample("add_note"), CENTRE);
        let mut expected = ticket.clone();
        expected.version += 1;
        expected.updated_at = now();
        assert_eq!(step.ticket, expected, "{state}");
    }
    let blank = Command::AddNote {
        note: String::new(),
    };
    assert_invalid(run(&ticket_in(Signed), blank, CENTRE), "reason");
}

#[test]
fn archiving_keeps_the_record_of_how_the_ticket_ended() {
    for from in [Closed, Transferred, Refused, Merged] {
        let ticket = ticket_in(from);
        let t = ok(&ticket, Command::Archive, CENTRE).ticket;
        assert_eq!(t.state, Archived);
        assert_eq!(t.disposition, ticket.disposition, "{from}");
        assert_eq!(t.closed_at, ticket.closed_at, "{from}");
    }
}

#[test]
fn merging_links_the_duplicate_to_its_parent() {
    let open_parents = [
        Received,
        Dispatched,
        Signed,
        Responded,
        InProgress,
        ReturnRequested,
        Replied,
        AwaitingCallback,
    ];
    for parent_state in open_parents {
        let step = ok(&ticket_in(Signed), merge(PARENT_ID, parent_state), CENTRE);
        assert_eq!(step.ticket.state, Merged, "{parent_state}");
        assert_eq!(step.ticket.merged_into, Some(PARENT_ID));
        assert_eq!(
            step.ticket.disposition,
            Disposition::Merge { parent: PARENT_ID }
        );
        assert_eq!(step.event.details, json!({ "parent": PARENT_ID }));
    }
}

#[test]
fn a_ticket_is_not_merged_into_itself() {
    assert_invalid(
        run(&ticket_in(Received), merge(TICKET_ID, InProgress), CENTRE),
        "parent_id",
    );
}

#[test]
fn merging_into_a_finished_parent_is_a_failed_precondition() {
    for parent_state in [Closed, Archived, Transferred, Refused, Merged] {
        let result = run(
            &ticket_in(Dispatched),
            merge(PARENT_ID, parent_state),
            CENTRE,
        );
        match &result {
            Err(DomainError::IllegalTransition { why: Some(why), .. }) => {
                assert!(why.contains(&PARENT_ID.to_string()), "{why}");
                assert!(why.contains(parent_state.code()), "{why}");
            }
            other => panic!("{parent_state}: expected a reason, got {other:?}"),
        }
        assert_illegal(result, "merge", Dispatched);
    }
}

#[test]
fn answering_directly_closes_with_the_answer() {
    let step = ok(&ticket_in(Received), sample("answer_directly"), CENTRE);
    let t = &step.ticket;
    assert_eq!(t.state, Closed);
    assert_eq!(t.reply, "办理时间为工作日 9:00-17:00");
    assert_eq!(t.closed_at, Some(now()));
    assert_eq!(
        t.disposition,
        Disposition::AnswerDirectly {
            answer: "办理时间为工作日 9:00-17:00".into()
        }
    );
    let blank = Command::AnswerDirectly {
        answer: String::new(),
    };
    assert_invalid(run(&ticket_in(Received), blank, CENTRE), "answer");
}

#[test]
fn transfers_end_the_loop() {
    let targets = EmergencyLine::iter()
        .map(|line| Disposition::EmergencyTransfer { line })
        .chain(Utility::iter().map(|utility| Disposition::UtilityTransfer { utility }))
        .chain([Disposition::ReferPolice {
            reason: "恶意骚扰热线".into(),
        }]);
    for to in targets {
        let command = Command::Transfer {
            to: to.clone(),
            reason: String::new(),
        };
        let t = ok(&ticket_in(InProgress), command, CENTRE).ticket;
        assert_eq!(t.state, Transferred, "{}", to.code());
        assert_eq!(t.closed_at, Some(now()));
        assert_eq!(t.disposition, to);
    }
    let transfer = |to: Disposition| Command::Transfer {
        to,
        reason: String::new(),
    };
    let blank_police = transfer(Disposition::ReferPolice {
        reason: String::new(),
    });
    assert_invalid(run(&ticket_in(Received), blank_police, CENTRE), "reason");
    let not_a_transfer = transfer(Disposition::Dispatch {
        unit: Some(STREET.into()),
        co_units: vec![],
    });
    assert_invalid(
        run(&ticket_in(Received), not_a_transfer, CENTRE),
        "disposition",
    );
}

#[test]
fn refusals_name_the_channel_or_explain() {
    let refuse = |outcome: Disposition| Command::Refuse { outcome };
    let legal = |advice: &str| {
        refuse(Disposition::LegalChannel {
            channel: LegalChannel::Arbitration,
            advice: advice.into(),
        })
    };
    let explain = |text: &str| {
        refuse(Disposition::Explain {
            reason: ExplainReason::Privacy,
            explanation: text.into(),
        })
    };
    let queued = ticket_in(Received);
    for command in [legal("请申请劳动仲裁"), explain("涉及他人隐私，无法提供")] {
        let t = ok(&queued, command, CENTRE).ticket;
        assert_eq!(t.state, Refused);
        assert_eq!(t.closed_at, Some(now()));
    }
    assert_invalid(run(&queued, legal(""), CENTRE), "advice");
    assert_invalid(run(&queued, explain(" "), CENTRE), "explanation");
    let not_a_refusal = refuse(Disposition::AnswerDirectly {
        answer: "答复".into(),
    });
    assert_invalid(run(&queued, not_a_refusal, CENTRE), "disposition");
}

// ---------------------------------------------------------------------------------------
// Authority
// ---------------------------------------------------------------------------------------

/// Commands only the assigned (lead) unit may issue.
const UNIT_COMMANDS: [&str; 7] = [
    "sign",
    "respond",
    "handle",
    "return",
    "request_extension",
    "escalate",
    "reply",
];

/// Commands only the centre may issue (dispatch too, once the ticket is assigned).
const CENTRE_COMMANDS: [&str; 6] = [
    "review_return",
    "review_extension",
    "review_reply",
    "supervise",
    "archive",
    "exclude_from_rates",
];

/// Desk work: the centre and sub-centres.
const DESK_COMMANDS: [&str; 5] = [
    "answer_directly",
    "transfer",
    "refuse",
    "merge",
    "record_callback",
];

/// Runs the sample of `name` as `unit` on a ticket in a state where it is legal.
fn try_as(name: &str, unit: &str) -> Result<Transition, DomainError> {
    let command = sample(name);
    let ticket = ticket_for(legal_state(name), &command);
    run(&ticket, command, unit)
}

#[test]
fn only_the_assigned_unit_works_the_ticket() {
    for name in UNIT_COMMANDS {
        // STREET2 co-handles; DISTRICT is STREET's parent; the centre does not sign.
        for outsider in [STREET2, DISTRICT, DEPARTMENT, SUB_CENTRE, CENTRE] {
            assert_not_permitted(try_as(name, outsider));
        }
        assert!(try_as(name, STREET).is_ok(), "{name}");
    }
    let err = run(&ticket_in(Dispatched), Command::Sign, DEPARTMENT).unwrap_err();
    assert_eq!(err.to_string(), "unit `market` may not sign this ticket");
}

#[test]
fn only_the_centre_reviews_supervises_archives_and_reassigns() {
    for name in CENTRE_COMMANDS {
        for unit in [STREET, STREET2, DISTRICT, DEPARTMENT, SUB_CENTRE] {
            assert_not_permitted(try_as(name, unit));
        }
        assert!(try_as(name, CENTRE).is_ok(), "{name}");
    }
    let assigned = ticket_in(InProgress);
    for unit in [STREET, DISTRICT, DEPARTMENT, SUB_CENTRE] {
        assert_not_permitted(run(&assigned, dispatch(STREET2, &[], REASON), unit));
    }
    assert!(run(&assigned, dispatch(STREET2, &[], REASON), CENTRE).is_ok());
}

#[test]
fn intake_desks_are_the_centre_and_sub_centres() {
    for name in DESK_COMMANDS {
        for unit in [STREET, DISTRICT, DEPARTMENT] {
            assert_not_permitted(try_as(name, unit));
        }
        assert!(try_as(name, CENTRE).is_ok(), "{name}");
        assert!(try_as(name, SUB_CENTRE).is_ok(), "{name}");
    }
    // Dispatch from the queue is desk work too.
    let queued = ticket_in(Received);
    assert!(run(&queued, dispatch(STREET, &[], ""), SUB_CENTRE).is_ok());
    assert_not_permitted(run(&queued, dispatch(STREET, &[], ""), DEPARTMENT));
}

#[test]
fn co_handling_units_may_add_notes_but_not_sign() {
    let ticket = ticket_in(Dispatched);
    for unit in [STREET, STREET2, CENTRE] {
        assert!(run(&ticket, sample("add_note"), unit).is_ok(), "{unit}");
    }
    for unit in [DISTRICT, DEPARTMENT, SUB_CENTRE] {
        assert_not_permitted(run(&ticket, sample("add_note"), unit));
    }
    assert_not_permitted(run(&ticket, Command::Sign, STREET2));
    // A queued ticket involves no unit yet.
    assert_not_permitted(run(&ticket_in(Received), sample("add_note"), STREET));
}

#[test]
fn an_unknown_actor_unit_is_invalid() {
    for name in COMMANDS {
        assert_invalid(try_as(name, "no-such-unit"), "actor.unit");
        assert_invalid(try_as(name, ""), "actor.unit");
    }
}

// ---------------------------------------------------------------------------------------
// Intake
// ---------------------------------------------------------------------------------------

mod intake_open {
    use super::*;

    fn open_form(
        form: Intake,
        disposition: Disposition,
        parent_state: Option<State>,
        unit: &str,
    ) -> Result<Opened, DomainError> {
        let actor = actor(unit);
        let ctx = Context {
            actor: &actor,
            principal: "token:test",
            units: &UNITS,
            policy: &Policy::default(),
            now: now(),
        };
        intake::open(form, disposition, parent_state, &ctx)
    }

    fn open(disposition: Disposition) -> Result<Opened, DomainError> {
        open_form(intake_form(), disposition, None, CENTRE)
    }

    #[track_caller]
    fn opened(disposition: Disposition) -> Opened {
        open(disposition).unwrap_or_else(|e| panic!("{e}"))
    }

    fn to(unit: Option<&str>, co_units: &[&str]) -> Disposition {
        Disposition::Dispatch {
            unit: unit.map(Into::into),
            co_units: ids(co_units),
        }
    }

    /// The events' versions, commands and states, in order.
    fn steps(opened: &Opened) -> Vec<(i64, &str, Option<State>, State)> {
        opened
            .events
            .iter()
            .map(|e| (e.version, e.command.as_str(), e.from_state, e.to_state))
            .collect()
    }

    #[test]
    fn dispatch_with_a_unit_creates_and_dispatches() {
        let o = opened(to(Some(STREET), &[STREET2]));
        let t = &o.ticket;
        assert_eq!(t.state, Dispatched);
        assert_eq!(t.version, 2);
        assert_eq!(t.id, 0);
        assert_eq!(t.assigned_unit.as_deref(), Some(STREET));
        assert_eq!(t.co_units, ids(&[STREET2]));
        assert_eq!(t.created_at, now());
        assert_eq!(t.dispatched_at, Some(now()));
        assert_eq!(t.due, general_due(now()));
        assert_eq!(
            steps(&o),
            [
                (1, "create", None, Received),
                (2, "dispatch", Some(Received), Dispatched),
            ]
        );
        let created = &o.events[0];
        assert_eq!(created.ticket_id, 0);
        assert_eq!(created.actor, actor(CENTRE));
        assert_eq!(created.at, now());
        assert_eq!(
            created.details,
            json!({ "channel": "phone", "line": "12345", "outcome": "dispatch" })
        );
        assert_eq!(o.events[1].actor, actor(CENTRE));
    }

    #[test]
    fn dispatch_without_a_unit_waits_in_the_queue() {
        let o = opened(to(None, &[]));
        assert_eq!(o.ticket.state, Received);
        assert_eq!(o.ticket.version, 1);
        assert_eq!(o.ticket.assigned_unit, None);
        assert_eq!(o.ticket.due, Deadlines::default());
        assert_eq!(steps(&o), [(1, "create", None, Received)]);
    }

    #[test]
    fn answer_directly_closes_at_once() {
        let o = opened(Disposition::AnswerDirectly {
            answer: "可在政务服务网办理".into(),
        });
        assert_eq!(o.ticket.state, Closed);
        assert_eq!(o.ticket.reply, "可在政务服务网办理");
        assert_eq!(o.ticket.closed_at, Some(now()));
        assert_eq!(
            steps(&o),
            [
                (1, "create", None, Received),
                (2, "answer_directly", Some(Received), Closed),
            ]
        );
        assert_eq!(o.events[0].details["outcome"], json!("answer_directly"));
    }

    #[test]
    fn transfers_and_police_referrals_end_as_transferred() {
        let outcomes = [
            Disposition::EmergencyTransfer {
                line: EmergencyLine::Fire119,
            },
            Disposition::UtilityTransfer {
                utility: Utility::Heating,
            },
            Disposition::ReferPolice {
                reason: "反复恶意拨打".into(),
            },
        ];
        for disposition in outcomes {
            let o = opened(disposition.clone());
            assert_eq!(o.ticket.state, Transferred, "{}", disposition.code());
            assert_eq!(o.ticket.disposition, disposition);
            assert_eq!(
                steps(&o),
                [
                    (1, "create", None, Received),
                    (2, "transfer", Some(Received), Transferred),
                ]
            );
        }
    }

    #[test]
    fn legal_channel_and_explanation_end_as_refused() {
        let outcomes = [
            Disposition::LegalChannel {
                channel: LegalChannel::AdministrativeReview,
                advice: "请在六十日内申请行政复议".into(),
            },
            Disposition::Explain {
                reason: ExplainReason::CommercialSecret,
                explanation: "涉及商业秘密，无法提供".into(),
            },
        ];
        for disposition in outcomes {
            let o = opened(disposition.clone());
            assert_eq!(o.ticket.state, Refused, "{}", disposition.code());
            assert_eq!(o.ticket.disposition, disposition);
            assert_eq!(o.events.len(), 2);
            assert_eq!(o.events[1].command, "refuse");
        }
    }

    #[test]
    fn blank_outcome_texts_name_the_disposition_field() {
        let cases = [
            (
                Disposition::LegalChannel {
                    channel: LegalChannel::Petition,
                    advice: " ".into(),
                },
                "disposition.legal_channel.advice",
            ),
            (
                Disposition::Explain {
                    reason: ExplainReason::AgainstLaw,
                    explanation: String::new(),
                },
                "disposition.explain.explanation",
            ),
            (
                Disposition::AnswerDirectly {
                    answer: String::new(),
                },
                "disposition.answer_directly.answer",
            ),
            (
                Disposition::ReferPolice {
                    reason: String::new(),
                },
                "disposition.refer_police.reason",
            ),
        ];
        for (disposition, field) in cases {
            assert_invalid(open(disposition), field);
        }
    }

    #[test]
    fn merge_needs_an_open_parent() {
        let merge_into = Disposition::Merge { parent: PARENT_ID };
        let o = open_form(intake_form(), merge_into.clone(), Some(InProgress), CENTRE).unwrap();
        assert_eq!(o.ticket.state, Merged);
        assert_eq!(o.ticket.merged_into, Some(PARENT_ID));
        assert_eq!(
            steps(&o),
            [
                (1, "create", None, Received),
                (2, "merge", Some(Received), Merged),
            ]
        );

        let missing = open_form(intake_form(), merge_into.clone(), None, CENTRE);
        let err = missing.clone().unwrap_err();
        assert!(err.to_string().contains(&PARENT_ID.to_string()), "{err}");
        assert_invalid(missing, "disposition.merge.parent_id");

        let finished = open_form(intake_form(), merge_into, Some(Closed), CENTRE);
        assert_illegal(finished, "merge", Received);
    }

    #[test]
    fn only_the_centre_and_sub_centres_take_requests() {
        let o = open_form(intake_form(), to(Some(STREET), &[]), None, SUB_CENTRE).unwrap();
        assert_eq!(o.ticket.state, Dispatched);
        assert!(o.events.iter().all(|e| e.actor == actor(SUB_CENTRE)));

        for unit in [DEPARTMENT, DISTRICT, STREET] {
            assert_not_permitted(open_form(intake_form(), to(None, &[]), None, unit));
        }
        assert_invalid(
            open_form(intake_form(), to(None, &[]), None, "no-such-unit"),
            "actor.unit",
        );

        let nobody = Actor {
            unit: CENTRE.into(),
            person: " ".into(),
        };
        let ctx = Context {
            actor: &nobody,
            principal: "token:test",
            units: &UNITS,
            policy: &Policy::default(),
            now: now(),
        };
        assert_invalid(
            intake::open(intake_form(), to(None, &[]), None, &ctx),
            "actor.person",
        );
    }

    #[test]
    fn intake_fields_are_validated_by_name() {
        let with = |change: &dyn Fn(&mut Intake)| {
            let mut form = intake_form();
            change(&mut form);
            open_form(form, to(Some(STREET), &[]), None, CENTRE)
        };
        assert_invalid(with(&|f| f.description = String::new()), "description");
        assert_invalid(with(&|f| f.description = " \n ".into()), "description");
        assert_invalid(
            with(&|f| f.description = "噪".repeat(10_001)),
            "description",
        );
        assert!(with(&|f| f.description = "噪".repeat(10_000)).is_ok());
        assert_invalid(
            with(&|f| f.requester.phone = "12345".into()),
            "requester.phone",
        );
        assert_invalid(
            with(&|f| f.requester.id_number = "110105194912310021".into()),
            "requester.id_number",
        );
        assert_invalid(with(&|f| f.region = "999999".into()), "region");
        assert!(with(&|f| f.region = "320100".into()).is_ok(), "the city");
        assert!(with(&|f| f.region = String::new()).is_ok(), "unknown place");
        assert_invalid(with(&|f| f.line = "12a45".into()), "line");
        assert_invalid(with(&|f| f.title = "标".repeat(201)), "title");
        // Anonymous requests are fine.
        assert!(with(&|f| f.requester = Requester::default()).is_ok());
    }

    #[test]
    fn dispatch_targets_name_the_disposition_field() {
        let cases = [
            (to(None, &[STREET2]), "disposition.dispatch.co_units"),
            (to(Some(CENTRE), &[]), "disposition.dispatch.unit"),
            (to(Some("no-such-unit"), &[]), "disposition.dispatch.unit"),
            (
                to(Some(STREET), &[STREET2, STREET2]),
                "disposition.dispatch.co_units",
            ),
            (to(Some(STREET), &[STREET]), "disposition.dispatch.co_units"),
        ];
        for (disposition, field) in cases {
            assert_invalid(open(disposition), field);
        }
    }
}
