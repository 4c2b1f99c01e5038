//! The monthly report as aligned tables for a terminal.

use super::html::growth;
use super::{count_change, percent, points};
use crate::cli::client::output::table;
use crate::proto;

/// The rate as a percentage, marked `↓` under the target.
fn against(rate: Option<f64>, target: f64) -> String {
    let below = rate.is_some_and(|r| r < target);
    format!("{}{}", percent(rate), if below { " ↓" } else { "" })
}

fn hot_table(title: &str, issues: &[proto::HotIssue]) -> String {
    if issues.is_empty() {
        return format!("{title}: none");
    }
    let mut t = table(&[title, "本月", "上月", "增量", "增幅"]);
    for h in issues {
        t.add_row(vec![
            h.label.clone(),
            h.tickets.to_string(),
            h.previous_tickets.to_string(),
            format!("+{}", h.increase),
            growth(h.growth_rate),
        ]);
    }
    t.to_string()
}

pub fn render(report: &proto::GetAssessmentResponse) -> String {
    let w = report.weights.unwrap_or_default();
    let mut out = vec![format!(
        "monthly assessment {} (Beijing days); tickets {} (last month {}, {})\n\
         score = 100 × ({} × 响应率 + {} × 解决率 + {} × 满意率) − deductions \
         ({} per overdue, {} per improper return, at most {}); ↓ under target",
        report.month,
        report.tickets,
        report.previous_tickets,
        count_change(report.tickets, report.previous_tickets),
        w.response,
        w.resolution,
        w.satisfaction,
        w.overdue_points,
        w.improper_return_points,
        w.max_deduction,
    )];
    for class in &report.classes {
        let mut t = table(&[
            "Rank",
            "Unit",
            "Name",
            "Score",
            "响应率",
            "解决率",
            "满意率",
            "Dispatched",
            "Callbacks",
            "Overdue",
            "Improper returns",
            "Deduction",
        ]);
        for u in &class.units {
            let target = u.targets.unwrap_or_default();
            t.add_row(vec![
                u.rank
                    .map_or_else(|| "未排名".to_string(), |r| r.to_string()),
                u.unit.clone(),
                u.name.clone(),
                u.score.map_or_else(|| "-".to_string(), points),
                against(u.response_rate, target.response),
                against(u.resolution_rate, target.resolution),
                against(u.satisfaction_rate, target.satisfaction),
                u.dispatched.to_string(),
                u.callbacks_in_scope.to_string(),
                u.overdue.to_string(),
                u.improper_returns.to_string(),
                points(u.deduction),
            ]);
        }
        out.push(format!("{} ({})\n{t}", class.label, class.unit_class));
    }
    out.push(format!(
        "hot issues: at least {} requests this month, grown most over {}",
        report.min_volume, report.previous_month
    ));
    out.push(hot_table("类别", &report.hot_categories));
    out.push(hot_table("地区", &report.hot_places));
    if report.repeat_requesters.is_empty() {
        out.push("repeat requesters: none".into());
    } else {
        let mut t = table(&["来电号码", "类别", "次数", "地区", "最近工单"]);
        for r in &report.repeat_requesters {
            t.add_row(vec![
                r.phone.clone(),
                r.category_label.clone(),
                r.tickets.to_string(),
                r.region_label.clone(),
                r.latest_ticket_id.to_string(),
            ]);
        }
        out.push(format!(
            "repeat requesters (≥ {} requests in one category)\n{t}",
            report.repeat_min_requests
        ));
    }
    out.join("\n\n")
}
