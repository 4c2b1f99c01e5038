//! Prometheus metrics: one process-wide recorder, served on `/metrics` by a small HTTP
//! listener per daemon. Label values are bounded (commands, channels, outcomes), never
//! personal data or free text.

use std::net::SocketAddr;
use std::sync::OnceLock;

use metrics::{counter, describe_counter};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the global recorder on first use and returns a handle that renders it.
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed; /metrics will stay empty");
            }
            describe();
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
        "hotline_callbacks_total",
        "Callbacks recorded, by satisfaction and resolution."
    );
    crate::metrics_deadlines::describe();
}

pub fn ticket_created(channel: &'static str, outcome: &'static str) {
    counter!("hotline_tickets_created_total", "channel" => channel, "outcome" => outcome)
        .increment(1);
}

/// Counts a committed transition (and, for a callback, its verdict).
pub fn committed(transition: &crate::domain::Transition, command: &'static str) {
    counter!("hotline_transitions_total", "command" => command).increment(1);
    if let ("record_callback", Some(callback)) = (command, &transition.ticket.callback) {
        callback_recorded(callback.satisfaction.code(), callback.resolved);
    }
}

pub fn rules_reloaded(trigger: &'static str, ok: bool) {
    let result = if ok { "ok" } else { "rejected" };
    counter!("hotline_rule_reloads_total", "trigger" => trigger, "result" => result).increment(1);
}

pub fn pulled(count: usize) {
    counter!("hotline_tickets_pulled_total").increment(count as u64);
}

fn callback_recorded(satisfaction: &'static str, resolved: bool) {
    let resolved = if resolved { "true" } else { "false" };
    counter!("hotline_callbacks_total", "satisfaction" => satisfaction, "resolved" => resolved)
        .increment(1);
}

/// Serves `/metrics` until `shutdown` resolves; returns the bound address.
pub async fn serve(
    addr: SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let handle = handle();
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let handle = handle.clone();
            async move { handle.render() }
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
