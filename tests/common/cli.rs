//! The `hotline` binary as a script runs it: from the crate root, output captured.

use std::process::{Command, Output};

pub const BINARY: &str = env!("CARGO_BIN_EXE_hotline");

pub fn hotline(args: &[&str]) -> Output {
    Command::new(BINARY)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("run hotline")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts that `hotline serve` refuses to start on a bad rule file, given by `flag`,
/// with the same `expected` message the file's check command printed.
pub fn assert_serve_refuses(flag: &str, file: &std::path::Path, expected: &str) {
    let out = hotline(&[
        "serve",
        flag,
        file.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--no-metrics",
    ]);
    assert!(!out.status.success(), "the daemon started on a bad {flag}");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(expected),
        "expected `{expected}` in:\n{stderr}"
    );
}

/// Like [`hotline`], with `HOTLINE_TOKEN` set: a client command against a daemon that
/// checks tokens.
pub fn hotline_as(token: &str, args: &[&str]) -> Output {
    Command::new(BINARY)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .env("HOTLINE_TOKEN", token)
        .output()
        .expect("run hotline")
}
