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
