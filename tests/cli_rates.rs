//! `hotline rates …` and `--assessment`, run as a real process: the assessment file is
//! validated with file, line and key, and the rate counts rebuild from the event log.

mod common;
use common::cli::{assert_serve_refuses, hotline, text};

#[test]
fn the_shipped_assessment_is_shown() {
    let out = hotline(&["rates", "assessment"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("config/assessment.toml: valid\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("满意率 = (满意 + 1 × 基本满意)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("reopen_when_dissatisfied = on_request"),
        "{stdout}"
    );
    assert!(
        stdout.contains("│ street     ┆ 95.0%         ┆ 80.0%         ┆ 90.0%"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "monthly score = 100 × (0.3 × 响应率 + 0.35 × 解决率 + 0.35 × 满意率) \
             − min(20, 0.5 × overdue + 1 × improper returns)"
        ),
        "{stdout}"
    );
}

#[test]
fn an_edited_assessment_is_read_and_a_broken_one_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("assessment.toml");
    std::fs::write(
        &file,
        "basically_satisfied_weight = 0.8\nreopen_when_dissatisfied = \"always\"\n\
         [targets.street]\nresponse = 0.98\n",
    )
    .unwrap();
    let out = hotline(&["rates", "assessment", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("(满意 + 0.8 × 基本满意)"), "{stdout}");
    assert!(
        stdout.contains("reopen_when_dissatisfied = always"),
        "{stdout}"
    );
    assert!(stdout.contains("│ street     ┆ 98.0%"), "{stdout}");

    std::fs::write(&file, "[targets.street]\n\nresolution = 80\n").unwrap();
    let expected = format!(
        "{}:3: targets.street.resolution: 80 is not a fraction between 0 and 1",
        file.display()
    );
    let out = hotline(&["rates", "assessment", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains(&expected),
        "{}",
        text(&out.stderr)
    );

    // The daemon refuses to start on it with the same message.
    assert_serve_refuses("--assessment", &file, &expected);
}

#[test]
fn rebuild_reports_what_it_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("r.db").display());
    let out = hotline(&["rates", "rebuild", "--database-url", &url]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "rate counts rebuilt from 0 events of 0 tickets: 0 rows, 0 changed\n"
    );
}
