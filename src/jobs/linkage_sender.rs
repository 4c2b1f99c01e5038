//! The linkage sender: delivers hand-offs to partner centres and brings their progress
//! back (区域联动).
//!
//! Every `poll_ms` it
//! 1. records a hand-off (`linkage_outbox`, pending) for each ticket dispatched to a
//!    partner unit. The ticket row, committed with its dispatch event, is the durable
//!    intent: a daemon that dies before this step finds the ticket again on its next pass,
//!    so no hand-off is lost;
//! 2. claims the hand-offs that are due under a lease (several replicas never work on the
//!    same one at once) and, for a pending one, calls the partner's AcceptHandOff with the
//!    hand-off id as the partner's idempotency key — a retry after a lost answer finds the
//!    ticket the first attempt opened, so the partner never gets two. A failure is retried
//!    with capped, jittered exponential backoff; the row stays pending, visible in
//!    ListHandOffs with its attempts and last error;
//! 3. for a sent one, asks the partner for progress (GetHandOffProgress) and replays it on
//!    our ticket as the partner unit's sign, response, handling and reply; once the reply
//!    is in, the centre reviews it and calls the requester back as for any unit, and the
//!    hand-off is done.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::domain::access::{Principal, Role};
use crate::domain::lifecycle::Command;
use crate::domain::linkage::{self, Partner, PartnerProgress, Partners};
use crate::domain::{Actor, State, TicketId, Timestamp};
use crate::proto::linkage_service_client::LinkageServiceClient;
use crate::proto::{self};
use crate::service::App;
use crate::service::convert::ProtoEnum;
use crate::store::linkage::{HandOffRow, Outcome};

/// Hand-offs claimed per pass; a backlog is worked off over several passes.
const CLAIM: u32 = 32;
/// How long a claim holds: longer than one delivery's timeout.
const LEASE: Duration = Duration::from_secs(60);
/// One call to a partner may take this long.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// Tickets read per query when looking for new hand-offs.
const PAGE: u32 = 500;

pub fn spawn(app: Arc<App>, stop: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let owner = format!("linkage-{}", uuid::Uuid::new_v4());
        loop {
            let partners = app.rules.load().partners.clone();
            if !partners.partners.is_empty() {
                // Stopping mid-pass is safe: a claimed hand-off's lease runs out and the
                // partner's idempotency absorbs a delivery whose answer was not recorded.
                tokio::select! {
                    () = stop.cancelled() => return,
                    done = pass(&app, &partners, &owner) => if let Err(error) = done {
                        tracing::warn!(%error, "linkage pass failed; trying again at the next one");
                    },
                }
            }
            let every = Duration::from_millis(partners.timing.poll_ms);
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    })
}

/// One pass: record new hand-offs, then deliver or follow the due ones.
pub async fn pass(app: &App, partners: &Partners, owner: &str) -> anyhow::Result<()> {
    let now = crate::service::now();
    for partner in &partners.partners {
        record_new(app, partners, partner).await?;
    }
    let lease_until = now + chrono::Duration::from_std(LEASE)?;
    let claimed = app
        .store
        .claim_hand_offs(owner, CLAIM, now, lease_until)
        .await?;
    for row in claimed {
        let outcome = match partners.get(&row.partner) {
            Some(partner) => work(app, partners, partner, &row).await,
            None => Outcome::Failed {
                error: format!("partner `{}` is no longer configured", row.partner),
                next_attempt_at: retry_at(partners, &row),
            },
        };
        if let Outcome::Failed { error, .. } = &outcome {
            metrics::counter!("hotline_linkage_failures_total", "partner" => row.partner.clone())
                .increment(1);
            tracing::warn!(hand_off = %row.hand_off_id, partner = %row.partner, attempts = row.attempts + 1, %error, "hand-off not delivered; retrying later");
        }
        app.store
            .settle_hand_off(&row.hand_off_id, owner, &outcome, crate::service::now())
            .await?;
    }
    let pending = app.store.count_pending_hand_offs().await?;
    metrics::gauge!("hotline_linkage_pending").set(pending as f64);
    Ok(())
}

async fn record_new(app: &App, partners: &Partners, partner: &Partner) -> anyhow::Result<()> {
    let mut after_id = None;
    loop {
        let page = app
            .store
            .tickets_awaiting_hand_off(&partner.id, after_id, PAGE)
            .await?;
        for ticket in &page {
            let Some(dispatched_at) = ticket.dispatched_at else {
                continue;
            };
            let id = linkage::hand_off_id(
                &partners.centre,
                ticket.id,
                dispatched_at.timestamp_millis(),
            );
            app.store
                .enqueue_hand_off(&id, ticket.id, &partner.id, dispatched_at)
                .await?;
        }
        if page.len() < PAGE as usize {
            return Ok(());
        }
        after_id = page.last().map(|t| t.id);
    }
}

