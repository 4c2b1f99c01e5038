//! A real `hotline` daemon for end-to-end tests: started in-process on free ports against a
//! fresh SQLite file or a PostgreSQL database of its own, and talked to over gRPC.

use std::net::SocketAddr;
use std::time::Duration;

use hotline::auth::AuthConfig;
use hotline::auth::client::AuthedChannel;
use hotline::domain::access::Role;
use hotline::proto::{
    self, center_service_client::CenterServiceClient,
    dispatch_service_client::DispatchServiceClient, feedback_service_client::FeedbackServiceClient,
    intake_service_client::IntakeServiceClient, report_service_client::ReportServiceClient,
};
use hotline::rules::RulePaths;
use hotline::server::{self, RunningServer, ServerConfig};
use tonic::transport::Channel;

use super::postgres::TestDatabase;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What a test may change about the daemon it starts.
#[derive(Debug, Clone)]
pub struct Options {
    /// Rule files (e.g. deadlines with second-long windows); `None`s: the shipped ones.
    pub rule_paths: RulePaths,
    pub watch_rules: bool,
    pub scan_interval: Duration,
    /// Tokens (the default, refreshed every 5 s) or none.
    pub auth: AuthConfig,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            rule_paths: RulePaths::default(),
            watch_rules: false,
            scan_interval: hotline::jobs::deadline_scanner::DEFAULT_INTERVAL,
            auth: AuthConfig::default(),
        }
    }
}

pub struct TestServer {
    running: Option<RunningServer>,
    options: Options,
    database_url: String,
    _sqlite_dir: Option<tempfile::TempDir>,
    postgres: Option<TestDatabase>,
    /// A connection whose calls carry an admin token the server made at start.
    pub channel: AuthedChannel,
    /// The connection without credentials.
    pub bare: Channel,
    /// The admin token `channel` carries.
    pub admin_token: String,
}

async fn boot(database_url: &str, options: &Options) -> RunningServer {
    server::start(ServerConfig {
        rule_paths: options.rule_paths.clone(),
        watch_rules: options.watch_rules,
        shutdown_grace: Duration::from_secs(5),
        scan_interval: options.scan_interval,
        auth: options.auth,
        // Often, so that tests see the rate gauges follow the store within a second.
        rate_gauges_every: Duration::from_millis(250),
        ..ServerConfig::local(database_url)
    })
    .await
    .expect("the daemon starts")
}

async fn connect(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("valid uri")
        .connect()
        .await
        .expect("the daemon accepts connections")
}

