//! Regional linkage (区域联动) between two daemons: A (the shipped Nanjing centre, SQLite or
//! PostgreSQL) has B as partner for the Shanghai codes (`31…`); B (SQLite) is a centre
//! that knows Huangpu district (310101). A ticket created on A for a place in Huangpu is
//! handed to B exactly once, B's progress and reply come back onto A's ticket, and a
//! partner that is down only delays the hand-off (pending, retried with backoff).

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::postgres::TestDatabase;
use common::server::{Backend, actor};
use hotline::auth::client::AuthedChannel;
use hotline::domain::access::Role;
use hotline::proto::{
    self, center_service_client::CenterServiceClient,
    dispatch_service_client::DispatchServiceClient, feedback_service_client::FeedbackServiceClient,
    intake_service_client::IntakeServiceClient, linkage_service_client::LinkageServiceClient,
};
use hotline::rules::RulePaths;
use hotline::server::{self, RunningServer, ServerConfig};
use tonic::transport::Channel;

const HUANGPU: &str = "310101";

struct Daemon {
    running: RunningServer,
    /// Carries an admin token of this daemon's database.
    channel: AuthedChannel,
    token: String,
    url: String,
    rule_paths: RulePaths,
    _dir: tempfile::TempDir,
    postgres: Option<TestDatabase>,
}

impl Daemon {
    async fn start(
        backend: Backend,
        addr: SocketAddr,
        rule_paths: RulePaths,
        dir: tempfile::TempDir,
    ) -> Daemon {
        let (url, postgres) = match backend {
            Backend::Sqlite => (
                format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("hotline.db").display()
                ),
                None,
            ),
            Backend::Postgres => {
                let db = TestDatabase::create().await;
                (db.url.clone(), Some(db))
            }
        };
        let token = common::auth::admin_token(&url).await;
        let (running, channel) = boot(&url, addr, &rule_paths, &token).await;
        Daemon {
            running,
            channel,
            token,
            url,
            rule_paths,
            _dir: dir,
            postgres,
        }
    }

    /// Stops the daemon and starts it again on the same database.
    async fn restart(mut self) -> Daemon {
        self.running.shutdown().await.expect("clean shutdown");
        let (running, channel) = boot(&self.url, free_addr(), &self.rule_paths, &self.token).await;
        self.running = running;
        self.channel = channel;
        self
    }

    async fn stop(self) {
        self.running.shutdown().await.expect("clean shutdown");
        if let Some(db) = self.postgres {
            db.drop_db().await;
        }
    }

    /// Makes a centre token of this daemon, the credential a partner calls it with, and
    /// writes it where the partner's `partners.toml` reads it (`token_file`).
    async fn issue_partner_token(&self, path: &Path) {
        let token = common::auth::token_in(&self.url, Role::Centre).await;
        std::fs::write(path, token).unwrap();
    }

    fn intake(&self) -> IntakeServiceClient<AuthedChannel> {
        IntakeServiceClient::new(self.channel.clone())
    }
    fn linkage(&self) -> LinkageServiceClient<AuthedChannel> {
        LinkageServiceClient::new(self.channel.clone())
    }
    fn dispatch(&self) -> DispatchServiceClient<AuthedChannel> {
        DispatchServiceClient::new(self.channel.clone())
    }

    async fn get(&self, id: i64) -> proto::Ticket {
        self.intake()
            .get_ticket(proto::GetTicketRequest {
                ticket_id: id,
                include_history: true,
            })
            .await
            .expect("the ticket exists")
            .into_inner()
            .ticket
            .unwrap()
    }

    async fn tickets(&self) -> Vec<proto::Ticket> {
        self.intake()
            .search_tickets(proto::SearchTicketsRequest {
                page_size: 200,
                ..Default::default()
            })
            .await
            .expect("search")
            .into_inner()
            .tickets
    }

    async fn hand_offs(&self) -> Vec<proto::HandOff> {
        self.linkage()
            .list_hand_offs(proto::ListHandOffsRequest::default())
            .await
            .expect("list hand-offs")
            .into_inner()
            .hand_offs
    }
}

/// B: the shipped catalogue plus Huangpu district, so a Shanghai code is its own.
fn partner_rules(dir: &Path) -> RulePaths {
    let units = std::fs::read_to_string("config/units.toml").unwrap()
        + "\n[[unit]]\nid = \"huangpu\"\nname = \"黄浦区人民政府\"\nkind = \"district\"\nregion = \"310101\"\n";
    let path = dir.join("units.toml");
    std::fs::write(&path, units).unwrap();
    RulePaths {
        units: Some(path),
        ..Default::default()
    }
}

