//! Prometheus metrics: one process-wide recorder, served on `/metrics` by a small HTTP
//! listener per daemon. Label values are bounded (commands, channels, outcomes, units of
//! the catalogue, methods of the API), never personal data or free text.
//!
//! Counters of what this process committed are here; the rate gauges, recomputed from
//! the store, are in [`rates`]; gRPC request metrics in [`grpc`].

pub mod calls;
pub mod exposition;
pub mod grpc;
pub mod process;
pub mod rates;

use std::net::SocketAddr;
use std::sync::OnceLock;

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::domain::{Satisfaction, State, Ticket, Transition, UnitCatalog};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Creates per intake transaction: powers of two up to the largest batch allowed.
const BATCH_BUCKETS: [f64; 13] = [
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 2048.0, 4096.0,
];

/// Seconds per batch write: a commit's fsync takes from a fraction of a millisecond to
/// tens of milliseconds, depending on the disk.
const BATCH_SECONDS_BUCKETS: [f64; 13] = [
    0.000_5, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
];

/// Installs the global recorder on first use and returns a handle that renders it.
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(grpc::DURATION.to_string()),
                    &grpc::DURATION_BUCKETS,
                )
                .expect("the bucket list is not empty")
                .set_buckets_for_metric(
                    Matcher::Full(crate::store::INTAKE_BATCH_SIZE.to_string()),
                    &BATCH_BUCKETS,
                )
                .expect("the bucket list is not empty")
                .set_buckets_for_metric(
                    Matcher::Full(crate::store::TRANSITION_BATCH_SIZE.to_string()),
                    &BATCH_BUCKETS,
                )
                .expect("the bucket list is not empty")
                .set_buckets_for_metric(
                    Matcher::Full(crate::store::LEASE_BATCH_SIZE.to_string()),
                    &BATCH_BUCKETS,
                )
                .expect("the bucket list is not empty")
                .set_buckets_for_metric(
                    Matcher::Full(crate::store::BATCH_WRITE_SECONDS.to_string()),
                    &BATCH_SECONDS_BUCKETS,
                )
                .expect("the bucket list is not empty")
                .set_buckets_for_metric(
                    Matcher::Full(crate::store::LOG_SYNC_SECONDS.to_string()),
                    &BATCH_SECONDS_BUCKETS,
                )
                .expect("the bucket list is not empty")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed; /metrics will stay empty");
            }
            describe();
            process::describe();
            handle
        })
        .clone()
}

fn describe() {
    describe_counter!(
        "hotline_tickets_created_total",
        "Tickets created, by channel and intake outcome."
    );
    describe_counter!(
        "hotline_transitions_total",
        "Ticket state commands committed, by command."
    );
    describe_counter!(
        "hotline_tickets_pulled_total",
        "Tickets leased to back-offices by PullAssigned."
    );
    describe_counter!(
        "hotline_rule_reloads_total",
        "Rule reloads by trigger (rpc, sighup, file_watch) and result (ok, rejected)."
    );
    describe_counter!(
        "hotline_tls_reloads_total",
        "TLS certificate reloads by trigger (sighup, file_watch) and result (ok, rejected)."
    );
    describe_counter!(
        "hotline_callbacks_total",
        "Callbacks recorded, by satisfaction and resolution."
    );
    crate::metrics_deadlines::describe();
    calls::describe();
    describe_counter!(
        "hotline_tickets_dispatched_total",
        "Tickets put on a unit's desk (派单, 改派, reassigned returns, 提级), by receiving unit."
    );
    describe_counter!(
        "hotline_tickets_closed_total",
        "Tickets whose loop ended, by the unit holding them (else the intake desk) and outcome: \
         resolved, unresolved, declined (callback verdicts), answered, transferred, refused, merged."
    );
    for (rate, target) in [rates::RESPONSE, rates::RESOLUTION, rates::SATISFACTION] {
        describe_gauge!(
            rate,
            "This month's rate per unit (local days, UTC+8), from the store; NaN without a denominator."
        );
        describe_gauge!(
            target,
            "The target of the unit's class (config/assessment.toml)."
        );
    }
    describe_gauge!(
        "hotline_database_up",
        "1 while the health probe reaches the database, 0 while it cannot (the gRPC services then report NOT_SERVING)."
    );
    describe_gauge!(
        "hotline_linkage_pending",
        "Hand-offs to partner centres (区域联动) not yet accepted by the partner."
    );
    describe_counter!(
        "hotline_linkage_sent_total",
        "Hand-offs a partner centre accepted, by partner."
    );
    describe_counter!(
        "hotline_linkage_failures_total",
        "Failed deliveries and progress queries to partner centres, by partner (retried)."
    );
    describe_counter!(
        grpc::REQUESTS,
        "gRPC calls by service, method and status code."
    );
    describe_histogram!(
        crate::store::INTAKE_BATCH_SIZE,
        metrics::Unit::Count,
        "Tickets written per intake transaction (group commit: one fsync per batch)."
    );
    describe_histogram!(
        crate::store::TRANSITION_BATCH_SIZE,
        metrics::Unit::Count,
        "Ticket transitions written per transaction (group commit: one fsync per batch)."
    );
    describe_histogram!(
        crate::store::LEASE_BATCH_SIZE,
        metrics::Unit::Count,
        "PullAssigned calls leased per transaction (group commit: one fsync per batch)."
    );
    describe_histogram!(
        crate::store::BATCH_WRITE_SECONDS,
        metrics::Unit::Seconds,
        "Time a batch writer (intake, transition, lease) spent on one batch, from taking it up \
         (a wait for the write connection included) to its commit; its sum per second over \
         hotline_batch_writers is how busy those writers are."
    );
    describe_gauge!(
        crate::store::BATCH_WRITERS,
        "Batch writer tasks of each kind (intake, transition, lease); the rate of \
         hotline_batch_write_seconds_sum divided by it is the share of them busy: near 1, \
         writes queue behind the writers."
    );
    describe_histogram!(
        crate::store::LOG_SYNC_SECONDS,
        metrics::Unit::Seconds,
        "SQLite: time each sync of the write-ahead log took after a batch's commit; the \
         batch's callers are answered when it returns, while the next batch is written."
    );
    describe_gauge!(
        crate::store::LOG_FRAMES,
        "SQLite: pages in the write-ahead log at the last checkpoint pass; past its bound the \
         writer copies the log back between batches so that the next one starts it over."
    );
    describe_counter!(
        crate::store::BATCHES_WRITTEN_ONE_BY_ONE,
        "Batches written again one write at a time after their transaction failed, by writer \
         (intake, transition): each such batch had a write the database refused."
    );
    describe_histogram!(
        grpc::DURATION,
        metrics::Unit::Seconds,
        "gRPC call durations by service and method (a stream: its whole life)."
    );
}

