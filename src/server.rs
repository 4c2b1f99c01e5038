//! Assembles and runs the daemon: store, rules, the gRPC services of the ticket flow
//! and the diagnostics one, health checking with its database probe, reflection, the
//! metrics listener with its gRPC layer, the deadline scanner, the rate gauges' refresh and
//! the linkage sender (hand-offs to partner centres).
//! Tests start it in-process on port 0.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tonic::server::NamedService;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

use crate::auth::cache::TokenCache;
use crate::auth::layer::{AuthLayer, Gate};
use crate::auth::{AuthConfig, AuthMode};
use crate::jobs::health_probe::{self, Health};
use crate::metrics::grpc::{GrpcMetricsLayer, KnownMethods};
use crate::proto::{
    call_service_server::CallServiceServer, callback_service_server::CallbackServiceServer,
    center_service_server::CenterServiceServer,
    diagnostics_service_server::DiagnosticsServiceServer,
    dispatch_service_server::DispatchServiceServer, feedback_service_server::FeedbackServiceServer,
    intake_service_server::IntakeServiceServer, knowledge_service_server::KnowledgeServiceServer,
    linkage_service_server::LinkageServiceServer, report_service_server::ReportServiceServer,
};
use crate::rules::RulePaths;
use crate::service::{
    App, CallApi, CallbackApi, CenterApi, DiagnosticsApi, DispatchApi, FeedbackApi, IntakeApi,
    KnowledgeApi, LinkageApi, ReportApi,
};
use crate::store::{Batching, Store};

/// Largest request a client may send; a maximal ticket is about 40 KB.
const MAX_MESSAGE_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub grpc_addr: SocketAddr,
    /// `None` serves no /metrics endpoint.
    pub metrics_addr: Option<SocketAddr>,
    pub database_url: String,
    /// Rule files; each `None` means `config/<name>.toml` if present, else the built-in copy.
    pub rule_paths: RulePaths,
    /// Reload the rule files (and the TLS files) when they change on disk (SIGHUP and
    /// ReloadRules always work).
    pub watch_rules: bool,
    /// Serve gRPC over TLS from these files; `None` serves plain text.
    pub tls: Option<crate::tls::TlsFiles>,
    /// How often the rate gauges of /metrics are recomputed from the store.
    pub rate_gauges_every: Duration,
    /// How long shutdown waits for in-flight calls before cutting them off.
    pub shutdown_grace: Duration,
    /// How often the deadline scanner looks for warnings to record.
    pub scan_interval: Duration,
    /// How often the health probe pings the database.
    pub health_interval: Duration,
    /// How concurrent CreateTicket calls are grouped into transactions.
    pub intake_batching: Batching,
    /// A published knowledge entry nobody reviewed for longer than this is stale.
    pub knowledge_review_days: u32,
    /// How often the knowledge search index checks the database for changes made by
    /// other replicas.
    pub knowledge_refresh: Duration,
    /// Who may call: bearer tokens (the default) or, for experiments, nobody checked.
    pub auth: AuthConfig,
    /// Tickets remembered from the last reads and writes, so that a command on the
    /// version its caller saw skips reading the ticket again; 0 remembers none.
    pub remembered_tickets: usize,
}

/// Default for [`ServerConfig::shutdown_grace`].
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Default for [`ServerConfig::rate_gauges_every`]: about one Prometheus scrape interval.
pub const DEFAULT_RATE_GAUGES_EVERY: Duration = Duration::from_secs(30);

impl ServerConfig {
    /// A daemon on loopback with free ports, the shipped rules (not watched) and default
    /// timings: what embedders and tests start from, overriding fields as they need.
    pub fn local(database_url: impl Into<String>) -> Self {
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        ServerConfig {
            grpc_addr: loopback,
            metrics_addr: Some(loopback),
            database_url: database_url.into(),
            rule_paths: RulePaths::default(),
            watch_rules: false,
            tls: None,
            rate_gauges_every: DEFAULT_RATE_GAUGES_EVERY,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            scan_interval: crate::jobs::deadline_scanner::DEFAULT_INTERVAL,
            health_interval: health_probe::DEFAULT_INTERVAL,
            intake_batching: Batching::default(),
            knowledge_review_days: crate::service::knowledge::DEFAULT_REVIEW_EVERY_DAYS,
            knowledge_refresh: crate::service::knowledge::DEFAULT_REFRESH_INTERVAL,
            remembered_tickets: crate::service::recent_tickets::DEFAULT_CAPACITY,
            auth: AuthConfig::default(),
        }
    }
}

