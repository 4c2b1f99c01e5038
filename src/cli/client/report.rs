//! `hotline report …`: the three rates (三率: 响应率, 解决率, 满意率), the overdue and
//! warning list, the supervision summary per unit, and the monthly assessment
//! ([`monthly`](super::monthly)) (ReportService).

use anyhow::ensure;
use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};

use super::args::ClientArgs;
use super::beijing;
use super::connection::Client;
use super::output::table;
use super::vocabulary::{DEADLINE_KIND, TICKET_STATE, WARNING_LEVEL};
use crate::proto;

#[derive(Debug, Args)]
pub struct ReportCommand {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    action: ReportAction,
}

#[derive(Debug, Subcommand)]
enum ReportAction {
    /// The three rates per unit, region or category over a period of Beijing days:
    /// response rate (响应率), resolution rate (解决率), satisfaction rate (满意率).
    Rates(RatesArgs),
    /// Open tickets past a sign, respond or reply deadline (or, with --level, at a yellow or
    /// red warning), most urgent first.
    Overdue(OverdueArgs),
    /// Supervision (督办) per unit: open tickets, supervised, overdue and chased up (催办).
    Supervision(SupervisionArgs),
    /// The monthly assessment (月度考核): units ranked within their class by a composite of
    /// the three rates less deductions, and the month's hot issues (每月一题), as a table,
    /// JSON, CSV or a self-contained HTML page with charts.
    Monthly(super::monthly::MonthlyArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Grouping {
    Unit,
    Region,
    Category,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Period {
    None,
    Day,
    Month,
}

#[derive(Debug, Args)]
struct RatesArgs {
    /// First day of the period, YYYY-MM-DD in Beijing time [default: the 1st of this month].
    #[arg(long, value_name = "YYYY-MM-DD")]
    from: Option<NaiveDate>,
    /// Last day of the period, included [default: the last day of this month].
    #[arg(long, value_name = "YYYY-MM-DD")]
    to: Option<NaiveDate>,
    /// One row per unit, region or category.
    #[arg(long, value_enum, default_value = "unit")]
    by: Grouping,
    /// Also one row per day or month of the period.
    #[arg(long, value_enum, default_value = "none")]
    period: Period,
    /// Only this unit.
    #[arg(long)]
    unit: Option<String>,
    /// Only this region code.
    #[arg(long)]
    region: Option<String>,
    /// Only this category.
    #[arg(long)]
    category: Option<String>,
}

#[derive(Debug, Args)]
struct OverdueArgs {
    /// Only this unit's tickets.
    #[arg(long)]
    unit: Option<String>,
    /// At most this many tickets, 1-500 [default: 100].
    #[arg(long, value_name = "N")]
    limit: Option<u32>,
    /// Tickets at this warning level or worse: yellow, red or overdue [default: overdue].
    #[arg(long, value_parser = WARNING_LEVEL.parser())]
    level: Option<i32>,
}

#[derive(Debug, Args)]
struct SupervisionArgs {
    /// Only this unit.
    #[arg(long)]
    unit: Option<String>,
}

impl ReportCommand {
    pub async fn run(self) -> anyhow::Result<()> {
        let client = self.client.connect().await?;
        match self.action {
            ReportAction::Rates(args) => rates(&client, args).await,
            ReportAction::Overdue(args) => overdue(&client, args).await,
            ReportAction::Supervision(args) => supervision(&client, args).await,
            ReportAction::Monthly(args) => super::monthly::run(&client, args).await,
        }
    }
}

fn percent(rate: Option<f64>) -> String {
    rate.map(|r| format!("{:.1}%", r * 100.0))
        .unwrap_or_else(|| "-".to_string())
}

/// The rate as a percentage, marked `↓` when it is under the unit's target.
fn against(rate: Option<f64>, target: Option<f64>) -> String {
    let below = matches!((rate, target), (Some(r), Some(t)) if r < t);
    format!("{}{}", percent(rate), if below { " ↓" } else { "" })
}

fn rates_table(rates: &proto::GetRatesResponse) -> String {
    let by_period = rates.rows.iter().any(|r| !r.period.is_empty());
    let mut header = vec![
        "Key",
        "Dispatched",
        "Responded in time",
        "响应率",
        "Callbacks",
        "Resolved",
        "解决率",
        "满意",
        "基本满意",
        "不满意",
        "满意率",
        "Declined",
    ];
    if by_period {
        header.insert(0, "Period");
    }
    let mut t = table(&header);
    for row in &rates.rows {
        let key = if row.key.is_empty() {
            "(none)".to_string()
        } else {
            row.key.clone()
        };
        let target = |pick: fn(&proto::RateTargets) -> f64| row.targets.as_ref().map(pick);
        let mut cells = vec![
            key,
            row.dispatched.to_string(),
            row.responded_in_time.to_string(),
            against(row.response_rate, target(|t| t.response)),
            row.callbacks_in_scope.to_string(),
            row.resolved.to_string(),
            against(row.resolution_rate, target(|t| t.resolution)),
            row.satisfied.to_string(),
            row.basically_satisfied.to_string(),
            row.dissatisfied.to_string(),
            against(row.satisfaction_rate, target(|t| t.satisfaction)),
            row.declined.to_string(),
        ];
        if by_period {
            cells.insert(0, row.period.clone());
        }
        t.add_row(cells);
    }
    format!(
        "{t}\n满意率 = (满意 + {} × 基本满意) ÷ callbacks; declined callbacks are outside the scope; \
         ↓ under the unit's target",
        rates.basically_satisfied_weight
    )
}

async fn rates(client: &Client, args: RatesArgs) -> anyhow::Result<()> {
    let (month_start, month_end) = beijing::current_month();
    let from = args.from.unwrap_or(month_start);
    let to = args.to.unwrap_or(month_end);
    ensure!(from <= to, "--to {to} is before --from {from}");
    let request = proto::GetRatesRequest {
        from: Some(beijing::start_of_day(from)),
        to: Some(beijing::end_of_day(to)),
        group_by: match args.by {
            Grouping::Unit => proto::RateGrouping::Unit,
            Grouping::Region => proto::RateGrouping::Region,
            Grouping::Category => proto::RateGrouping::Category,
        } as i32,
        unit: args.unit.unwrap_or_default(),
        region: args.region.unwrap_or_default(),
        category: args.category.unwrap_or_default(),
        period: match args.period {
            Period::None => proto::RatePeriod::None,
            Period::Day => proto::RatePeriod::Day,
            Period::Month => proto::RatePeriod::Month,
        } as i32,
    };
    let rates = client.reply(client.report().get_rates(request).await)?;
    client.output.print(&rates, |r| {
        format!("period {from} to {to} (Beijing days)\n{}", rates_table(r))
    })
}

/// `2d 3h`, `5h 12m`, `7m`; time left before the due instant reads `in 5h 12m`.
fn overdue_by(seconds: i64) -> String {
    let minutes = seconds.unsigned_abs() / 60;
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let span = match (days, hours) {
        (0, 0) => format!("{minutes}m"),
        (0, _) => format!("{hours}h {minutes}m"),
        _ => format!("{days}d {hours}h"),
    };
    if seconds < 0 {
        format!("in {span}")
    } else {
        span
    }
}

fn overdue_table(overdue: &proto::ListOverdueResponse) -> String {
    let mut t = table(&[
        "ID",
        "Unit",
        "State",
        "Level",
        "Deadline",
        "Due",
        "Overdue by",
        "Supervised",
        "Chase-ups",
    ]);
    for o in &overdue.tickets {
        t.add_row(vec![
            o.ticket_id.to_string(),
            o.assigned_unit.clone(),
            TICKET_STATE.code(o.state),
            WARNING_LEVEL.code(o.level),
            DEADLINE_KIND.code(o.missed),
            beijing::format(o.due_at.as_ref()),
            overdue_by(o.overdue_seconds),
            if o.supervised { "yes" } else { "" }.to_string(),
            count_or_blank(u64::from(o.chase_up_count)),
        ]);
    }
    format!("{t}\n{} ticket(s)", overdue.tickets.len())
}

fn count_or_blank(n: u64) -> String {
    if n == 0 { String::new() } else { n.to_string() }
}

async fn overdue(client: &Client, args: OverdueArgs) -> anyhow::Result<()> {
    let request = proto::ListOverdueRequest {
        unit: args.unit.unwrap_or_default(),
        limit: args.limit.unwrap_or_default(),
        level: args.level.unwrap_or_default(),
    };
    let overdue = client.reply(client.report().list_overdue(request).await)?;
    client.output.print(&overdue, overdue_table)
}

fn supervision_table(summary: &proto::GetSupervisionSummaryResponse) -> String {
    let mut t = table(&[
        "Unit",
        "Open",
        "Supervised (督办)",
        "Overdue",
        "Chased up (催办)",
        "Chase-ups",
    ]);
    let mut total = proto::UnitSupervision {
        unit: "total".into(),
        ..Default::default()
    };
    for u in &summary.units {
        t.add_row(vec![
            u.unit.clone(),
            u.open.to_string(),
            u.supervised.to_string(),
            u.overdue.to_string(),
            u.chased_up.to_string(),
            u.chase_ups.to_string(),
        ]);
        total.open += u.open;
        total.supervised += u.supervised;
        total.overdue += u.overdue;
        total.chased_up += u.chased_up;
        total.chase_ups += u.chase_ups;
    }
    if summary.units.len() > 1 {
        t.add_row(vec![
            total.unit,
            total.open.to_string(),
            total.supervised.to_string(),
            total.overdue.to_string(),
            total.chased_up.to_string(),
            total.chase_ups.to_string(),
        ]);
    }
    format!(
        "{t}\nopen = on the unit's desk with a deadline running; as of {}",
        beijing::format(summary.as_of.as_ref())
    )
}

async fn supervision(client: &Client, args: SupervisionArgs) -> anyhow::Result<()> {
    let request = proto::GetSupervisionSummaryRequest {
        unit: args.unit.unwrap_or_default(),
    };
    let summary = client.reply(client.report().get_supervision_summary(request).await)?;
    client.output.print(&summary, supervision_table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overdue_durations_read_at_a_glance() {
        assert_eq!(overdue_by(59), "0m");
        assert_eq!(overdue_by(7 * 60), "7m");
        assert_eq!(overdue_by(5 * 3600 + 12 * 60), "5h 12m");
        assert_eq!(overdue_by(2 * 86400 + 3 * 3600 + 59), "2d 3h");
        assert_eq!(overdue_by(-(5 * 3600 + 12 * 60)), "in 5h 12m");
    }

    #[test]
    fn rates_print_as_percentages() {
        assert_eq!(percent(Some(0.9567)), "95.7%");
        assert_eq!(percent(None), "-");
        assert_eq!(against(Some(0.9), Some(0.95)), "90.0% ↓");
        assert_eq!(against(Some(0.95), Some(0.95)), "95.0%");
        assert_eq!(against(None, Some(0.95)), "-");
    }
}
