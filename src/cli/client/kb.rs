//! `hotline kb …`: the knowledge base (知识库) through KnowledgeService. Import goes
//! through the daemon like every other write, so each row is validated against the
//! catalogue the daemon runs with, recorded with its actor, and searchable at once.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use super::args::{CentreActor, ClientArgs};
use super::connection::Client;
use super::output::{fields, table};
use crate::knowledge::csv_file::{self, Row};
use crate::proto;

#[derive(Debug, Args)]
pub struct KbCommand {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    action: KbAction,
}

#[derive(Debug, Subcommand)]
enum KbAction {
    /// Create an entry per CSV row (columns: question, answer, keywords, category, topic,
    /// region, owner_unit, valid_from, valid_until); rows that fail are reported by line.
    Import(ImportArgs),
    /// Write entries as CSV (the import format, with id, version and status in front).
    Export(ExportArgs),
    /// Full-text search over the published entries valid today.
    Search(SearchArgs),
    /// Published entries that expired or were not reviewed within the review period.
    Stale(StaleArgs),
    /// One entry, with its version history.
    Show(ShowArgs),
    /// Submit a draft for the centre's approval (owner unit or centre).
    Submit(StepArgs),
    /// Publish an entry awaiting approval (centre only).
    Approve(StepArgs),
    /// Send an entry awaiting approval back to its unit (centre only; --note says why).
    Reject(StepArgs),
    /// Take an entry out of service (owner unit or centre).
    Retire(StepArgs),
    /// Record that a published answer was checked and still holds (resets the review clock).
    Confirm(StepArgs),
}

#[derive(Debug, Args)]
struct StepArgs {
    /// Entry id.
    #[arg(value_name = "ID")]
    id: i64,
    /// The entry version you last saw; without it the current version is read first.
    #[arg(long, value_name = "N")]
    expect_version: Option<i64>,
    /// Why, recorded in the entry's history.
    #[arg(long, default_value = "")]
    note: String,
    #[command(flatten)]
    actor: CentreActor,
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// The CSV file (UTF-8, header row first).
    #[arg(value_name = "CSV")]
    file: PathBuf,
    /// Also submit and approve each entry (the acting unit must be the centre), so it is
    /// published at once; otherwise entries stay drafts.
    #[arg(long)]
    publish: bool,
    #[command(flatten)]
    actor: CentreActor,
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Only this unit's entries.
    #[arg(long, value_name = "UNIT")]
    owner_unit: Option<String>,
    /// Only published entries.
    #[arg(long)]
    published: bool,
}

#[derive(Debug, Args)]
struct SearchArgs {
    /// What the caller asks, in their words.
    #[arg(value_name = "TEXT")]
    text: String,
    /// Region code of the place concerned: that district's or street's entries and
    /// city-wide ones.
    #[arg(long, value_name = "CODE")]
    region: Option<String>,
    /// Only this category.
    #[arg(long)]
    category: Option<String>,
    /// At most this many entries, 1-50 [default: 5].
    #[arg(long, value_name = "N")]
    limit: Option<u32>,
}

#[derive(Debug, Args)]
struct StaleArgs {
    /// Only this unit's entries.
    #[arg(long, value_name = "UNIT")]
    owner_unit: Option<String>,
}

#[derive(Debug, Args)]
struct ShowArgs {
    /// Entry id.
    #[arg(value_name = "ID")]
    id: i64,
    /// Also list every version.
    #[arg(long)]
    history: bool,
}

impl KbCommand {
    pub async fn run(self) -> anyhow::Result<()> {
        let client = self.client.connect().await?;
        match self.action {
            KbAction::Import(args) => import(&client, args).await,
            KbAction::Export(args) => export(&client, args).await,
            KbAction::Search(args) => search(&client, args).await,
            KbAction::Stale(args) => stale(&client, args).await,
            KbAction::Show(args) => show(&client, args).await,
            KbAction::Submit(args) => step(&client, Step::Submit, args).await,
            KbAction::Approve(args) => step(&client, Step::Approve, args).await,
            KbAction::Reject(args) => step(&client, Step::Reject, args).await,
            KbAction::Retire(args) => step(&client, Step::Retire, args).await,
            KbAction::Confirm(args) => step(&client, Step::Confirm, args).await,
        }
    }
}

fn content_to_proto(c: &crate::knowledge::Content) -> proto::EntryContent {
    let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    proto::EntryContent {
        question: c.question.clone(),
        answer: c.answer.clone(),
        keywords: c.keywords.clone(),
        category: c.category.clone(),
        topic: c.topic.clone(),
        region: c.region.clone(),
        owner_unit: c.owner_unit.clone(),
        valid_from: day(c.valid_from),
        valid_until: day(c.valid_until),
    }
}