/// A started daemon. Dropping it does not stop it; call [`RunningServer::shutdown`].
pub struct RunningServer {
    pub grpc_addr: SocketAddr,
    pub metrics_addr: Option<SocketAddr>,
    pub store: Arc<dyn Store>,
    app: Arc<App>,
    token_refresh: Option<JoinHandle<()>>,
    health: Health,
    stop: CancellationToken,
    grace: Duration,
    grpc: JoinHandle<Result<(), tonic::transport::Error>>,
    metrics: Option<JoinHandle<()>>,
    scanner: JoinHandle<()>,
    linkage: JoinHandle<()>,
    rate_gauges: Option<JoinHandle<()>>,
    health_probe: JoinHandle<()>,
    knowledge_refresher: JoinHandle<()>,
}

/// The gRPC names of the API's services, whose health follows the database.
fn api_services() -> Vec<&'static str> {
    vec![
        IntakeServiceServer::<IntakeApi>::NAME,
        DispatchServiceServer::<DispatchApi>::NAME,
        CenterServiceServer::<CenterApi>::NAME,
        FeedbackServiceServer::<FeedbackApi>::NAME,
        ReportServiceServer::<ReportApi>::NAME,
        KnowledgeServiceServer::<KnowledgeApi>::NAME,
        DiagnosticsServiceServer::<DiagnosticsApi>::NAME,
        CallServiceServer::<CallApi>::NAME,
        CallbackServiceServer::<CallbackApi>::NAME,
        LinkageServiceServer::<LinkageApi>::NAME,
    ]
}

