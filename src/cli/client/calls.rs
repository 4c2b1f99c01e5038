//! `hotline calls …`: call-line statistics (话务指标) and the missed-call callback queue
//! (漏接回拨) (CallService). Caller numbers are masked in tables; `--json` has them.

use anyhow::ensure;
use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};

use super::args::ClientArgs;
use super::beijing;
use super::connection::Client;
use super::output::table;
use crate::domain::pii::mask_phone;
use crate::proto;

#[derive(Debug, Args)]
pub struct CallsCommand {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    action: CallsAction,
}

#[derive(Debug, Subcommand)]
enum CallsAction {
    /// Per line: offered, answered, abandoned calls, connection rate (接通率), 15-second
    /// answer rate, average and 90th-percentile wait, against the line's targets.
    Stats(StatsArgs),
    /// Abandoned calls past the callback window that nobody has called back yet.
    Missed(MissedArgs),
    /// Record that an agent called a missed caller back (clears the number's missed calls).
    CalledBack(CalledBackArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Grouping {
    Whole,
    Day,
    Hour,
}

#[derive(Debug, Args)]
struct StatsArgs {
    /// Only this line (12345, 12328…).
    #[arg(long)]
    line: Option<String>,
    /// First day, YYYY-MM-DD in Beijing time [default: today].
    #[arg(long, value_name = "YYYY-MM-DD")]
    from: Option<NaiveDate>,
    /// Last day, included [default: the --from day].
    #[arg(long, value_name = "YYYY-MM-DD")]
    to: Option<NaiveDate>,
    /// One row per line for the period, or per day or hour as well.
    #[arg(long, value_enum, default_value = "whole")]
    by: Grouping,
}

#[derive(Debug, Args)]
struct MissedArgs {
    /// Only this line.
    #[arg(long)]
    line: Option<String>,
    /// At most this many calls, 1-1000 [default: 100].
    #[arg(long, value_name = "N")]
    limit: Option<u32>,
}

#[derive(Debug, Args)]
struct CalledBackArgs {
    /// The leg id of the missed call (from `hotline calls missed`).
    #[arg(value_name = "LEG_ID")]
    leg_id: String,
    /// The agent who called back.
    #[arg(long, env = "HOTLINE_PERSON")]
    agent: String,
    /// What came of it.
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
}

impl CallsCommand {
    pub async fn run(self) -> anyhow::Result<()> {
        let client = self.client.connect().await?;
        match self.action {
            CallsAction::Stats(args) => stats(&client, args).await,
            CallsAction::Missed(args) => missed(&client, args).await,
            CallsAction::CalledBack(args) => called_back(&client, args).await,
        }
    }
}

fn percent(rate: f64) -> String {
    if rate.is_nan() {
        "-".to_string()
    } else {
        format!("{:.1}%", rate * 100.0)
    }
}

fn seconds(value: f64) -> String {
    if value.is_nan() {
        "-".to_string()
    } else {
        format!("{value:.1} s")
    }
}

/// The value, marked `↓` when it misses the target (0: none); `higher` says which way is good.
fn against(text: String, value: f64, target: f64, higher: bool) -> String {
    let missed = target > 0.0
        && !value.is_nan()
        && if higher {
            value < target
        } else {
            value > target
        };
    if missed { format!("{text} ↓") } else { text }
}

fn stats_table(response: &proto::GetCallStatsResponse, by_period: bool) -> String {
    let mut header = vec![
        "Line",
        "Offered",
        "Answered",
        "≤15 s",
        "Abandoned",
        "Short",
        "接通率",
        "15 s rate",
        "Avg wait",
        "p90 wait",
    ];
    if by_period {
        header.insert(0, "Period");
    }
    let mut t = table(&header);
    for row in &response.rows {
        let targets = row.targets.unwrap_or_default();
        let mut cells = vec![
            row.line.clone(),
            row.offered.to_string(),
            row.answered.to_string(),
            row.answered_in_15s.to_string(),
            row.abandoned.to_string(),
            row.short_abandoned.to_string(),
            against(
                percent(row.connection_rate),
                row.connection_rate,
                targets.connection_rate,
                true,
            ),
            against(
                percent(row.answer_15s_rate),
                row.answer_15s_rate,
                targets.answer_15s_rate,
                true,
            ),
            against(
                seconds(row.wait_seconds_avg),
                row.wait_seconds_avg,
                targets.wait_seconds_avg,
                false,
            ),
            seconds(row.wait_seconds_p90),
        ];
        if by_period {
            cells.insert(0, beijing::format(row.period_start.as_ref()));
        }
        t.add_row(cells);
    }
    format!(
        "{t}\n接通率 = answered ÷ (offered − short abandons); ↓ misses the line's target (config/calls.toml)"
    )
}

async fn stats(client: &Client, args: StatsArgs) -> anyhow::Result<()> {
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .date_naive();
    let from = args.from.unwrap_or(today);
    let to = args.to.unwrap_or(from);
    ensure!(from <= to, "--to {to} is before --from {from}");
    let request = proto::GetCallStatsRequest {
        from: Some(beijing::start_of_day(from)),
        to: Some(beijing::end_of_day(to)),
        line: args.line.unwrap_or_default(),
        group_by: match args.by {
            Grouping::Whole => proto::CallGrouping::Whole,
            Grouping::Day => proto::CallGrouping::Day,
            Grouping::Hour => proto::CallGrouping::Hour,
        } as i32,
    };
    let response = client.reply(client.calls().get_call_stats(request).await)?;
    let by_period = !matches!(args.by, Grouping::Whole);
    client.output.print(&response, |r| {
        format!(
            "period {from} to {to} (Beijing days)\n{}",
            stats_table(r, by_period)
        )
    })
}

fn missed_table(response: &proto::ListMissedCallsResponse) -> String {
    let mut t = table(&["Leg", "Line", "Caller", "Abandoned", "Due"]);
    for call in &response.calls {
        t.add_row(vec![
            call.leg_id.clone(),
            call.line.clone(),
            mask_phone(&call.caller),
            beijing::format(call.abandoned_at.as_ref()),
            beijing::format(call.due_at.as_ref()),
        ]);
    }
    format!("{t}\n{} missed call(s) to call back", response.calls.len())
}

async fn missed(client: &Client, args: MissedArgs) -> anyhow::Result<()> {
    let request = proto::ListMissedCallsRequest {
        line: args.line.unwrap_or_default(),
        limit: args.limit.unwrap_or_default(),
    };
    let response = client.reply(client.calls().list_missed_calls(request).await)?;
    client.output.print(&response, missed_table)
}

async fn called_back(client: &Client, args: CalledBackArgs) -> anyhow::Result<()> {
    let request = proto::RecordMissedCallbackRequest {
        leg_id: args.leg_id,
        agent: args.agent,
        note: args.note.unwrap_or_default(),
    };
    let response = client.reply(client.calls().record_missed_callback(request).await)?;
    client.output.print(&response, |r| {
        let call = r.call.clone().unwrap_or_default();
        format!(
            "missed call {} from {} cleared ({} {})",
            call.leg_id,
            mask_phone(&call.caller),
            call.cleared_by,
            beijing::format(call.cleared_at.as_ref())
        )
    })
}