/// Creates (and with `--publish`, submits and approves) one entry; its id.
async fn import_row(
    client: &Client,
    actor: &proto::Actor,
    content: proto::EntryContent,
    publish: bool,
) -> Result<i64, tonic::Status> {
    let mut kb = client.knowledge();
    let mut entry = kb
        .create_entry(proto::CreateEntryRequest {
            actor: Some(actor.clone()),
            content: Some(content),
        })
        .await?
        .into_inner()
        .entry
        .unwrap_or_default();
    if publish {
        for step in [0, 1] {
            let command = proto::EntryCommand {
                entry_id: entry.id,
                expected_version: entry.version,
                actor: Some(actor.clone()),
                note: "imported".into(),
            };
            let answer = if step == 0 {
                kb.submit_entry(command).await?
            } else {
                kb.approve_entry(command).await?
            };
            entry = answer.into_inner().entry.unwrap_or_default();
        }
    }
    Ok(entry.id)
}

async fn import(client: &Client, args: ImportArgs) -> anyhow::Result<()> {
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("opening {}", args.file.display()))?;
    let rows = csv_file::read(file).map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let actor = args.actor.actor();
    let bar = ProgressBar::new(rows.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{wide_bar}] {pos}/{len} rows, ETA {eta}")?
            .progress_chars("=> "),
    );
    let mut imported = Vec::new();
    let mut failed = Vec::new();
    for (line, content) in rows {
        let outcome = match content {
            Ok(content) => import_row(client, &actor, content_to_proto(&content), args.publish)
                .await
                .map_err(|status| {
                    format!(
                        "{}: {}",
                        super::connection::code_name(status.code()),
                        status.message()
                    )
                }),
            Err(message) => Err(message),
        };
        match outcome {
            Ok(id) => imported.push((line, id)),
            Err(message) => failed.push((line, message)),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    if client.output == super::output::Output::Json {
        let document = serde_json::json!({
            "imported": imported.iter().map(|(line, id)| serde_json::json!({"line": line, "entryId": id})).collect::<Vec<_>>(),
            "failed": failed.iter().map(|(line, error)| serde_json::json!({"line": line, "error": error})).collect::<Vec<_>>(),
        });
        say!("{}", serde_json::to_string_pretty(&document)?);
    } else {
        say!(
            "{} entries imported{}, {} rows failed",
            imported.len(),
            if args.publish {
                " and published"
            } else {
                " as drafts"
            },
            failed.len()
        );
        if !failed.is_empty() {
            let mut t = table(&["Line", "Error"]);
            for (line, error) in &failed {
                t.add_row(vec![line.to_string(), error.clone()]);
            }
            say!("{t}");
        }
    }
    anyhow::ensure!(
        failed.is_empty(),
        "{} of {} rows were not imported",
        failed.len(),
        failed.len() + imported.len()
    );
    Ok(())
}

async fn export(client: &Client, args: ExportArgs) -> anyhow::Result<()> {
    let mut entries = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client.reply(
            client
                .knowledge()
                .list_entries(proto::ListEntriesRequest {
                    owner_unit: args.owner_unit.clone().unwrap_or_default(),
                    statuses: if args.published {
                        vec![proto::EntryStatus::Published as i32]
                    } else {
                        Vec::new()
                    },
                    page_size: 500,
                    page_token,
                })
                .await,
        )?;
        entries.extend(page.entries);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let rows: Vec<Row> = entries
        .iter()
        .map(|e| {
            let c = e.content.clone().unwrap_or_default();
            Row {
                id: e.id.to_string(),
                version: e.version.to_string(),
                status: status_code(e.status),
                question: c.question,
                answer: c.answer,
                keywords: c.keywords.join(";"),
                category: c.category,
                topic: c.topic,
                region: c.region,
                owner_unit: c.owner_unit,
                valid_from: c.valid_from,
                valid_until: c.valid_until,
            }
        })
        .collect();
    let mut buffer = Vec::new();
    csv_file::write(&mut buffer, &rows)?;
    match args.output {
        Some(path) => {
            std::fs::write(&path, &buffer)
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("{} entries written to {}", rows.len(), path.display());
        }
        None => std::io::stdout().lock().write_all(&buffer)?,
    }
    Ok(())
}

fn status_code(status: i32) -> String {
    proto::EntryStatus::try_from(status)
        .map(|s| {
            s.as_str_name()
                .trim_start_matches("ENTRY_STATUS_")
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

/// At most `max` characters, with … when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    text.chars().take(max).chain(['…']).collect()
}

async fn search(client: &Client, args: SearchArgs) -> anyhow::Result<()> {
    let found = client.reply(
        client
            .knowledge()
            .search_entries(proto::SearchEntriesRequest {
                query: args.text,
                region: args.region.unwrap_or_default(),
                category: args.category.unwrap_or_default(),
                limit: args.limit.unwrap_or_default(),
            })
            .await,
    )?;
    client.output.print(&found, |found| {
        if found.hits.is_empty() {
            return "no published entry matches".into();
        }
        let mut t = table(&["ID", "Ver", "Score", "Question", "Snippet", "Owner"]);
        for h in &found.hits {
            t.add_row(vec![
                h.entry_id.to_string(),
                h.version.to_string(),
                format!("{:.2}", h.score),
                h.question.clone(),
                clip(&h.snippet, 60),
                h.owner_unit.clone(),
            ]);
        }
        t.to_string()
    })
}

async fn stale(client: &Client, args: StaleArgs) -> anyhow::Result<()> {
    let stale = client.reply(
        client
            .knowledge()
            .list_stale(proto::ListStaleRequest {
                owner_unit: args.owner_unit.unwrap_or_default(),
            })
            .await,
    )?;
    client.output.print(&stale, |stale| {
        let mut t = table(&[
            "ID",
            "Ver",
            "Reason",
            "Question",
            "Owner",
            "Reviewed",
            "Valid until",
        ]);
        for e in &stale.entries {
            t.add_row(vec![
                e.entry_id.to_string(),
                e.version.to_string(),
                e.reason.clone(),
                e.question.clone(),
                e.owner_unit.clone(),
                match &e.reviewed_at {
                    Some(at) => super::beijing::format(Some(at)),
                    None => "never".into(),
                },
                e.valid_until.clone(),
            ]);
        }
        format!(
            "{t}\n{} stale entries (expired, or not reviewed within {} days)",
            stale.entries.len(),
            stale.review_every_days
        )
    })
}

async fn show(client: &Client, args: ShowArgs) -> anyhow::Result<()> {
    let answer = client.reply(
        client
            .knowledge()
            .get_entry(proto::GetEntryRequest {
                entry_id: args.id,
                include_history: args.history,
            })
            .await,
    )?;
    client.output.print(&answer, |answer| {
        let e = answer.entry.clone().unwrap_or_default();
        let c = e.content.clone().unwrap_or_default();
        let mut out = fields(vec![
            ("ID", e.id.to_string()),
            ("Version", e.version.to_string()),
            ("Status", status_code(e.status)),
            (
                "Published version",
                if e.published_version > 0 {
                    e.published_version.to_string()
                } else {
                    String::new()
                },
            ),
            ("Question", c.question),
            ("Answer", c.answer),
            ("Keywords", c.keywords.join("、")),
            ("Category", c.category),
            ("Topic", c.topic),
            ("Region", c.region),
            ("Owner", c.owner_unit),
            ("Valid from", c.valid_from),
            ("Valid until", c.valid_until),
        ])
        .to_string();
        if !e.history.is_empty() {
            let mut t = table(&["Ver", "Action", "Status", "By", "At", "Note"]);
            for v in &e.history {
                let by = v.actor.clone().unwrap_or_default();
                t.add_row(vec![
                    v.version.to_string(),
                    v.action.clone(),
                    status_code(v.status),
                    format!("{}/{}", by.unit, by.person),
                    super::beijing::format(v.at.as_ref()),
                    v.note.clone(),
                ]);
            }
            out.push_str(&format!("\n{t}"));
        }
        out
    })
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Submit,
    Approve,
    Reject,
    Retire,
    Confirm,
}

async fn step(client: &Client, step: Step, args: StepArgs) -> anyhow::Result<()> {
    let mut kb = client.knowledge();
    let expected_version = match args.expect_version {
        Some(version) => version,
        None => {
            let current = kb
                .get_entry(proto::GetEntryRequest {
                    entry_id: args.id,
                    include_history: false,
                })
                .await;
            client.reply(current)?.entry.unwrap_or_default().version
        }
    };
    let command = proto::EntryCommand {
        entry_id: args.id,
        expected_version,
        actor: Some(args.actor.actor()),
        note: args.note,
    };
    let answer = match step {
        Step::Submit => kb.submit_entry(command).await,
        Step::Approve => kb.approve_entry(command).await,
        Step::Reject => kb.reject_entry(command).await,
        Step::Retire => kb.retire_entry(command).await,
        Step::Confirm => kb.confirm_entry(command).await,
    };
    let answer = client.reply(answer)?;
    client.output.print(&answer, |answer| {
        let e = answer.entry.clone().unwrap_or_default();
        format!(
            "entry {} is {} at version {}",
            e.id,
            status_code(e.status),
            e.version
        )
    })
}
