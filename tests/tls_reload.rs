//! gRPC over TLS from a real `hotline serve`: certificates made here with rcgen, calls
//! with the CA trusted (tonic, the CLI, bench-load), a plain-text client refused, the
//! certificate replaced on disk and picked up by new connections on SIGHUP or through the
//! file watch while the process keeps running, a bad replacement refused with the old
//! certificate kept, and mutual TLS.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::cli::{hotline, hotline_as, text};
use common::daemon::{Daemon, Options, TestDb, health};
use common::server::Backend;
use hotline::tls::ClientTls;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, ServerName};
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;

type Ca = CertifiedIssuer<'static, KeyPair>;

fn ca(name: &str) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// A certificate and its key, PEM, and the certificate's DER to compare with a peer's.
struct Leaf {
    cert: String,
    key: String,
    der: Vec<u8>,
}

fn leaf(ca: &Ca, serial: u64, purpose: ExtendedKeyUsagePurpose) -> Leaf {
    let mut params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    params.serial_number = Some(serial.into());
    params
        .distinguished_name
        .push(DnType::CommonName, format!("hotline {serial}"));
    params.extended_key_usages = vec![purpose];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, ca).unwrap();
    Leaf {
        cert: cert.pem(),
        key: key.serialize_pem(),
        der: cert.der().to_vec(),
    }
}

fn server_leaf(ca: &Ca, serial: u64) -> Leaf {
    leaf(ca, serial, ExtendedKeyUsagePurpose::ServerAuth)
}

/// The daemon's files in a directory of the test's own.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        Files {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn arg(&self, name: &str) -> String {
        self.path(name).to_str().unwrap().to_string()
    }

    /// Writes in place (SIGHUP case) or as editors and cert tools do, a new file renamed
    /// over the old one (watch case).
    fn write(&self, name: &str, content: &str, by_rename: bool) {
        if by_rename {
            let staged = self.path(&format!(".{name}.new"));
            std::fs::write(&staged, content).unwrap();
            std::fs::rename(&staged, self.path(name)).unwrap();
        } else {
            std::fs::write(self.path(name), content).unwrap();
        }
    }

    fn install(&self, leaf: &Leaf, by_rename: bool) {
        self.write("cert.pem", &leaf.cert, by_rename);
        self.write("key.pem", &leaf.key, by_rename);
    }

    fn tls_flags(&self) -> Vec<String> {
        vec![
            "--tls-cert".into(),
            self.arg("cert.pem"),
            "--tls-key".into(),
            self.arg("key.pem"),
        ]
    }
}

