//! Runs the README's five-minute tour, command by command, against a freshly spawned
//! `hotline serve`, so the README cannot drift from what the binary does.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use hotline::proto::{self, intake_service_client::IntakeServiceClient};

const BINARY: &str = env!("CARGO_BIN_EXE_hotline");

/// The shell commands between the tour markers, with `\` continuations joined.
fn tour_commands() -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find("<!-- tour:start")
        .expect("README has a tour:start marker");
    let end = readme
        .find("<!-- tour:end")
        .expect("README has a tour:end marker");
    let block = &readme[start..end];
    let mut commands = Vec::new();
    let mut pending = String::new();
    for line in block
        .lines()
        .skip_while(|l| !l.starts_with("```sh"))
        .skip(1)
    {
        if line.starts_with("```") {
            break;
        }
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(head) => pending.push_str(head),
            None => {
                pending.push_str(line);
                commands.push(std::mem::take(&mut pending));
            }
        }
    }
    commands
}

struct Daemon {
    child: Child,
    server: String,
    database_url: String,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `hotline serve` on a free port and a fresh database; waits until it says it serves.
fn spawn_daemon(dir: &Path) -> Daemon {
    let database_url = format!("sqlite://{}?mode=rwc", dir.join("tour.db").display());
    let child = Command::new(BINARY)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-metrics",
            "--database-url",
        ])
        .arg(&database_url)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hotline serve");
    // Owned by the guard from here on, so it is killed and reaped on every path.
    let mut daemon = Daemon {
        child,
        server: String::new(),
        database_url,
    };
    let mut lines = BufReader::new(daemon.child.stderr.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.expect("daemon stderr");
        if let Some(rest) = line.strip_prefix("hotline: gRPC on ") {
            let addr = rest.split(',').next().unwrap().trim();
            daemon.server = format!("http://{addr}");
            // Keep draining the daemon's log so its writes never hit a closed pipe.
            std::thread::spawn(move || lines.for_each(drop));
            return daemon;
        }
    }
    panic!("hotline serve exited before serving");
}

#[test]
fn the_readme_tour_works() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = spawn_daemon(dir.path());
    let mut env: Vec<(String, String)> = Vec::new();
    let commands = tour_commands();
    assert!(
        commands.len() > 10,
        "the tour has its commands: {commands:?}"
    );

    for command in &commands {
        if let Some(assignment) = command.strip_prefix("export ") {
            let (key, value) = assignment.split_once('=').expect("export KEY=VALUE");
            // `export KEY=$(hotline …)`: the command's output, as the shell would take it.
            let value = match value.strip_prefix("$(").and_then(|v| v.strip_suffix(')')) {
                Some(inner) => {
                    let inner = shell_words::split(inner).unwrap();
                    assert_eq!(inner[0], "hotline", "the tour runs only hotline commands");
                    let output = run(&daemon, &env, &inner[1..], command);
                    String::from_utf8(output.stdout).unwrap().trim().to_string()
                }
                None => shell_words::split(value).unwrap().concat(),
            };
            env.push((key.into(), value));
            continue;
        }
        let words = shell_words::split(command).unwrap_or_else(|e| panic!("`{command}`: {e}"));
        match words[0].as_str() {
            "cargo" | "alias" => continue, // building is what this test binary already did
            "hotline" => {}
            other => panic!("the tour runs only hotline commands, not `{other}`"),
        }
        run(&daemon, &env, &words[1..], command);
    }
    let token = env
        .iter()
        .find(|(k, _)| k == "HOTLINE_TOKEN")
        .map(|(_, v)| v.clone())
        .expect("the tour exports HOTLINE_TOKEN");

    // The tour did what it says: ticket 1 walked the loop, ticket 2 was reassigned and signed.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let channel = tonic::transport::Channel::from_shared(daemon.server.clone())
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut intake =
            IntakeServiceClient::new(hotline::auth::client::authed(channel, Some(&token)).unwrap());
        let get = |id| proto::GetTicketRequest {
            ticket_id: id,
            include_history: true,
        };
        let first = intake
            .get_ticket(get(1))
            .await
            .unwrap()
            .into_inner()
            .ticket
            .unwrap();
        assert_eq!(first.state, proto::TicketState::Archived as i32);
        assert_eq!(first.history.len(), 9);
        assert!(
            first
                .history
                .iter()
                .all(|e| !e.actor.as_ref().unwrap().person.is_empty())
        );
        // Every change names the token that made it.
        assert!(first.history.iter().all(|e| e.principal == "token:me"));
        let second = intake
            .get_ticket(get(2))
            .await
            .unwrap()
            .into_inner()
            .ticket
            .unwrap();
        assert_eq!(second.state, proto::TicketState::Signed as i32);
        assert_eq!(second.assigned_unit, "market-12315");
        // Ticket 3 was answered at intake from the knowledge base, citing entry 1.
        let third = intake
            .get_ticket(get(3))
            .await
            .unwrap()
            .into_inner()
            .ticket
            .unwrap();
        assert_eq!(third.state, proto::TicketState::Closed as i32);
        assert_eq!(third.answered_with.map(|c| c.entry_id), Some(1));
    });
}

/// Runs one `hotline` command of the tour against the tour's daemon and database, as a
/// newcomer's shell would (the token commands use the same database as the daemon); it
/// must succeed.
fn run(
    daemon: &Daemon,
    env: &[(String, String)],
    args: &[String],
    command: &str,
) -> std::process::Output {
    let output = Command::new(BINARY)
        .args(args)
        .env("HOTLINE_SERVER", &daemon.server)
        .env("HOTLINE_DATABASE_URL", &daemon.database_url)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run the client");
    assert!(
        output.status.success(),
        "`{command}` failed:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}