fn retry_at(partners: &Partners, row: &HandOffRow) -> Timestamp {
    let wait = linkage::backoff(&partners.timing, row.attempts + 1, fastrand::f64());
    crate::service::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX)
}

fn later(partners: &Partners) -> Timestamp {
    crate::service::now() + chrono::Duration::milliseconds(partners.timing.poll_ms as i64)
}

async fn work(app: &App, partners: &Partners, partner: &Partner, row: &HandOffRow) -> Outcome {
    let ticket = match app.store.get_ticket(row.ticket_id).await {
        Ok(ticket) => ticket,
        Err(error) => {
            return Outcome::Failed {
                error: error.to_string(),
                next_attempt_at: retry_at(partners, row),
            };
        }
    };
    if row.status == "replied" {
        return follow_closure(app, partners, partner, row, &ticket).await;
    }
    // Taken back from the partner (改派, review of a return): nothing more to do here.
    let on_partner_desk =
        ticket.assigned_unit.as_deref() == Some(&partner.id) && ticket.state.is_pullable();
    // Dispatched to the partner again since (退单 then 改派 back): that is a new hand-off.
    let same_dispatch = ticket.dispatched_at.is_some_and(|at| {
        linkage::hand_off_id(&partners.centre, ticket.id, at.timestamp_millis()) == row.hand_off_id
    });
    if !on_partner_desk || !same_dispatch {
        return Outcome::Done;
    }
    let mut client = match connect(partner).await {
        Ok(client) => client,
        Err(error) => {
            return Outcome::Failed {
                error: format!("{error:#}"),
                next_attempt_at: retry_at(partners, row),
            };
        }
    };
    if row.status == "pending" {
        let request = proto::AcceptHandOffRequest {
            hand_off_id: row.hand_off_id.clone(),
            origin: partners.centre.clone(),
            origin_ticket_id: ticket.id,
            channel: ticket.intake.channel.to_proto(),
            title: ticket.intake.title.clone(),
            description: ticket.intake.description.clone(),
            region: ticket.intake.region.clone(),
            address: ticket.intake.address.clone(),
            requester: Some(crate::service::convert::requester(&ticket.intake.requester)),
        };
        return match client.accept_hand_off(authorised(partner, request)).await {
            Ok(answer) => {
                let answer = answer.into_inner();
                metrics::counter!("hotline_linkage_sent_total", "partner" => partner.id.clone())
                    .increment(1);
                tracing::info!(hand_off = %row.hand_off_id, partner = %partner.id, partner_ticket = answer.partner_ticket_id, created = answer.created, "hand-off delivered");
                Outcome::Sent {
                    partner_ticket_id: answer.partner_ticket_id,
                }
            }
            Err(status) => Outcome::Failed {
                error: format!("{:?}: {}", status.code(), status.message()),
                next_attempt_at: retry_at(partners, row),
            },
        };
    }
    let progress = match progress(&mut client, partner, row).await {
        Ok(progress) => progress,
        Err(error) => {
            return Outcome::Failed {
                error,
                next_attempt_at: later(partners),
            };
        }
    };
    match replay(
        app,
        partner,
        ticket.id,
        ticket.version,
        ticket.state,
        &progress,
    )
    .await
    {
        Ok(after) if after.is_pullable() => Outcome::Later {
            next_attempt_at: later(partners),
        },
        // The reply is on our ticket; the partner's closure is what is left to pass on.
        Ok(_) if linkage::partner_finished(progress.state) => {
            note_closure(app, partner, ticket.id, progress.state, partners).await
        }
        Ok(_) => Outcome::Replied {
            next_attempt_at: later(partners),
        },
        Err(error) => Outcome::Failed {
            error: format!("replaying progress: {error}"),
            next_attempt_at: later(partners),
        },
    }
}

/// The partner's ticket as its centre reports it.
async fn progress(
    client: &mut LinkageServiceClient<tonic::transport::Channel>,
    partner: &Partner,
    row: &HandOffRow,
) -> Result<PartnerProgress, String> {
    let request = proto::GetHandOffProgressRequest {
        hand_off_id: row.hand_off_id.clone(),
    };
    let answer = client
        .get_hand_off_progress(authorised(partner, request))
        .await
        .map_err(|status| format!("progress: {:?}: {}", status.code(), status.message()))?
        .into_inner();
    let state = State::from_proto("state", answer.state)
        .map_err(|_| format!("progress: unknown state {}", answer.state))?;
    Ok(PartnerProgress {
        state,
        reply: answer.reply,
    })
}

