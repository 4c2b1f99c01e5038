//! The daemon side of the CLI, run as a real process: configuration errors are precise,
//! and migrations are idempotent.

mod common;
use common::cli::{assert_serve_refuses, hotline, text};

#[test]
fn units_check_accepts_the_shipped_catalogue() {
    let out = hotline(&["units", "check"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("config/units.toml: 145 units, valid"));
}

#[test]
fn units_check_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("units.toml");
    let shipped = std::fs::read_to_string("config/units.toml").unwrap();
    let broken = shipped.replacen("parent = \"xuanwu\"", "parent = \"xuanwuu\"", 1);
    std::fs::write(&file, &broken).unwrap();
    let line = broken.lines().position(|l| l.contains("xuanwuu")).unwrap() + 1;

    let out = hotline(&["units", "check", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    let expected = format!(
        "{}:{line}: unit `xuanwu-01`.parent: unknown unit `xuanwuu`",
        file.display()
    );
    assert!(
        stderr.contains(&expected),
        "expected `{expected}` in:\n{stderr}"
    );

    // The daemon refuses to start on it with the same message.
    assert_serve_refuses("--units", &file, &expected);
}

#[test]
fn units_list_prints_json_for_scripts() {
    let out = hotline(&["units", "list", "--json"]);
    assert!(out.status.success());
    let units: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let tax = units
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == "tax-12366")
        .expect("the 12366 sub-centre is listed");
    assert_eq!(tax["kind"], "sub_centre");
    assert_eq!(tax["hotline"], "12366");
}

#[test]
fn migrate_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("m.db").display());
    for _ in 0..2 {
        let out = hotline(&["migrate", "--database-url", &url]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("sqlite schema is up to date"));
    }
}

#[test]
fn a_bad_database_url_is_refused_clearly() {
    let out = hotline(&["migrate", "--database-url", "mysql://localhost/hotline"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("must start with sqlite: or postgres://"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn deadlines_check_shows_the_shipped_windows_and_calendar() {
    let out = hotline(&["deadlines", "check"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("config/deadlines.toml: valid"), "{stdout}");
    let general = stdout
        .lines()
        .find(|l| l.contains("general"))
        .unwrap_or_default();
    for window in ["1wd", "7d", "2wd"] {
        assert!(general.contains(window), "{window} in `{general}`");
    }
    assert!(stdout.contains("max extension 10wd"), "{stdout}");
    assert!(
        stdout.contains("holiday calendar (UTC+08:00): 2026;"),
        "{stdout}"
    );
}

#[test]
fn deadlines_check_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deadlines.toml");
    let shipped = std::fs::read_to_string("config/deadlines.toml").unwrap();
    let broken = shipped.replacen("reply = \"7d\"", "reply = \"7days\"", 1);
    std::fs::write(&file, &broken).unwrap();
    let line = broken.lines().position(|l| l.contains("7days")).unwrap() + 1;

    let out = hotline(&["deadlines", "check", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let expected = format!(
        "{}:{line}: general.reply: `7days` is not a window",
        file.display()
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&expected),
        "expected `{expected}` in:\n{stderr}"
    );

    // The daemon refuses to start on it with the same message.
    assert_serve_refuses("--deadlines", &file, &expected);
}

#[test]
fn intake_batching_is_documented_and_bounded() {
    let help = text(&hotline(&["serve", "--help"]).stdout);
    for flag in [
        "--intake-batch-max",
        "--intake-linger-micros",
        "--intake-writers",
    ] {
        assert!(help.contains(flag), "`serve --help` lists {flag}:\n{help}");
    }
    let out = hotline(&["serve", "--intake-batch-max", "0"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--intake-batch-max"),
        "{}",
        text(&out.stderr)
    );
    // The config file's keys are checked too, before anything is opened.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hotline.toml");
    std::fs::write(&file, "intake_writers = 0\n").unwrap();
    let out = hotline(&["serve", "--config", file.to_str().unwrap(), "--no-metrics"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("writer count must be at least 1"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    // `hotline units list | head -1`: the pipe is closed before the command writes.
    let mut child = std::process::Command::new(common::cli::BINARY)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["units", "list"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run hotline");
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