/// Where A reads its credential for B (written by [`Daemon::issue_partner_token`]).
fn partner_token_path(dir: &Path) -> PathBuf {
    dir.join("partner.token")
}

/// A: the shipped rules and one partner, B, for the Shanghai codes; fast timings.
fn origin_rules(dir: &Path, partner: SocketAddr) -> RulePaths {
    let token_file = partner_token_path(dir);
    let partners = format!(
        "[linkage]\ncentre = \"nanjing\"\nretry_initial_ms = 100\nretry_max_ms = 400\npoll_ms = 100\n\n\
         [[partner]]\nid = \"partner-sh\"\nname = \"上海市12345\"\nzone = \"长三角\"\n\
         regions = [\"31\"]\naddress = \"http://{partner}\"\ntoken_file = {:?}\n",
        token_file.to_str().expect("a UTF-8 temporary path")
    );
    let path: PathBuf = dir.join("partners.toml");
    std::fs::write(&path, partners).unwrap();
    RulePaths {
        partners: Some(path),
        ..Default::default()
    }
}

async fn boot(
    url: &str,
    addr: SocketAddr,
    rule_paths: &RulePaths,
    token: &str,
) -> (RunningServer, AuthedChannel) {
    let running = server::start(ServerConfig {
        grpc_addr: addr,
        metrics_addr: None,
        rule_paths: rule_paths.clone(),
        shutdown_grace: Duration::from_secs(5),
        ..ServerConfig::local(url)
    })
    .await
    .expect("the daemon starts");
    let channel = Channel::from_shared(format!("http://{}", running.grpc_addr))
        .unwrap()
        .connect()
        .await
        .expect("the daemon accepts connections");
    (running, common::auth::with_token(channel, Some(token)))
}

fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