impl TestServer {
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, Options::default()).await
    }

    /// A daemon that reads this assessment file instead of the shipped one.
    pub async fn start_with_assessment(
        backend: Backend,
        assessment: Option<std::path::PathBuf>,
    ) -> Self {
        let options = Options {
            rule_paths: RulePaths {
                assessment,
                ..Default::default()
            },
            ..Default::default()
        };
        Self::start_with(backend, options).await
    }

    pub async fn start_with(backend: Backend, options: Options) -> Self {
        let (database_url, sqlite_dir, postgres) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("hotline.db").display()
                );
                (url, Some(dir), None)
            }
            Backend::Postgres => {
                let db = TestDatabase::create().await;
                (db.url.clone(), None, Some(db))
            }
        };
        let running = boot(&database_url, &options).await;
        let bare = connect(running.grpc_addr).await;
        let mut server = TestServer {
            running: Some(running),
            options,
            database_url,
            _sqlite_dir: sqlite_dir,
            postgres,
            channel: super::auth::with_token(bare.clone(), None),
            bare,
            admin_token: String::new(),
        };
        server.admin_token = server.token("test-admin", Role::Admin).await;
        server.channel = server.channel_with(Some(&server.admin_token));
        server
    }

    /// Makes a token of `role` named `name` and lets the daemon know it at once.
    pub async fn token(&self, name: &str, role: Role) -> String {
        let running = self.running();
        let (_, secret) = hotline::auth::issue(&*running.store, name, &role)
            .await
            .expect("the token is made");
        running.refresh_tokens().await;
        secret
    }

    /// Revokes a token by name, in the database only (the daemon learns it on refresh).
    pub async fn revoke(&self, name: &str) {
        self.running()
            .store
            .revoke_token(name, hotline::service::now())
            .await
            .expect("revoke")
            .expect("the token exists");
    }

    /// Lets the daemon read the token table now, as SIGHUP does.
    pub async fn refresh_tokens(&self) {
        self.running().refresh_tokens().await;
    }

    /// The connection with `token` (or no credentials) on every call.
    pub fn channel_with(&self, token: Option<&str>) -> AuthedChannel {
        super::auth::with_token(self.bare.clone(), token)
    }

    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    fn running(&self) -> &RunningServer {
        self.running.as_ref().expect("server is running")
    }

    pub fn grpc_addr(&self) -> SocketAddr {
        self.running().grpc_addr
    }

    pub fn metrics_addr(&self) -> SocketAddr {
        self.running().metrics_addr.expect("metrics enabled")
    }

    /// The body of GET /metrics.
    pub async fn metrics_text(&self) -> String {
        super::metrics::scrape(self.metrics_addr()).await
    }

    /// Stops the daemon gracefully and starts a new one on the same database.
    pub async fn restart(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await.expect("clean shutdown");
        }
        let running = boot(&self.database_url, &self.options).await;
        self.bare = connect(running.grpc_addr).await;
        self.channel = self.channel_with(Some(&self.admin_token));
        self.running = Some(running);
    }

    /// Another daemon on this server's database with its options, as a second replica
    /// behind the same balancer would be. It knows the tokens made before it started.
    pub async fn replica(&self) -> Replica {
        let running = boot(&self.database_url, &self.options).await;
        let bare = connect(running.grpc_addr).await;
        Replica { running, bare }
    }

    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await.expect("clean shutdown");
        }
        if let Some(db) = self.postgres.take() {
            db.drop_db().await;
        }
    }

    pub fn knowledge(
        &self,
    ) -> hotline::proto::knowledge_service_client::KnowledgeServiceClient<AuthedChannel> {
        hotline::proto::knowledge_service_client::KnowledgeServiceClient::new(self.channel.clone())
    }

    pub fn intake(&self) -> IntakeServiceClient<AuthedChannel> {
        IntakeServiceClient::new(self.channel.clone())
    }
    pub fn dispatch(&self) -> DispatchServiceClient<AuthedChannel> {
        DispatchServiceClient::new(self.channel.clone())
    }
    pub fn center(&self) -> CenterServiceClient<AuthedChannel> {
        CenterServiceClient::new(self.channel.clone())
    }
    pub fn feedback(&self) -> FeedbackServiceClient<AuthedChannel> {
        FeedbackServiceClient::new(self.channel.clone())
    }
    pub fn report(&self) -> ReportServiceClient<AuthedChannel> {
        ReportServiceClient::new(self.channel.clone())
    }
}

/// A second daemon on a [`TestServer`]'s database ([`TestServer::replica`]).
pub struct Replica {
    running: RunningServer,
    bare: Channel,
}

impl Replica {
    /// The connection with `token` (or no credentials) on every call.
    pub fn channel_with(&self, token: Option<&str>) -> AuthedChannel {
        super::auth::with_token(self.bare.clone(), token)
    }

    pub async fn stop(self) {
        self.running.shutdown().await.expect("clean shutdown");
    }
}

/// PullAssigned for up to ten tickets of `unit` (empty: a unit token's own), leased to
/// `worker`; the tickets it answered.
pub async fn pull_desk(
    channel: AuthedChannel,
    unit: &str,
    worker: &str,
    lease_seconds: u32,
) -> Vec<proto::Ticket> {
    DispatchServiceClient::new(channel)
        .pull_assigned(proto::PullAssignedRequest {
            unit: unit.into(),
            worker: worker.into(),
            max_tickets: 10,
            lease_seconds,
        })
        .await
        .expect("the desk is pulled")
        .into_inner()
        .tickets
}