/// The certificate a new TLS connection is shown, trusting any of `cas`.
async fn peer_certificate(addr: SocketAddr, cas: &[&Ca]) -> Result<Vec<u8>, String> {
    let mut roots = rustls::RootCertStore::empty();
    for ca in cas {
        roots.add(ca.der().clone()).unwrap();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let name = ServerName::try_from("localhost").unwrap();
    let tls = connector
        .connect(name, tcp)
        .await
        .map_err(|e| e.to_string())?;
    let certs: &[CertificateDer] = tls.get_ref().1.peer_certificates().unwrap_or_default();
    Ok(certs.first().map(|c| c.to_vec()).unwrap_or_default())
}

/// Polls new connections until they are shown `wanted`; panics after a while.
async fn await_certificate(addr: SocketAddr, cas: &[&Ca], wanted: &Leaf, daemon: &Daemon) {
    let started = Instant::now();
    let mut last = None;
    while started.elapsed() < Duration::from_secs(10) {
        let seen = peer_certificate(addr, cas).await;
        if seen.as_deref() == Ok(wanted.der.as_slice()) {
            return;
        }
        last = Some(seen.map(|der| der.len()));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "new connections never saw the new certificate; last: {last:?}\n{}",
        daemon.log()
    );
}

fn pem_file(files: &Files, name: &str, ca: &Ca) -> PathBuf {
    std::fs::write(files.path(name), ca.pem()).unwrap();
    files.path(name)
}

/// A TLS channel through the library's own client settings (what the CLI uses).
async fn tls_channel(addr: SocketAddr, tls: &ClientTls) -> Result<Channel, String> {
    hotline::tls::endpoint(&format!("https://{addr}"), tls)
        .map_err(|e| format!("{e:#}"))?
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .map_err(|e| format!("{e:?}"))
}

async fn serving_over(addr: SocketAddr, tls: &ClientTls) -> Result<(), String> {
    let channel = tls_channel(addr, tls).await?;
    match health(&common::auth::with_token(channel.clone(), None), "").await {
        Ok(ServingStatus::Serving) => Ok(()),
        other => Err(format!("{other:?}")),
    }
}

fn trusting(ca: PathBuf) -> ClientTls {
    ClientTls {
        ca: Some(ca),
        ..ClientTls::default()
    }
}

async fn run_hotline(token: &str, args: Vec<String>) -> std::process::Output {
    let token = token.to_string();
    tokio::task::spawn_blocking(move || {
        hotline_as(&token, &args.iter().map(String::as_str).collect::<Vec<_>>())
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_swaps_the_certificate_and_a_bad_pair_keeps_the_old_one() {
    let db = TestDb::create(Backend::Sqlite).await;
    let files = Files::new();
    let (ca1, ca2) = (ca("hotline test CA 1"), ca("hotline test CA 2"));
    let (ca1_pem, ca2_pem) = (
        pem_file(&files, "ca1.pem", &ca1),
        pem_file(&files, "ca2.pem", &ca2),
    );
    let first = server_leaf(&ca1, 1);
    files.install(&first, false);
    let flags = files.tls_flags();
    let mut daemon = Daemon::start(
        &db.url,
        &flags.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await;
    let addr = daemon.grpc;

    // An RPC over TLS with the CA trusted; the wrong CA and plain text are refused.
    serving_over(addr, &trusting(ca1_pem.clone()))
        .await
        .expect("a call over TLS with the CA trusted");
    assert!(
        serving_over(addr, &trusting(ca2_pem.clone()))
            .await
            .is_err()
    );
    let plain = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await;
    if let Ok(plain) = plain {
        assert!(
            health(&common::auth::with_token(plain.clone(), None), "")
                .await
                .is_err(),
            "a plain-text call was answered by the TLS daemon"
        );
    }
    assert_eq!(peer_certificate(addr, &[&ca1]).await.unwrap(), first.der);

    // The CLI: https:// with --tls-ca works; without it the error says what is missing.
    let server = format!("https://{addr}");
    let out = run_hotline(
        &daemon.token,
        vec![
            "report".into(),
            "rates".into(),
            "--server".into(),
            server.clone(),
            "--tls-ca".into(),
            ca1_pem.to_str().unwrap().into(),
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run_hotline(
        &daemon.token,
        vec![
            "report".into(),
            "rates".into(),
            "--server".into(),
            server.clone(),
        ],
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--tls-ca"),
        "{}",
        text(&out.stderr)
    );

    // A new certificate from another CA: SIGHUP, and new connections see it.
    let second = server_leaf(&ca2, 2);
    files.install(&second, false);
    daemon.signal("HUP");
    await_certificate(addr, &[&ca1, &ca2], &second, &daemon).await;
    serving_over(addr, &trusting(ca2_pem.clone()))
        .await
        .expect("calls trusting the new CA");
    assert!(
        serving_over(addr, &trusting(ca1_pem.clone()))
            .await
            .is_err()
    );

    // bench-load drives the TLS daemon too.
    let out = run_hotline(
        &daemon.token,
        vec![
            "bench-load".into(),
            "--addr".into(),
            server.clone(),
            "--tls-ca".into(),
            ca2_pem.to_str().unwrap().into(),
            "--requests".into(),
            "20".into(),
            "--concurrency".into(),
            "2".into(),
            "--json".into(),
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "bench-load over TLS: {}",
        text(&out.stderr)
    );

    // A certificate with somebody else's key: refused, logged, the second one stays.
    let third = server_leaf(&ca1, 3);
    std::fs::write(files.path("cert.pem"), &third.cert).unwrap();
    daemon.signal("HUP");
    let started = Instant::now();
    while !daemon.log().contains("TLS certificate not reloaded") {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no refusal logged:\n{}",
            daemon.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        daemon
            .log()
            .contains("are not a certificate and its private key"),
        "{}",
        daemon.log()
    );
    assert_eq!(
        peer_certificate(addr, &[&ca1, &ca2]).await.unwrap(),
        second.der
    );
    serving_over(addr, &trusting(ca2_pem))
        .await
        .expect("still serving with the kept certificate");

    assert!(daemon.is_running(), "the daemon restarted or died");
    assert_eq!(daemon.grpc, addr);
    daemon.assert_no_panic();

    // It still shuts down cleanly: the TLS accept loop ends with the server.
    daemon.signal("TERM");
    let status = daemon.wait_exit(Duration::from_secs(10)).await;
    assert!(
        status.is_some_and(|s| s.success()),
        "exit {status:?}:\n{}",
        daemon.log()
    );
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_certificate_file_is_picked_up_without_a_signal() {
    let db = TestDb::create(Backend::Sqlite).await;
    let files = Files::new();
    let ca = ca("hotline watch CA");
    let first = server_leaf(&ca, 10);
    files.install(&first, false);
    let daemon = Daemon::start_with(
        &db.url,
        Options {
            extra: files.tls_flags(),
            watch: true,
            ..Options::default()
        },
    )
    .await;
    assert_eq!(
        peer_certificate(daemon.grpc, &[&ca]).await.unwrap(),
        first.der
    );

    let second = server_leaf(&ca, 11);
    files.install(&second, true);
    await_certificate(daemon.grpc, &[&ca], &second, &daemon).await;
    assert!(daemon.log().contains("file_watch"), "{}", daemon.log());
    daemon.assert_no_panic();
    drop(daemon);
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_wants_a_client_certificate_from_its_ca() {
    let db = TestDb::create(Backend::Sqlite).await;
    let files = Files::new();
    let (server_ca, client_ca, stranger_ca) = (ca("server CA"), ca("client CA"), ca("other CA"));
    files.install(&server_leaf(&server_ca, 20), false);
    let server_ca_pem = pem_file(&files, "server-ca.pem", &server_ca);
    pem_file(&files, "client-ca.pem", &client_ca);
    let mut flags = files.tls_flags();
    flags.extend(["--tls-client-ca".into(), files.arg("client-ca.pem")]);
    let daemon = Daemon::start(
        &db.url,
        &flags.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await;

    let identity = |leaf: &Leaf, name: &str| {
        files.write(&format!("{name}.pem"), &leaf.cert, false);
        files.write(&format!("{name}-key.pem"), &leaf.key, false);
        ClientTls {
            ca: Some(server_ca_pem.clone()),
            cert: Some(files.path(&format!("{name}.pem"))),
            key: Some(files.path(&format!("{name}-key.pem"))),
        }
    };
    let console = identity(
        &leaf(&client_ca, 21, ExtendedKeyUsagePurpose::ClientAuth),
        "console",
    );
    let stranger = identity(
        &leaf(&stranger_ca, 22, ExtendedKeyUsagePurpose::ClientAuth),
        "stranger",
    );

    serving_over(daemon.grpc, &console)
        .await
        .expect("a client with a certificate of the client CA");
    assert!(
        serving_over(daemon.grpc, &trusting(server_ca_pem.clone()))
            .await
            .is_err()
    );
    assert!(serving_over(daemon.grpc, &stranger).await.is_err());
    daemon.assert_no_panic();
    drop(daemon);
    db.remove().await;
}

#[test]
fn serve_refuses_half_a_tls_configuration_or_a_mismatched_pair() {
    let files = Files::new();
    let ca = ca("start CA");
    let (one, two) = (server_leaf(&ca, 30), server_leaf(&ca, 31));
    std::fs::write(files.path("cert.pem"), &one.cert).unwrap();
    std::fs::write(files.path("key.pem"), &two.key).unwrap();
    let serve = |flags: &[&str]| {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--no-metrics"];
        args.extend(flags);
        let out = hotline(&args);
        assert!(!out.status.success(), "started with {flags:?}");
        text(&out.stderr)
    };
    let cert = files.arg("cert.pem");
    let key = files.arg("key.pem");
    let stderr = serve(&["--tls-cert", &cert]);
    assert!(
        stderr.contains("--tls-cert and --tls-key go together"),
        "{stderr}"
    );
    let stderr = serve(&["--tls-client-ca", &cert]);
    assert!(
        stderr.contains("--tls-client-ca needs --tls-cert"),
        "{stderr}"
    );
    let stderr = serve(&["--tls-cert", &cert, "--tls-key", &key]);
    assert!(
        stderr.contains("are not a certificate and its private key"),
        "{stderr}"
    );
    let missing = Path::new(&cert).with_file_name("missing.pem");
    let stderr = serve(&["--tls-cert", missing.to_str().unwrap(), "--tls-key", &key]);
    assert!(stderr.contains("missing.pem"), "{stderr}");
}