/// A unit id as a label value: only ids of the catalogue, so labels stay bounded.
fn unit_label(units: &UnitCatalog, unit: Option<&str>) -> String {
    match unit {
        Some(id) if units.get(id).is_some() => id.to_string(),
        Some(_) => "unknown".to_string(),
        None => "none".to_string(),
    }
}

/// The unit a ticket was newly put in front of, if `after` is a fresh assignment.
fn newly_assigned<'t>(before: Option<&Ticket>, after: &'t Ticket) -> Option<&'t str> {
    let fresh = after.state == State::Dispatched
        && before.is_none_or(|b| b.dispatched_at != after.dispatched_at);
    fresh.then_some(after.assigned_unit.as_deref()).flatten()
}

/// How a ticket's loop ended, if `after` ends it.
fn closing_outcome(before: Option<&Ticket>, after: &Ticket) -> Option<&'static str> {
    if before.is_some_and(|b| b.state.is_finished()) || !after.state.is_finished() {
        return None;
    }
    Some(match after.state {
        State::Closed => match &after.callback {
            Some(c) if c.satisfaction == Satisfaction::Declined => "declined",
            Some(c) if c.resolved => "resolved",
            Some(_) => "unresolved",
            None => "answered",
        },
        State::Transferred => "transferred",
        State::Refused => "refused",
        State::Merged => "merged",
        // Archiving starts from a finished state, so it never gets here.
        _ => return None,
    })
}

/// Counts the assignment and the end of the loop a step made. `desk` is the acting unit,
/// named when no unit holds the ticket.
fn observe(before: Option<&Ticket>, after: &Ticket, desk: &str, units: &UnitCatalog) {
    if let Some(unit) = newly_assigned(before, after) {
        counter!("hotline_tickets_dispatched_total", "unit" => unit_label(units, Some(unit)))
            .increment(1);
    }
    if let Some(outcome) = closing_outcome(before, after) {
        let holder = before
            .and_then(|b| b.assigned_unit.as_deref())
            .or(after.assigned_unit.as_deref())
            .unwrap_or(desk);
        counter!("hotline_tickets_closed_total", "unit" => unit_label(units, Some(holder)), "outcome" => outcome)
            .increment(1);
    }
}

/// Counts a ticket just opened at the intake desk `desk`.
pub fn ticket_opened(ticket: &Ticket, desk: &str, units: &UnitCatalog) {
    ticket_created(ticket.intake.channel.code(), ticket.disposition.code());
    observe(None, ticket, desk, units);
}

fn ticket_created(channel: &'static str, outcome: &'static str) {
    counter!("hotline_tickets_created_total", "channel" => channel, "outcome" => outcome)
        .increment(1);
}

