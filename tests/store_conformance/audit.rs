//! 12. The audit trail.
//!
//! The event log refuses to be rewritten, and every event names the unit and person who
//! made the change.

use sqlx::{AnyConnection, Connection};

use super::fixtures::*;

// The refusals below come from the database itself, through a connection of the test's
// own (`raw_connection`), not from the daemon's code.

/// Runs `sql` (binding the ticket id as $1 where it has one), which the database must
/// refuse with a message containing `why`.
async fn refused(conn: &mut AnyConnection, sql: &str, ticket_id: TicketId, why: &str) {
    let query = sqlx::query(sqlx::AssertSqlSafe(sql));
    let query = if sql.contains("$1") {
        query.bind(ticket_id)
    } else {
        query
    };
    match query.execute(&mut *conn).await {
        Ok(done) => panic!(
            "`{sql}` must be refused, but it changed {} rows",
            done.rows_affected()
        ),
        Err(e) => assert!(
            e.to_string().contains(why),
            "`{sql}` was refused, but not for `{why}`: {e}"
        ),
    }
}

pub async fn the_event_log_cannot_be_rewritten(store: Arc<dyn Store>, url: String) {
    let s = &*store;
    let general = || intake(REGION_STREET, "urban_rural_construction", Urgency::General);
    let ticket = dispatched(s, STREET, general(), t0()).await;
    let ticket = sign_and_respond(s, &ticket, t0() + hours(1), t0() + hours(2)).await;
    let before = history(s, ticket.id).await;

    // Every event names who made the change: the centre's agent, then the street's clerk.
    let steps: Vec<(&str, &Actor)> = before
        .iter()
        .map(|e| (e.command.as_str(), &e.actor))
        .collect();
    assert_eq!(
        steps,
        vec![
            ("create", &actor(CENTRE)),
            ("dispatch", &actor(CENTRE)),
            ("sign", &actor(STREET)),
            ("respond", &actor(STREET)),
        ],
        "each event records the unit and person who made the change"
    );
    assert!(
        before.iter().all(|e| e.principal == "token:conformance"),
        "each event records the principal that made the change: {before:?}"
    );

    let mut conn = raw_connection(&url).await;
    let append_only = "ticket_events is append-only";
    refused(
        &mut conn,
        "UPDATE ticket_events SET reason = 'rewritten' WHERE ticket_id = $1",
        ticket.id,
        append_only,
    )
    .await;
    refused(
        &mut conn,
        "UPDATE ticket_events SET actor_person = 'someone else'",
        ticket.id,
        append_only,
    )
    .await;
    refused(
        &mut conn,
        "DELETE FROM ticket_events WHERE ticket_id = $1",
        ticket.id,
        append_only,
    )
    .await;
    refused(
        &mut conn,
        "DELETE FROM ticket_events",
        ticket.id,
        append_only,
    )
    .await;
    if s.backend() == "postgres" {
        refused(&mut conn, "TRUNCATE ticket_events", ticket.id, append_only).await;
    }

    // Nor can an event be added without naming its actor.
    let anonymous = "INSERT INTO ticket_events (ticket_id, version, command, from_state, \
         to_state, actor_unit, actor_person, at, reason, details, principal) \
         VALUES ($1, 99, 'handle', 'responded', 'in_progress', 'xuanwu-01', ' ', 0, '', '{}', \
         'token:x')";
    refused(
        &mut conn,
        anonymous,
        ticket.id,
        "ticket_events_name_the_actor",
    )
    .await;
    // Nor without naming the principal (the token) that made it.
    let unattributed = "INSERT INTO ticket_events (ticket_id, version, command, from_state, \
         to_state, actor_unit, actor_person, at, reason, details, principal) \
         VALUES ($1, 99, 'handle', 'responded', 'in_progress', 'xuanwu-01', 'p', 0, '', '{}', \
         ' ')";
    refused(
        &mut conn,
        unattributed,
        ticket.id,
        "ticket_events_name_the_principal",
    )
    .await;
    let _ = conn.close().await;

    assert_eq!(
        history(s, ticket.id).await,
        before,
        "the history is exactly as written"
    );
    // The log still grows the normal way.
    let ticket = step(s, &ticket, STREET, handle_cmd(), t0() + hours(3)).await;
    assert_eq!(history(s, ticket.id).await.len(), before.len() + 1);
}