fn huangpu_request(request_id: &str) -> proto::CreateTicketRequest {
    proto::CreateTicketRequest {
        request_id: request_id.into(),
        actor: actor("centre", "agent-007"),
        channel: proto::Channel::Phone as i32,
        title: "外滩附近路灯损坏".into(),
        description:
            "市民在南京来电反映：上海市黄浦区中山东一路三盏路灯坏了两周，晚上很黑，希望尽快修复。"
                .into(),
        region: HUANGPU.into(),
        address: "黄浦区中山东一路".into(),
        requester: Some(proto::Requester {
            name: "王女士".into(),
            phone: "13800138000".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Polls `check` every 50 ms until it answers `Some`, for at most 15 s.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn command(ticket: &proto::Ticket, unit: &str) -> proto::TicketCommand {
    proto::TicketCommand {
        ticket_id: ticket.id,
        expected_version: ticket.version,
        actor: actor(unit, "clerk-1"),
        reason: "已联系市民".into(),
    }
}

async fn hand_off_round_trip(backend: Backend) {
    let b_dir = tempfile::tempdir().unwrap();
    let b_rules = partner_rules(b_dir.path());
    let b = Daemon::start(Backend::Sqlite, free_addr(), b_rules, b_dir).await;
    let a_dir = tempfile::tempdir().unwrap();
    let a_rules = origin_rules(a_dir.path(), b.running.grpc_addr);
    b.issue_partner_token(&partner_token_path(a_dir.path()))
        .await;
    let a = Daemon::start(backend, free_addr(), a_rules, a_dir).await;

    let created = a
        .intake()
        .create_ticket(huangpu_request("linkage-1"))
        .await
        .expect("a ticket for a partner's region is accepted")
        .into_inner()
        .ticket
        .unwrap();
    assert_eq!(created.state, proto::TicketState::Dispatched as i32);
    assert_eq!(created.assigned_unit, "partner-sh");

    let sent = eventually("the hand-off is sent", || async {
        a.hand_offs()
            .await
            .into_iter()
            .find(|h| h.status != "pending")
    })
    .await;
    assert_eq!(sent.ticket_id, created.id);
    assert_eq!(sent.attempts, 1, "{sent:?}");
    let on_b = b.get(sent.partner_ticket_id).await;
    assert_eq!(on_b.region, HUANGPU);
    assert_eq!(on_b.description, created.description);
    assert_eq!(
        b.tickets().await.len(),
        1,
        "exactly one ticket on the partner"
    );
    let unit = on_b.assigned_unit.clone();
    assert!(!unit.is_empty(), "B's intake dispatched it: {on_b:?}");

    // B's unit walks its loop; A's ticket follows as the partner unit's steps.
    let d = b.dispatch();
    let t = d
        .clone()
        .sign(command(&on_b, &unit))
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
    eventually("A sees the partner sign", || async {
        (a.get(created.id).await.state == proto::TicketState::Signed as i32).then_some(())
    })
    .await;
    let t = d
        .clone()
        .respond(command(&t, &unit))
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
    let t = d
        .clone()
        .handle(command(&t, &unit))
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
    d.clone()
        .reply(proto::ReplyRequest {
            ticket_id: t.id,
            expected_version: t.version,
            actor: actor(&unit, "clerk-1"),
            reply: "三盏路灯已更换灯具，恢复照明。".into(),
        })
        .await
        .unwrap();

    let replied = eventually("A's ticket carries the partner's reply", || async {
        let t = a.get(created.id).await;
        (t.state == proto::TicketState::Replied as i32).then_some(t)
    })
    .await;
    assert_eq!(replied.reply, "三盏路灯已更换灯具，恢复照明。");
    let steps: Vec<_> = replied
        .history
        .iter()
        .filter(|e| e.actor.as_ref().is_some_and(|a| a.unit == "partner-sh"))
        .map(|e| e.command.as_str())
        .collect();
    assert_eq!(steps, ["sign", "respond", "handle", "reply"]);
    eventually("the hand-off waits for the partner to close", || async {
        a.hand_offs()
            .await
            .into_iter()
            .find(|h| h.status == "replied")
    })
    .await;

    // B's centre accepts the reply and calls its requester back: B's ticket is closed, and
    // A's ticket says so, as a note of the partner unit; the hand-off is then done.
    let on_b = b.get(sent.partner_ticket_id).await;
    let reviewed = CenterServiceClient::new(b.channel.clone())
        .review_reply(proto::ReviewRequest {
            ticket_id: on_b.id,
            expected_version: on_b.version,
            actor: actor("centre", "reviewer-1"),
            approve: true,
            reason: String::new(),
        })
        .await
        .expect("B's centre accepts the reply")
        .into_inner()
        .ticket
        .unwrap();
    let closed = FeedbackServiceClient::new(b.channel.clone())
        .record_callback(proto::RecordCallbackRequest {
            ticket_id: reviewed.id,
            expected_version: reviewed.version,
            actor: actor("centre", "caller-1"),
            resolved: true,
            satisfaction: proto::Satisfaction::Satisfied as i32,
            reopen: false,
            note: String::new(),
        })
        .await
        .expect("B calls back")
        .into_inner()
        .ticket
        .unwrap();
    assert_eq!(closed.state, proto::TicketState::Closed as i32);
    eventually("the hand-off is done", || async {
        a.hand_offs().await.into_iter().find(|h| h.status == "done")
    })
    .await;
    let noted = a.get(created.id).await;
    let closure = noted
        .history
        .iter()
        .find(|e| e.command == "add_note")
        .expect("A's ticket records the partner's closure");
    assert_eq!(closure.actor.as_ref().unwrap().unit, "partner-sh");
    assert!(closure.reason.contains("已办结"), "{closure:?}");
    assert_eq!(b.tickets().await.len(), 1);

    // What the centre sees from the shell.
    let server = format!("http://{}", a.running.grpc_addr);
    let token = a.token.clone();
    let cli = |args: Vec<String>| {
        let token = token.clone();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            common::cli::hotline_as(&token, &args)
        })
    };
    let args = |extra: &[&str]| {
        ["linkage", "list", "--server", &server]
            .iter()
            .chain(extra)
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    };
    let out = cli(args(&[])).await.unwrap();
    let table = common::cli::text(&out.stdout);
    assert!(out.status.success(), "{}", common::cli::text(&out.stderr));
    assert!(
        table.contains("partner-sh") && table.contains("done") && table.contains("1 hand-off(s)"),
        "{table}"
    );
    let out = cli(args(&["--status", "pending", "--json"])).await.unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("--json is JSON");
    assert!(
        json.get("handOffs")
            .is_none_or(|h| h.as_array().unwrap().is_empty()),
        "{json}"
    );

    a.stop().await;
    b.stop().await;
}

/// A bad partners file stops the daemon from starting, naming file, line and key.
#[test]
fn a_bad_partners_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("partners.toml");
    std::fs::write(
        &path,
        "[linkage]\ncentre = \"nanjing\"\n\n[[partner]]\nid = \"partner-sh\"\nname = \"上海\"\n\
         zone = \"长三角\"\nregions = [\"31\"]\naddress = \"12345.sh\"\n",
    )
    .unwrap();
    common::cli::assert_serve_refuses(
        "--partners",
        &path,
        "partners.toml:9: partner `partner-sh`.address",
    );
}

async fn partner_down_then_up(backend: Backend) {
    let b_addr = free_addr();
    let a_dir = tempfile::tempdir().unwrap();
    let a_rules = origin_rules(a_dir.path(), b_addr);
    let token_path = partner_token_path(a_dir.path());
    let a = Daemon::start(backend, free_addr(), a_rules, a_dir).await;
    let created = a
        .intake()
        .create_ticket(huangpu_request("linkage-down"))
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();

    let pending = eventually("attempts grow while the partner is down", || async {
        a.hand_offs().await.into_iter().find(|h| h.attempts >= 3)
    })
    .await;
    assert_eq!(pending.status, "pending");
    assert_eq!(pending.ticket_id, created.id);
    assert!(!pending.last_error.is_empty(), "{pending:?}");
    let next = pending.next_attempt_at.unwrap();
    let created_at = pending.created_at.unwrap();
    assert!(
        (next.seconds, next.nanos) > (created_at.seconds, created_at.nanos),
        "backoff puts the next attempt later: {pending:?}"
    );

    let b_dir = tempfile::tempdir().unwrap();
    let b_rules = partner_rules(b_dir.path());
    let b = Daemon::start(Backend::Sqlite, b_addr, b_rules, b_dir).await;
    b.issue_partner_token(&token_path).await;
    let sent = eventually("delivered once the partner is up", || async {
        a.hand_offs().await.into_iter().find(|h| h.status == "sent")
    })
    .await;
    assert_eq!(b.tickets().await.len(), 1);

    // The answer lost and the hand-off sent again (or A restarted before recording it):
    // the partner answers with the ticket the first delivery opened.
    let again = b
        .linkage()
        .accept_hand_off(proto::AcceptHandOffRequest {
            hand_off_id: sent.hand_off_id.clone(),
            origin: "nanjing".into(),
            origin_ticket_id: created.id,
            channel: proto::Channel::Phone as i32,
            title: created.title.clone(),
            description: created.description.clone(),
            region: HUANGPU.into(),
            address: created.address.clone(),
            requester: created.requester.clone(),
        })
        .await
        .expect("a retry is accepted")
        .into_inner();
    assert_eq!(again.partner_ticket_id, sent.partner_ticket_id);
    assert!(!again.created);
    assert_eq!(
        b.tickets().await.len(),
        1,
        "never two tickets for one hand-off"
    );

    // A restarts: its sender goes on following the hand-off, never opening a second.
    let a = a.restart().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(b.tickets().await.len(), 1);
    let after = a.hand_offs().await;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0].partner_ticket_id, sent.partner_ticket_id);

    a.stop().await;
    b.stop().await;
}