/// Counts a committed transition (and, for a callback, its verdict).
pub fn committed(
    before: &Ticket,
    transition: &Transition,
    command: &'static str,
    units: &UnitCatalog,
) {
    counter!("hotline_transitions_total", "command" => command).increment(1);
    observe(
        Some(before),
        &transition.ticket,
        &transition.event.actor.unit,
        units,
    );
    if let ("record_callback", Some(callback)) = (command, &transition.ticket.callback) {
        callback_recorded(callback.satisfaction.code(), callback.resolved);
    }
}

pub fn rules_reloaded(trigger: &'static str, ok: bool) {
    let result = if ok { "ok" } else { "rejected" };
    counter!("hotline_rule_reloads_total", "trigger" => trigger, "result" => result).increment(1);
}

pub fn tls_reloaded(trigger: &'static str, ok: bool) {
    let result = if ok { "ok" } else { "rejected" };
    counter!("hotline_tls_reloads_total", "trigger" => trigger, "result" => result).increment(1);
}

/// What the last health probe found.
pub fn database_up(up: bool) {
    gauge!("hotline_database_up").set(if up { 1.0 } else { 0.0 });
}

pub fn pulled(count: usize) {
    counter!("hotline_tickets_pulled_total").increment(count as u64);
}

fn callback_recorded(satisfaction: &'static str, resolved: bool) {
    let resolved = if resolved { "true" } else { "false" };
    counter!("hotline_callbacks_total", "satisfaction" => satisfaction, "resolved" => resolved)
        .increment(1);
}

use crate::domain::access::Role;

/// Serves `/metrics` until `shutdown` resolves; returns the bound address. With `tokens`,
/// a scrape needs `authorization: Bearer <token>` of a centre or admin token (the rates of
/// every unit are there): 401 without a live token, 403 for another role.
pub async fn serve(
    addr: SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    tokens: Option<std::sync::Arc<crate::auth::cache::TokenCache>>,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    use axum::http::{HeaderMap, StatusCode, header};
    use axum::response::IntoResponse;
    let handle = handle();
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move |headers: HeaderMap| {
            let (handle, tokens) = (handle.clone(), tokens.clone());
            async move {
                if let Some(tokens) = tokens {
                    let principal = match crate::auth::layer::bearer(&headers) {
                        Some(presented) => tokens.authenticate(presented).await,
                        None => None,
                    };
                    match principal.map(|p| p.role) {
                        Some(Role::Centre | Role::Admin) => {}
                        Some(_) => return StatusCode::FORBIDDEN.into_response(),
                        None => {
                            return (
                                StatusCode::UNAUTHORIZED,
                                [(header::WWW_AUTHENTICATE, "Bearer")],
                            )
                                .into_response();
                        }
                    }
                }
                process::collect();
                handle.render().into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(error = %e, "metrics listener failed");
        }
    });
    Ok((bound, task))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CallbackResult, Disposition, Intake};

    fn ticket(state: State, callback: Option<(bool, Satisfaction)>) -> Ticket {
        let intake = Intake::sample();
        let mut t = Ticket::received(
            intake,
            Disposition::Dispatch {
                unit: None,
                co_units: vec![],
            },
            chrono::Utc::now(),
        );
        t.state = state;
        t.callback = callback.map(|(resolved, satisfaction)| CallbackResult {
            resolved,
            satisfaction,
            note: String::new(),
            at: t.created_at,
        });
        t
    }

    #[test]
    fn each_way_a_loop_ends_has_one_bounded_outcome() {
        use Satisfaction::*;
        let open = ticket(State::AwaitingCallback, None);
        let cases = [
            (
                ticket(State::Closed, Some((true, Satisfied))),
                Some("resolved"),
            ),
            (
                ticket(State::Closed, Some((false, Satisfied))),
                Some("unresolved"),
            ),
            (
                ticket(State::Closed, Some((false, Dissatisfied))),
                Some("unresolved"),
            ),
            (
                ticket(State::Closed, Some((false, Declined))),
                Some("declined"),
            ),
            (ticket(State::Closed, None), Some("answered")),
            (ticket(State::Transferred, None), Some("transferred")),
            (ticket(State::Refused, None), Some("refused")),
            (ticket(State::Merged, None), Some("merged")),
            // Reopened by the callback: the loop goes on.
            (ticket(State::InProgress, Some((false, Dissatisfied))), None),
        ];
        for (after, expected) in cases {
            assert_eq!(
                closing_outcome(Some(&open), &after),
                expected,
                "{}",
                after.state
            );
        }
        // Archiving a closed ticket ends nothing new.
        let closed = ticket(State::Closed, Some((true, Satisfied)));
        assert_eq!(
            closing_outcome(Some(&closed), &ticket(State::Archived, None)),
            None
        );
    }

    #[test]
    fn unit_labels_come_from_the_catalogue_only() {
        let units = crate::config::built_in_units();
        assert_eq!(unit_label(&units, Some("xuanwu-01")), "xuanwu-01");
        assert_eq!(unit_label(&units, Some("not-a-unit")), "unknown");
        assert_eq!(unit_label(&units, None), "none");
    }
}