pub fn actor(unit: &str, person: &str) -> Option<proto::Actor> {
    Some(proto::Actor {
        unit: unit.to_string(),
        person: person.to_string(),
    })
}

/// A realistic complaint about a broken street lamp, to be dispatched to `unit` (or queued).
pub fn new_request(request_id: &str, unit: Option<&str>) -> proto::CreateTicketRequest {
    proto::CreateTicketRequest {
        request_id: request_id.to_string(),
        actor: actor("centre", "agent-007"),
        channel: proto::Channel::Phone as i32,
        line: "12345".into(),
        request_type: proto::RequestType::Complaint as i32,
        policy_domain: proto::PolicyDomain::PublicServices as i32,
        category: "urban_rural_construction".into(),
        urgency: proto::Urgency::General as i32,
        title: "小区门口路灯损坏".into(),
        description: "玄武区新街口街道某小区门口三盏路灯已经坏了两周，晚上很黑，老人出行不安全，希望尽快修复。".into(),
        region: "320102001".into(),
        address: "玄武区新街口街道中山路1号".into(),
        requester: Some(proto::Requester {
            name: "王女士".into(),
            phone: "13800138000".into(),
            id_number: String::new(),
            confidential: false,
        }),
        disposition: Some(proto::Disposition {
            outcome: Some(proto::disposition::Outcome::Dispatch(proto::DispatchTo {
                unit: unit.unwrap_or_default().to_string(),
                co_units: Vec::new(),
                copy_to: Vec::new(),
            })),
        }),
        topic: String::new(),
        // The test picks the unit, whatever the dispatch catalogue proposes.
        override_reason: "test fixture: the test names the unit".into(),
        answered_with_entry: 0,
    }
}

pub fn command(ticket: &proto::Ticket, unit: &str, reason: &str) -> proto::TicketCommand {
    proto::TicketCommand {
        ticket_id: ticket.id,
        expected_version: ticket.version,
        actor: actor(unit, "clerk-1"),
        reason: reason.to_string(),
    }
}

impl TestServer {
    /// Creates a ticket that must be accepted, and returns it.
    pub async fn create(&self, request: proto::CreateTicketRequest) -> proto::Ticket {
        self.intake()
            .create_ticket(request)
            .await
            .expect("the ticket is created")
            .into_inner()
            .ticket
            .expect("response carries the ticket")
    }

    /// GetTicket with its history; the ticket must exist.
    pub async fn get(&self, ticket_id: i64) -> proto::Ticket {
        ticket_of(
            self.intake()
                .get_ticket(proto::GetTicketRequest {
                    ticket_id,
                    include_history: true,
                })
                .await
                .expect("the ticket exists"),
        )
    }

    /// How many tickets the store holds (up to one page of 200).
    pub async fn ticket_count(&self) -> usize {
        self.intake()
            .search_tickets(proto::SearchTicketsRequest {
                page_size: 200,
                ..Default::default()
            })
            .await
            .expect("search")
            .into_inner()
            .tickets
            .len()
    }
}

/// A callback (回访) verdict on the ticket, recorded by the centre.
pub fn callback(
    ticket: &proto::Ticket,
    resolved: bool,
    satisfaction: proto::Satisfaction,
    reopen: bool,
) -> proto::RecordCallbackRequest {
    proto::RecordCallbackRequest {
        ticket_id: ticket.id,
        expected_version: ticket.version,
        actor: actor("centre", "callback-agent"),
        resolved,
        satisfaction: satisfaction as i32,
        reopen,
        note: if resolved {
            "市民表示满意".into()
        } else {
            "问题仍未解决".into()
        },
    }
}

/// The ticket of a TicketResponse.
pub fn ticket_of(response: tonic::Response<proto::TicketResponse>) -> proto::Ticket {
    response
        .into_inner()
        .ticket
        .expect("response carries the ticket")
}

pub fn state(ticket: &proto::Ticket) -> proto::TicketState {
    proto::TicketState::try_from(ticket.state).expect("known state")
}