async fn bad_hand_offs_are_refused(backend: Backend) {
    let b_dir = tempfile::tempdir().unwrap();
    let b_rules = partner_rules(b_dir.path());
    let b = Daemon::start(backend, free_addr(), b_rules, b_dir).await;
    let mut request = proto::AcceptHandOffRequest {
        hand_off_id: "nanjing:1:1".into(),
        origin: "nanjing".into(),
        origin_ticket_id: 1,
        channel: proto::Channel::Phone as i32,
        description: "黄浦区路灯坏了".into(),
        region: "999999".into(),
        ..Default::default()
    };
    let refused = b
        .linkage()
        .accept_hand_off(request.clone())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(refused.message().starts_with("region"), "{refused:?}");
    request.region = HUANGPU.into();
    request.hand_off_id = " ".into();
    let refused = b
        .linkage()
        .accept_hand_off(request.clone())
        .await
        .unwrap_err();
    assert!(refused.message().starts_with("hand_off_id"), "{refused:?}");
    let missing = b
        .linkage()
        .get_hand_off_progress(proto::GetHandOffProgressRequest {
            hand_off_id: "nanjing:9:9".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    assert!(b.tickets().await.is_empty(), "nothing half-written");
    b.stop().await;
}

on_both_backends!(
    hand_off_round_trip,
    partner_down_then_up,
    bad_hand_offs_are_refused
);
