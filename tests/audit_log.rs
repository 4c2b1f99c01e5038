//! The event log is append-only in the code as well as in the database: no statement in
//! `src/` or `migrations/` rewrites `ticket_events` (UPDATE, DELETE, TRUNCATE, REPLACE, an
//! upsert, DROP TABLE) or disarms its append-only triggers. The databases refuse such
//! statements anyway (see the store conformance suite's audit case); this test catches a
//! new code path before it ever reaches one.

use std::path::{Path, PathBuf};

use regex::Regex;

/// Statements that would change or remove events, or switch their protection off.
fn rewriting_statements() -> Regex {
    Regex::new(
        r#"(?ix)
        \b(
            UPDATE \s+ (ONLY \s+)? "?ticket_events\b
          | DELETE \s+ FROM \s+ (ONLY \s+)? "?ticket_events\b
          | TRUNCATE \s+ (TABLE \s+)? (ONLY \s+)? "?ticket_events\b
          | (INSERT \s+ OR \s+ REPLACE | REPLACE) \s+ INTO \s+ "?ticket_events\b
          | INSERT \s+ INTO \s+ "?ticket_events\b [^;"]* \bDO \s+ UPDATE\b
          | DROP \s+ TABLE \s+ (IF \s+ EXISTS \s+)? "?ticket_events\b
          | DROP \s+ TRIGGER \s+ (IF \s+ EXISTS \s+)? "?ticket_events_
          | DISABLE \s+ TRIGGER
        )"#,
    )
    .expect("valid pattern")
}

/// The text as the database would see its SQL: Rust's `\`-newline string continuations
/// joined, so a statement split over lines is read whole.
fn joined(source: &str) -> String {
    Regex::new(r"\\\r?\n\s*")
        .expect("valid pattern")
        .replace_all(source, "")
        .into_owned()
}

/// Every offending statement of `source`, with its line.
fn offences(source: &str) -> Vec<String> {
    let text = joined(source);
    rewriting_statements()
        .find_iter(&text)
        .map(|m| {
            let line = text[..m.start()].lines().count().max(1);
            format!("line {line}: `{}`", m.as_str())
        })
        .collect()
}

fn files_under(dir: &Path, extension: &str, found: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            files_under(&path, extension, found);
        } else if path.extension().is_some_and(|e| e == extension) {
            found.push(path);
        }
    }
}

#[test]
fn no_code_path_rewrites_the_event_log() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    files_under(&root.join("src"), "rs", &mut files);
    files_under(&root.join("migrations"), "sql", &mut files);
    // The walk must reach the code that writes events, or this test proves nothing.
    let writer = root.join("src/store/sql.rs");
    assert!(
        files.contains(&writer),
        "{} was not scanned",
        writer.display()
    );
    let writer_text = std::fs::read_to_string(&writer).unwrap();
    assert!(
        joined(&writer_text).contains("INSERT INTO ticket_events ("),
        "the scanned writer appends events"
    );

    let mut found = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap();
        for offence in offences(&source) {
            found.push(format!(
                "{}: {offence}",
                file.strip_prefix(root).unwrap_or(file).display()
            ));
        }
    }
    assert!(
        found.is_empty(),
        "the event log is append-only, but these statements would rewrite it:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scan_recognises_rewrites_however_they_are_written() {
    for rewrite in [
        r#"sqlx::query("UPDATE ticket_events SET reason = $1 WHERE id = $2")"#,
        "const SQL: &str = \"update \\\n     ticket_events set details = '{}'\";",
        r#""DELETE FROM ticket_events WHERE ticket_id = $1""#,
        r#""delete from ONLY ticket_events""#,
        r#""TRUNCATE TABLE ticket_events""#,
        r#""INSERT OR REPLACE INTO ticket_events (id) VALUES ($1)""#,
        r#""REPLACE INTO ticket_events (id) VALUES ($1)""#,
        r#""INSERT INTO ticket_events (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET reason = ''""#,
        r#""ALTER TABLE ticket_events DISABLE TRIGGER ticket_events_no_change""#,
        "DROP TRIGGER IF EXISTS ticket_events_no_update;",
        r#""DROP TABLE IF EXISTS ticket_events""#,
    ] {
        assert_eq!(offences(rewrite).len(), 1, "not caught: {rewrite}");
    }
    for harmless in [
        r#""INSERT INTO ticket_events (ticket_id, version) VALUES ($1, $2)""#,
        r#""SELECT ticket_id FROM ticket_events WHERE version = 1""#,
        "ALTER TABLE ticket_events ADD CONSTRAINT named CHECK (actor_unit <> '')",
        r#""UPDATE tickets SET version = $1 WHERE id = $2""#,
        r#""DELETE FROM rate_counts_daily""#,
        "CREATE TRIGGER ticket_events_no_change BEFORE UPDATE OR DELETE ON ticket_events",
        "-- ticket_events_history is a view, not the log",
    ] {
        assert!(offences(harmless).is_empty(), "wrongly caught: {harmless}");
    }
    assert_eq!(
        offences("let a = 1;\n\n\"UPDATE ticket_events SET x = 1\""),
        vec!["line 3: `UPDATE ticket_events`".to_string()]
    );
}
