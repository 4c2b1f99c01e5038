//! A replica decides a command on the ticket it remembers at the version the caller sent,
//! without reading it again; when another replica has moved the ticket on meanwhile, the
//! caller still gets exactly the answer a fresh read gives: the version conflict, or, once
//! the ticket has left the unit's desk, the refusal that tells the unit nothing of it.
//! Two daemons on one PostgreSQL database; each answer of the replica that remembers is
//! compared with the same call's answer from the other.

mod common;

use common::metrics::counter;
use common::server::{Backend, TestServer, actor, new_request, pull_desk, ticket_of};
use hotline::auth::client::AuthedChannel;
use hotline::domain::access::Role;
use hotline::proto::{self, dispatch_service_client::DispatchServiceClient};
use tonic::{Code, Status};

const OWNER: &str = "market-12315";

fn command(ticket_id: i64, version: i64, reason: &str) -> proto::TicketCommand {
    proto::TicketCommand {
        ticket_id,
        expected_version: version,
        actor: actor("", "clerk-1"),
        reason: reason.into(),
    }
}

/// Signs, or responds once signed; the refusal.
async fn refused(channel: &AuthedChannel, step: &str, ticket_id: i64, version: i64) -> Status {
    let mut desk = DispatchServiceClient::new(channel.clone());
    let answer = match step {
        "sign" => desk.sign(command(ticket_id, version, "")).await,
        _ => {
            desk.respond(command(ticket_id, version, "已联系来电人"))
                .await
        }
    };
    answer.expect_err("the command is refused")
}

/// Remembered-ticket lookups so far (the daemons of this test share one recorder).
async fn lookups(server: &TestServer, outcome: &str) -> f64 {
    let text = server.metrics_text().await;
    counter(
        &text,
        "hotline_ticket_cache_lookups_total",
        &[("outcome", outcome)],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remembered_ticket_overtaken_elsewhere_gets_the_answer_a_read_gives() {
    let a = TestServer::start(Backend::Postgres).await;
    let owner = a.token("owner", Role::Unit(OWNER.into())).await;
    let b = a.replica().await;
    let (on_a, on_b) = (a.channel_with(Some(&owner)), b.channel_with(Some(&owner)));

    // Created through a, pulled there: a remembers the version it was dispatched at.
    let created = a.create(new_request("remembered-1", Some(OWNER))).await;
    let (id, v) = (created.id, created.version);
    let mut desk_a = DispatchServiceClient::new(on_a.clone());
    let mut desk_b = DispatchServiceClient::new(on_b.clone());
    let pulled = pull_desk(on_a.clone(), "", "clerk-1", 60).await;
    assert!(pulled.iter().any(|t| t.id == id && t.version == v));

    // b signs it: a version a has not seen.
    let signed = ticket_of(desk_b.sign(command(id, v, "")).await.expect("sign on b"));
    assert_eq!(signed.version, v + 1);

    // a is asked to sign at the version it remembers: its remembered ticket allows it,
    // the store refuses the write, and the answer is the conflict a read would give.
    let stale_before = lookups(&a, "stale").await;
    let on_a_stale = refused(&on_a, "sign", id, v).await;
    let on_b_stale = refused(&on_b, "sign", id, v).await;
    assert_eq!(on_a_stale.code(), Code::Aborted, "{on_a_stale:?}");
    assert_eq!(
        (on_a_stale.code(), on_a_stale.message()),
        (on_b_stale.code(), on_b_stale.message())
    );
    assert!(
        lookups(&a, "stale").await > stale_before,
        "a decided on its remembered ticket"
    );

    // a reads the signed ticket, so remembers it; then b escalates it off the owner's
    // desk. a, asked at the signed version, must not tell the unit the version now.
    assert_eq!(a.get(id).await.version, signed.version);
    let escalated = ticket_of(
        desk_b
            .escalate(command(id, signed.version, "需上级部门协调"))
            .await
            .expect("escalate on b"),
    );
    assert_ne!(escalated.assigned_unit, OWNER);
    let stale_before = lookups(&a, "stale").await;
    let on_a_gone = refused(&on_a, "respond", id, signed.version).await;
    let on_b_gone = refused(&on_b, "respond", id, signed.version).await;
    assert_eq!(on_a_gone.code(), Code::PermissionDenied, "{on_a_gone:?}");
    assert_eq!(
        (on_a_gone.code(), on_a_gone.message()),
        (on_b_gone.code(), on_b_gone.message())
    );
    assert!(!on_a_gone.message().contains("version"), "{on_a_gone:?}");
    assert!(
        lookups(&a, "stale").await > stale_before,
        "a decided on its remembered ticket"
    );

    // On a ticket nobody else moves, a command at the version a answered goes through
    // without a read: a hit, and the ticket moves on.
    let fresh = a.create(new_request("remembered-2", Some(OWNER))).await;
    let hits_before = lookups(&a, "hit").await;
    let signed = ticket_of(
        desk_a
            .sign(command(fresh.id, fresh.version, ""))
            .await
            .expect("sign"),
    );
    let responded = ticket_of(
        desk_a
            .respond(command(fresh.id, signed.version, "已联系来电人"))
            .await
            .expect("respond on the remembered version"),
    );
    assert_eq!(responded.version, signed.version + 1);
    assert!(lookups(&a, "hit").await > hits_before);
    // What a answered is what is stored.
    let mut stored = a.get(fresh.id).await;
    stored.history.clear();
    assert_eq!(stored, responded);

    b.stop().await;
    a.stop().await;
}
