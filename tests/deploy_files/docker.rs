//! The image: hadolint passes, and its HEALTHCHECK tells a live daemon from a dead one.

use std::process::{Command, Output};

use super::tools::{HADOLINT, check, read};

pub const DOCKERFILE: &str = "deploy/docker/Dockerfile";

#[test]
fn dockerfile_passes_hadolint() {
    check(&HADOLINT, &[DOCKERFILE]);
}

/// The exec-form command of the Dockerfile's HEALTHCHECK (continuation lines joined).
pub fn dockerfile_healthcheck() -> Vec<String> {
    let dockerfile = read(DOCKERFILE).replace("\\\n", " ");
    let instruction = dockerfile
        .lines()
        .find(|line| line.starts_with("HEALTHCHECK"))
        .expect("the Dockerfile has a HEALTHCHECK");
    let (_, command) = instruction
        .split_once(" CMD ")
        .expect("HEALTHCHECK … CMD [...]");
    serde_json::from_str(command.trim()).expect("the HEALTHCHECK command is in exec form")
}

/// Runs the health check command with the test's binary against `server`.
fn run_healthcheck(command: &[String], server: &str) -> Output {
    assert_eq!(command[0], "hotline");
    Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(&command[1..])
        .env("HOTLINE_SERVER", server)
        .output()
        .expect("runs the hotline binary")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthcheck_passes_on_a_live_daemon_and_fails_on_a_dead_one() {
    let command = dockerfile_healthcheck();
    let dir = tempfile::tempdir().unwrap();
    let running = hotline::server::start(hotline::server::ServerConfig {
        metrics_addr: None,
        shutdown_grace: std::time::Duration::from_secs(1),
        ..hotline::server::ServerConfig::local(format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("h.db").display()
        ))
    })
    .await
    .expect("the daemon starts");
    let server = format!("http://{}", running.grpc_addr);

    let (up_command, up_server) = (command.clone(), server.clone());
    let up = tokio::task::spawn_blocking(move || run_healthcheck(&up_command, &up_server))
        .await
        .unwrap();
    assert!(
        up.status.success(),
        "the HEALTHCHECK fails on a healthy daemon: {}",
        String::from_utf8_lossy(&up.stderr)
    );

    running.shutdown().await.unwrap();
    let down = tokio::task::spawn_blocking(move || run_healthcheck(&command, &server))
        .await
        .unwrap();
    assert!(
        !down.status.success(),
        "the HEALTHCHECK passes with no daemon"
    );
}
