//! A PostgreSQL server a test owns — its own data directory and port — so that it can be
//! stopped and started under a running daemon without touching the shared server.
//!
//! Uses the machine's PostgreSQL binaries (`initdb`, `pg_ctl`): `$HOTLINE_TEST_PG_BINDIR`,
//! else `pg_config --bindir`, else the newest `/usr/lib/postgresql/*/bin` (Debian), else
//! `PATH`. PostgreSQL refuses to run as root; as root the server runs as the `postgres`
//! user (which Debian's package creates) through `runuser`. A machine without the binaries
//! fails the test with a message saying so: it is never skipped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BINDIR_ENV: &str = "HOTLINE_TEST_PG_BINDIR";

pub struct OwnPostgres {
    bindir: PathBuf,
    /// Whose account the server runs under when the tests run as root.
    run_as: Option<String>,
    dir: tempfile::TempDir,
    pub port: u16,
    running: bool,
}

fn has_server_tools(dir: &Path) -> bool {
    dir.join("initdb").is_file() && dir.join("pg_ctl").is_file()
}

/// The directory holding `initdb` and `pg_ctl`, or a panic naming where it looked.
pub fn bindir() -> PathBuf {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Ok(dir) = std::env::var(BINDIR_ENV) {
        candidates.push(dir.into());
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        candidates.push(String::from_utf8_lossy(&out.stdout).trim().into());
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    debian.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    candidates.extend(debian.into_iter().map(|(_, dir)| dir));
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    candidates
        .iter()
        .find(|dir| has_server_tools(dir))
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "this test runs a PostgreSQL server of its own and needs its server binaries \
                 (initdb, pg_ctl), which were not found: set {BINDIR_ENV}, or install them \
                 (Debian: `apt-get install postgresql`). Looked in: {candidates:?}"
            )
        })
}

fn run(command: &mut Command, what: &str) -> Output {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {command:?}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn id(args: &[&str]) -> u32 {
    let out = run(Command::new("id").args(args), "id");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("id prints a number")
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl OwnPostgres {
    /// Creates a cluster in a temporary directory and starts it on a free port.
    pub fn start() -> OwnPostgres {
        let bindir = bindir();
        let run_as = (id(&["-u"]) == 0).then(|| "postgres".to_string());
        let dir = tempfile::tempdir().expect("temp dir");
        if let Some(user) = &run_as {
            let uid = id(&["-u", user]);
            let gid = id(&["-g", user]);
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .unwrap_or_else(|e| panic!("giving {} to {user}: {e}", dir.path().display()));
        }
        let mut pg = OwnPostgres {
            bindir,
            run_as,
            dir,
            port: free_port(),
            running: false,
        };
        let data = pg.data_dir();
        let mut initdb = pg.command("initdb");
        initdb.arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]);
        run(&mut initdb, "initdb");
        // Loopback TCP only (no socket file to place), and small: it holds one test's rows.
        // fsync is off because this server's durability is not under test, only its absence.
        let settings = format!(
            "\nport = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n\
             max_connections = 50\nshared_buffers = 16MB\nfsync = off\n",
            pg.port
        );
        let conf = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).expect("postgresql.conf");
        text.push_str(&settings);
        std::fs::write(&conf, text).expect("write postgresql.conf");
        pg.resume();
        pg
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A command of the server's binaries, as the server's user.
    fn command(&self, tool: &str) -> Command {
        let program = self.bindir.join(tool);
        match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(program);
                command
            }
            None => Command::new(program),
        }
    }

    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server (again) on its port and waits until it accepts connections.
    pub fn resume(&mut self) {
        let mut start = self.command("pg_ctl");
        start
            .arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.dir.path().join("server.log"))
            .args(["-w", "-t", "60", "start"]);
        let out = start.output().expect("run pg_ctl start");
        if !out.status.success() {
            let log =
                std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
            panic!(
                "pg_ctl start failed ({}): {}\nserver log:\n{log}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        self.running = true;
    }

    /// Stops the server the hard way — no checkpoint, every session cut — as a crash or
    /// a failover would.
    pub fn stop_immediately(&mut self) {
        let mut stop = self.command("pg_ctl");
        stop.arg("-D")
            .arg(self.data_dir())
            .args(["-m", "immediate", "-w", "stop"]);
        run(&mut stop, "pg_ctl stop");
        self.running = false;
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        if self.running {
            let mut stop = self.command("pg_ctl");
            stop.arg("-D")
                .arg(self.data_dir())
                .args(["-m", "immediate", "-w", "stop"]);
            let _ = stop.output();
        }
    }
}