/// After the reply: asks until the partner's ticket is finished, then notes it on ours.
async fn follow_closure(
    app: &App,
    partners: &Partners,
    partner: &Partner,
    row: &HandOffRow,
    ticket: &crate::domain::Ticket,
) -> Outcome {
    let followed = async {
        let mut client = connect(partner).await.map_err(|e| format!("{e:#}"))?;
        progress(&mut client, partner, row).await
    };
    match followed.await {
        Ok(progress) if linkage::partner_finished(progress.state) => {
            note_closure(app, partner, ticket.id, progress.state, partners).await
        }
        Ok(_) => Outcome::Replied {
            next_attempt_at: later(partners),
        },
        Err(error) => Outcome::Failed {
            error,
            next_attempt_at: later(partners),
        },
    }
}

/// The partner unit's note on our ticket that its own ticket is finished. An archived
/// ticket takes no more notes: then the hand-off simply ends.
async fn note_closure(
    app: &App,
    partner: &Partner,
    ticket_id: TicketId,
    state: State,
    partners: &Partners,
) -> Outcome {
    let note = Command::AddNote {
        note: linkage::closure_note(&partner.name, state),
    };
    let current = match app.current_ticket(ticket_id).await {
        Ok(current) => current,
        Err(error) => {
            return Outcome::Failed {
                error: error.to_string(),
                next_attempt_at: later(partners),
            };
        }
    };
    if current.state == State::Archived {
        return Outcome::Done;
    }
    let (actor, principal) = acting_for(partner);
    match app
        .run(ticket_id, current.version, actor, note, &principal)
        .await
    {
        Ok(_) => Outcome::Done,
        Err(status) => Outcome::Failed {
            error: format!("noting the partner's closure: {}", status.message()),
            next_attempt_at: later(partners),
        },
    }
}

/// The daemon acts for the partner, as the partner's unit, on our ticket alone.
fn acting_for(partner: &Partner) -> (Actor, Principal) {
    let actor = Actor {
        unit: partner.id.clone(),
        person: format!("linkage:{}", partner.id),
    };
    let principal = Principal {
        name: format!("linkage:{}", partner.id),
        role: Role::Unit(partner.id.clone()),
    };
    (actor, principal)
}

/// Takes the partner unit's steps on our ticket; answers the state it ends in.
async fn replay(
    app: &App,
    partner: &Partner,
    ticket_id: TicketId,
    mut version: i64,
    mut state: State,
    progress: &PartnerProgress,
) -> Result<State, tonic::Status> {
    let (actor, principal) = acting_for(partner);
    for command in linkage::catch_up(state, progress, &partner.name) {
        let after = app
            .run(ticket_id, version, actor.clone(), command, &principal)
            .await?;
        version = after.version;
        state = after.state;
    }
    Ok(state)
}

async fn connect(
    partner: &Partner,
) -> anyhow::Result<LinkageServiceClient<tonic::transport::Channel>> {
    let tls = crate::tls::ClientTls {
        ca: partner.ca_file.as_ref().map(Into::into),
        ..Default::default()
    };
    let channel = crate::tls::endpoint(&partner.address, &tls)?
        .connect_timeout(CALL_TIMEOUT)
        .timeout(CALL_TIMEOUT)
        .connect()
        .await
        .map_err(|e| anyhow::anyhow!("connecting to {}: {e}", partner.address))?;
    Ok(LinkageServiceClient::new(channel))
}

/// The request with the partner's bearer token, when one is configured.
fn authorised<T>(partner: &Partner, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Some(token) = token(partner)
        && let Ok(value) = format!("Bearer {token}").parse()
    {
        request.metadata_mut().insert("authorization", value);
    }
    request
}

fn token(partner: &Partner) -> Option<String> {
    if let Some(var) = &partner.token_env
        && let Ok(token) = std::env::var(var)
        && !token.trim().is_empty()
    {
        return Some(token.trim().to_string());
    }
    let file = partner.token_file.as_ref()?;
    let text = std::fs::read_to_string(file).ok()?;
    text.lines()
        .next()
        .map(|l| l.trim().to_string())
        .filter(|t| !t.is_empty())
}