/// Opens the store (running migrations), loads the units and starts serving.
pub async fn start(config: ServerConfig) -> anyhow::Result<RunningServer> {
    if config.scan_interval.is_zero() {
        anyhow::bail!("the deadline scan interval must be longer than zero");
    }
    if config.knowledge_refresh.is_zero() {
        anyhow::bail!("the knowledge refresh interval must be longer than zero");
    }
    if config.health_interval.is_zero() {
        anyhow::bail!("the health probe interval must be longer than zero");
    }
    let batching = config.intake_batching;
    if batching.max_batch == 0 || batching.writers == 0 {
        anyhow::bail!(
            "the intake batch size and writer count must be at least 1 (got {} and {})",
            batching.max_batch,
            batching.writers
        );
    }
    let rule_paths = config.rule_paths.clone();
    let rules = crate::config::load_rule_set(&rule_paths)?;
    let tls = config
        .tls
        .clone()
        .map(crate::tls::Tls::load)
        .transpose()
        .context("loading the TLS certificate")?;
    if config.metrics_addr.is_some() {
        // The recorder first: the store reports its writer counts as it starts them.
        crate::metrics::handle();
    }
    let store = crate::store::open_with(&config.database_url, config.intake_batching)
        .await
        .with_context(|| {
            format!(
                "opening the {} store",
                crate::store::backend_name(&config.database_url)
            )
        })?;
    let stop = CancellationToken::new();
    let app = App::new(
        store.clone(),
        rules,
        rule_paths,
        stop.clone(),
        config.remembered_tickets,
    );
    crate::service::spawn_reloaders(app.clone(), config.watch_rules)?;
    app.knowledge
        .set_review_every_days(config.knowledge_review_days);
    // Searches answer from the first call on; the refresher keeps the index current.
    app.knowledge.rebuild(store.as_ref()).await;
    let (gate, token_refresh) = auth_gate(&config.auth, &app).await?;

    let (reporter, health_service) = tonic_health::server::health_reporter();
    let health = Health::new(reporter, api_services());
    health.set(true).await;

    // Both reflection versions: grpcurl and older clients still ask v1alpha.
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(crate::proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;

    let listener = tokio::net::TcpListener::bind(config.grpc_addr)
        .await
        .with_context(|| format!("binding gRPC to {}", config.grpc_addr))?;
    let grpc_addr = listener.local_addr()?;

    let metrics = match config.metrics_addr {
        Some(addr) => {
            // Behind tokens only if asked (and if there are tokens: not with --auth none).
            let tokens = app
                .tokens
                .load_full()
                .filter(|_| config.auth.metrics_needs_token);
            let (bound, task) = crate::metrics::serve(addr, stop.clone().cancelled_owned(), tokens)
                .await
                .with_context(|| format!("binding metrics to {addr}"))?;
            Some((bound, task))
        }
        None => None,
    };

    // The rate gauges only matter where /metrics is served.
    let rate_gauges = metrics
        .as_ref()
        .map(|_| crate::metrics::rates::spawn(app.clone(), config.rate_gauges_every, stop.clone()));
    let known_methods = KnownMethods::from_descriptor_sets(&[
        crate::proto::FILE_DESCRIPTOR_SET,
        tonic_health::pb::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
    ]);

    let router = Server::builder()
        .layer(GrpcMetricsLayer::new(known_methods))
        // Inside the metrics layer, so refused calls are counted with their code.
        .layer(AuthLayer::new(gate))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(
            IntakeServiceServer::new(IntakeApi(app.clone()))
                .max_decoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(
            DispatchServiceServer::new(DispatchApi(app.clone()))
                .max_decoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(
            CenterServiceServer::new(CenterApi(app.clone()))
                .max_decoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(
            FeedbackServiceServer::new(FeedbackApi(app.clone()))
                .max_decoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(
            ReportServiceServer::new(ReportApi(app.clone()))
                .max_decoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(
            CallServiceServer::new(CallApi(app.clone()))
                .max_decoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(
            CallbackServiceServer::new(CallbackApi(app.clone()))
                .max_decoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(
            KnowledgeServiceServer::new(KnowledgeApi(app.clone()))
                .max_decoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(
            LinkageServiceServer::new(LinkageApi(app.clone()))
                .max_decoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(
            DiagnosticsServiceServer::new(DiagnosticsApi)
                .max_decoding_message_size(MAX_MESSAGE_BYTES),
        );
    let grpc = match &tls {
        Some(tls) => {
            tls.spawn_reloader(config.watch_rules, stop.clone())?;
            let incoming = crate::tls::incoming(listener, tls.clone(), stop.clone());
            tokio::spawn(
                router.serve_with_incoming_shutdown(incoming, stop.clone().cancelled_owned()),
            )
        }
        None => {
            // Without TCP_NODELAY a small answer waits for the client's delayed ACK (~40 ms
            // on Linux): the echo baseline of `hotline bench-load` showed it on every call.
            let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
            tokio::spawn(
                router.serve_with_incoming_shutdown(incoming, stop.clone().cancelled_owned()),
            )
        }
    };
    let scanner =
        crate::jobs::deadline_scanner::spawn(app.clone(), config.scan_interval, stop.clone());
    let linkage = crate::jobs::linkage_sender::spawn(app.clone(), stop.clone());
    let health_probe = health_probe::spawn(
        store.clone(),
        health.clone(),
        config.health_interval,
        stop.clone(),
    );
    let knowledge_refresher = crate::service::knowledge::spawn_refresher(
        app.clone(),
        config.knowledge_refresh,
        stop.clone(),
    );
    tracing::info!(%grpc_addr, tls = tls.is_some(), backend = store.backend(), "hotline serving");

    Ok(RunningServer {
        grpc_addr,
        metrics_addr: metrics.as_ref().map(|(addr, _)| *addr),
        store,
        app,
        token_refresh,
        health,
        stop,
        grace: config.shutdown_grace,
        grpc,
        metrics: metrics.map(|(_, task)| task),
        scanner,
        linkage,
        rate_gauges,
        health_probe,
        knowledge_refresher,
    })
}

/// The auth layer's gate and, with tokens, the task that keeps the token cache fresh.
async fn auth_gate(
    config: &AuthConfig,
    app: &Arc<App>,
) -> anyhow::Result<(Gate, Option<JoinHandle<()>>)> {
    match config.mode {
        AuthMode::None => {
            tracing::warn!(
                "AUTHENTICATION IS OFF (--auth none): anyone who reaches this port acts as an \
                 admin, and sees every citizen's contact. Use it only on a machine of your own."
            );
            Ok((Gate::new(*config, None), None))
        }
        AuthMode::Tokens => {
            if config.refresh.is_zero() {
                anyhow::bail!("the token refresh interval must be longer than zero");
            }
            let tokens = TokenCache::load(app.store.clone())
                .await
                .context("reading the API tokens")?;
            if tokens.is_empty() {
                tracing::warn!(
                    "no API token exists yet, so every call will be refused: create one with \
                     `hotline token create --name me --role admin` (same --database-url)"
                );
            }
            app.tokens.store(Some(tokens.clone()));
            let refresh = tokens.spawn_refresh(config.refresh, app.shutdown.clone());
            Ok((Gate::new(*config, Some(tokens)), Some(refresh)))
        }
    }
}

impl RunningServer {
    /// Reads the token table again now, as ReloadRules and SIGHUP do.
    pub async fn refresh_tokens(&self) {
        self.app.refresh_tokens("embedder").await;
    }

    /// Reports NOT_SERVING, stops accepting, ends watch streams, lets in-flight calls finish
    /// (then cuts them off), gives back the leases this daemon's pulls granted, and closes
    /// the store — all within the grace period, counted from the call.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let deadline = Instant::now() + self.grace;
        // The probe first, so that it cannot report SERVING again.
        self.health_probe.abort();
        self.health.set(false).await;
        self.stop.cancel();
        let mut grpc = self.grpc;
        let served = match tokio::time::timeout_at(deadline, &mut grpc).await {
            Ok(joined) => joined.context("gRPC server task panicked")?,
            Err(_) => {
                tracing::warn!(grace = ?self.grace, "in-flight calls outlived the grace period; cutting them off");
                grpc.abort();
                Ok(())
            }
        };
        // No call runs any more: whatever the book lists is held by nobody here.
        release_leases(&self.app, deadline).await;
        if let Some(metrics) = self.metrics {
            let _ = tokio::time::timeout_at(deadline, metrics).await;
        }
        // A rebuild is not worth waiting for: the next start builds the index afresh.
        self.knowledge_refresher.abort();
        let _ = self.knowledge_refresher.await;
        if let Some(task) = self.token_refresh {
            task.abort();
            let _ = task.await;
        }
        if let Some(task) = self.rate_gauges {
            // It stops at the next await; a refresh in flight is not worth waiting for.
            task.abort();
            let _ = task.await;
        }
        // The linkage sender stops at once, even mid-delivery (see its module).
        let mut linkage = self.linkage;
        if tokio::time::timeout_at(deadline, &mut linkage)
            .await
            .is_err()
        {
            linkage.abort();
        }
        // A pass under way finishes, then the scanner gives its lock back.
        let mut scanner = self.scanner;
        if tokio::time::timeout_at(deadline, &mut scanner)
            .await
            .is_err()
        {
            tracing::warn!("the deadline scanner outlived the grace period; stopping it");
            scanner.abort();
        }
        if tokio::time::timeout_at(deadline, self.store.close())
            .await
            .is_err()
        {
            tracing::warn!("the store did not close within the grace period");
        }
        served.context("gRPC server failed")?;
        Ok(())
    }
}

/// Frees the leases this daemon granted that are still running, so that pullers on
/// another replica (or after a restart) get those tickets at once. Best effort: a lease
/// not released simply runs out.
async fn release_leases(app: &App, deadline: Instant) {
    let leases = app.leases.take_outstanding(crate::service::now());
    if leases.is_empty() {
        return;
    }
    match tokio::time::timeout_at(deadline, app.store.release_leases(&leases)).await {
        Ok(Ok(freed)) => tracing::info!(freed, granted = leases.len(), "leases given back"),
        Ok(Err(error)) => tracing::warn!(%error, "leases not given back; they run out instead"),
        Err(_) => {
            tracing::warn!("leases not given back within the grace period; they run out instead")
        }
    }
}
