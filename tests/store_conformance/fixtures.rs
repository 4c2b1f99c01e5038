//! Fixtures: units, instants, and tickets made by the domain, and small readers.

pub use super::prelude::*;

pub const CENTRE: &str = "centre";
/// 12366 tax sub-centre: an intake desk of its own.
pub const TAX: &str = "tax-12366";
/// 新街口街道 and 梅园新村街道 of 玄武区, and the district itself.
pub const STREET: &str = "xuanwu-01";
pub const STREET_2: &str = "xuanwu-02";
pub const STREET_3: &str = "xuanwu-03";
pub const DISTRICT: &str = "xuanwu";
/// Market regulation (12315).
pub const MARKET: &str = "market-12315";

pub const REGION_STREET: &str = "320102001";
pub const REGION_STREET_2: &str = "320102002";
pub const REGION_DISTRICT: &str = "320102";
pub const REGION_QINHUAI: &str = "320104";

pub fn units() -> &'static UnitCatalog {
    static UNITS: OnceLock<UnitCatalog> = OnceLock::new();
    UNITS.get_or_init(built_in_units)
}

/// Natural-time windows, so that the suite's instants are plain sums whatever the weekday
/// (the working-day calendar is the domain's business, tested there): general sign and
/// respond 24 h, reply 7 days; urgent 15 min, 30 min, 2 h; warnings at 75% and 90%.
const POLICY_TOML: &str = r#"
[urgent]
sign = "15m"
respond = "30m"
reply = "2h"
return = "2d"
[utility]
sign = "30m"
respond = "2h"
reply = "24h"
return = "2d"
[general]
sign = "24h"
respond = "24h"
reply = "7d"
return = "2d"
[complex]
sign = "24h"
respond = "24h"
reply = "15d"
return = "2d"
"#;

pub fn policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| Policy {
        deadlines: hotline::domain::deadline_file::parse("suite deadlines", POLICY_TOML, &|_| {
            false
        })
        .expect("the suite's deadlines parse"),
        ..Policy::default()
    })
}

/// 2026-03-02 00:00 UTC. Every instant in the suite is counted from here.
pub fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()
}

pub fn mins(n: i64) -> Duration {
    Duration::minutes(n)
}

pub fn hours(n: i64) -> Duration {
    Duration::hours(n)
}

pub fn days(n: i64) -> Duration {
    Duration::days(n)
}

pub fn actor(unit: &str) -> Actor {
    Actor {
        unit: unit.to_string(),
        person: format!("{unit} staff 01"),
    }
}

/// A plausible complaint; the suite varies region, category and urgency.
pub fn intake(region: &str, category: &str, urgency: Urgency) -> Intake {
    Intake {
        channel: Channel::Phone,
        line: "12345".into(),
        request_type: RequestType::Complaint,
        policy_domain: PolicyDomain::SocialAdministration,
        category: category.to_string(),
        topic: String::new(),
        urgency,
        title: format!("{category}问题"),
        description: format!("市民反映{category}问题，请尽快处理。"),
        region: region.to_string(),
        address: "南京市玄武区中山路1号".into(),
        requester: Requester {
            name: "王女士".into(),
            phone: "13800138000".into(),
            id_number: String::new(),
            confidential: false,
        },
    }
}

pub fn to_unit(unit: &str) -> Disposition {
    Disposition::Dispatch {
        unit: Some(unit.to_string()),
        co_units: Vec::new(),
    }
}

pub fn queue() -> Disposition {
    Disposition::Dispatch {
        unit: None,
        co_units: Vec::new(),
    }
}

/// A request id never used before in this process.
pub fn next_request_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "req-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// What the domain opens for this intake, as `by` (an intake desk) at `now`.
pub fn open(
    by: &str,
    intake: Intake,
    disposition: Disposition,
    parent_state: Option<State>,
    now: Timestamp,
) -> Opened {
    let actor = actor(by);
    let ctx = Context {
        actor: &actor,
        principal: "token:conformance",
        units: units(),
        policy: policy(),
        now,
    };
    intake::open(intake, disposition, parent_state, &ctx)
        .unwrap_or_else(|e| panic!("the domain refused the suite's intake: {e}"))
}

/// The opened ticket and events as the store must hold them once it assigned `id`.
pub fn as_stored(opened: &Opened, id: TicketId) -> (Ticket, Vec<Event>) {
    let ticket = Ticket {
        id,
        ..opened.ticket.clone()
    };
    let events = opened
        .events
        .iter()
        .map(|e| Event {
            ticket_id: id,
            ..e.clone()
        })
        .collect();
    (ticket, events)
}

/// Opens a ticket as the centre at `now`, stores it under a fresh request id, and checks
/// that the store returned it unchanged but for the id.
pub async fn create(
    store: &dyn Store,
    intake: Intake,
    disposition: Disposition,
    parent_state: Option<State>,
    now: Timestamp,
) -> Ticket {
    let opened = open(CENTRE, intake, disposition, parent_state, now);
    let request_id = next_request_id();
    let fingerprint = format!("fp-{request_id}");
    let created = store
        .create_ticket(NewTicket {
            ticket: &opened.ticket,
            events: &opened.events,
            request_id: &request_id,
            fingerprint: &fingerprint,
        })
        .await
        .unwrap_or_else(|e| panic!("create_ticket({request_id}) failed: {e}"));
    assert!(created.created, "a new request id must create a ticket");
    assert!(
        created.ticket.id > 0,
        "the store must assign a positive id, got {}",
        created.ticket.id
    );
    let (expected, _) = as_stored(&opened, created.ticket.id);
    assert_eq!(
        created.ticket, expected,
        "create_ticket must return the ticket it was given, with the id it assigned"
    );
    created.ticket
}

/// A ticket dispatched to `unit` at `now`.
pub async fn dispatched(store: &dyn Store, unit: &str, intake: Intake, now: Timestamp) -> Ticket {
    create(store, intake, to_unit(unit), None, now).await
}

/// What the domain decides for `command` by `by` at `now`.
pub fn decide(ticket: &Ticket, by: &str, command: Command, now: Timestamp) -> Transition {
    let actor = actor(by);
    let ctx = Context {
        actor: &actor,
        principal: "token:conformance",
        units: units(),
        policy: policy(),
        now,
    };
    let name = command.name();
    lifecycle::apply(ticket, command, &ctx).unwrap_or_else(|e| {
        panic!(
            "the domain refused {name} by {by} on ticket {} ({}): {e}",
            ticket.id, ticket.state
        )
    })
}

/// Applies the command through the domain, saves it, and checks that the store now
/// returns exactly the ticket the domain produced.
pub async fn step(
    store: &dyn Store,
    ticket: &Ticket,
    by: &str,
    command: Command,
    now: Timestamp,
) -> Ticket {
    let name = command.name();
    let transition = decide(ticket, by, command, now);
    store
        .save_transition(ticket, &transition)
        .await
        .unwrap_or_else(|e| panic!("save_transition({name}) of ticket {}: {e}", ticket.id));
    let stored = get(store, ticket.id).await;
    assert_eq!(
        stored, transition.ticket,
        "after {name}, get_ticket must return the ticket as saved"
    );
    stored
}

pub async fn get(store: &dyn Store, id: TicketId) -> Ticket {
    store
        .get_ticket(id)
        .await
        .unwrap_or_else(|e| panic!("get_ticket({id}): {e}"))
}

pub async fn history(store: &dyn Store, id: TicketId) -> Vec<Event> {
    store
        .history(id)
        .await
        .unwrap_or_else(|e| panic!("history({id}): {e}"))
}

pub fn respond_cmd() -> Command {
    Command::Respond {
        note: "已电话联系市民".into(),
    }
}

pub fn handle_cmd() -> Command {
    Command::Handle {
        note: "已派人现场处理".into(),
    }
}

pub fn reply_cmd() -> Command {
    Command::Reply {
        reply: "问题已处理完毕".into(),
    }
}

pub fn review_reply(approve: bool) -> Command {
    Command::ReviewReply {
        approve,
        reason: if approve {
            ""
        } else {
            "答复不完整，请重办"
        }
        .into(),
    }
}

pub fn callback_cmd(resolved: bool, satisfaction: Satisfaction) -> Command {
    Command::RecordCallback {
        resolved,
        satisfaction,
        reopen: false,
        note: "回访".into(),
    }
}

/// Signs at `sign`, responds at `respond`.
pub async fn sign_and_respond(
    store: &dyn Store,
    ticket: &Ticket,
    sign: Timestamp,
    respond: Timestamp,
) -> Ticket {
    let unit = assigned(ticket);
    let t = step(store, ticket, &unit, Command::Sign, sign).await;
    step(store, &t, &unit, respond_cmd(), respond).await
}

/// From responded: handles and replies at `reply`, the centre accepts the reply, and the
/// callback is recorded at `callback`.
pub async fn reply_and_call_back(
    store: &dyn Store,
    ticket: &Ticket,
    reply: Timestamp,
    callback: Timestamp,
    resolved: bool,
    satisfaction: Satisfaction,
) -> Ticket {
    let unit = assigned(ticket);
    let t = step(store, ticket, &unit, handle_cmd(), reply).await;
    let t = step(store, &t, &unit, reply_cmd(), reply).await;
    let t = step(store, &t, CENTRE, review_reply(true), reply).await;
    step(
        store,
        &t,
        CENTRE,
        callback_cmd(resolved, satisfaction),
        callback,
    )
    .await
}

pub fn assigned(ticket: &Ticket) -> String {
    ticket
        .assigned_unit
        .clone()
        .unwrap_or_else(|| panic!("ticket {} has no assigned unit", ticket.id))
}

pub fn ids(tickets: &[Ticket]) -> Vec<TicketId> {
    tickets.iter().map(|t| t.id).collect()
}

pub fn sorted(mut ids: Vec<TicketId>) -> Vec<TicketId> {
    ids.sort_unstable();
    ids
}

/// Checks that each returned ticket is the stored ticket, whole.
pub async fn assert_current(store: &dyn Store, tickets: &[Ticket], what: &str) {
    for ticket in tickets {
        assert_eq!(
            ticket,
            &get(store, ticket.id).await,
            "{what}: ticket {} differs from get_ticket",
            ticket.id
        );
    }
}

pub fn all_filter() -> TicketFilter {
    TicketFilter {
        limit: 1000,
        ..TicketFilter::default()
    }
}

pub async fn search(store: &dyn Store, filter: &TicketFilter) -> Vec<Ticket> {
    store
        .search(filter)
        .await
        .unwrap_or_else(|e| panic!("search({filter:?}): {e}"))
}

pub async fn search_ids(store: &dyn Store, filter: &TicketFilter) -> Vec<TicketId> {
    let found = search(store, filter).await;
    assert_current(store, &found, "search").await;
    ids(&found)
}

pub async fn pull(
    store: &dyn Store,
    unit: &str,
    worker: &str,
    max: u32,
    now: Timestamp,
    lease_until: Timestamp,
) -> Vec<Ticket> {
    store
        .pull_assigned(unit, worker, max, now, lease_until)
        .await
        .unwrap_or_else(|e| panic!("pull_assigned({unit}, {worker}, {max}): {e}"))
}

/// A connection of the test's own to the store's database, as an operator or another
/// program would have.
pub async fn raw_connection(url: &str) -> sqlx::AnyConnection {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("a raw connection to {url}: {e}"))
}
