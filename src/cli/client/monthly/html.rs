//! The monthly report as one self-contained HTML page (inline CSS, inline SVG charts, no
//! script or network), from `templates/assessment.html`: what a director opens in a browser.

use askama::Template;

use super::chart::{Builder, Chart, Value, nice_ceiling};
use super::{count_change, percent, points};
use crate::proto;

/// Classes with more ranked units than this chart the top and bottom halves of it.
const CHART_MAX_UNITS: usize = 30;

#[derive(Template)]
#[template(path = "assessment.html")]
struct Page {
    month: String,
    previous_month: String,
    tickets: u64,
    previous_tickets: u64,
    tickets_change: String,
    formula: String,
    deductions: String,
    rates_chart: Chart,
    classes: Vec<ClassView>,
    hot_categories: HotView,
    hot_places: HotView,
    repeats_chart: Option<Chart>,
    repeats: Vec<RepeatRow>,
    min_volume: u64,
    repeat_min_requests: u64,
}

struct ClassView {
    code: String,
    label: String,
    ranked: usize,
    chart: Option<Chart>,
    rows: Vec<UnitRow>,
}

struct UnitRow {
    rank: String,
    name: String,
    unit: String,
    score: String,
    response: Cell,
    resolution: Cell,
    satisfaction: Cell,
    dispatched: u64,
    callbacks: u64,
    overdue: u64,
    improper_returns: u64,
    deduction: String,
}

/// A rate, and whether it is under the unit's target.
struct Cell {
    text: String,
    below: bool,
}

struct HotView {
    chart: Option<Chart>,
    rows: Vec<HotRow>,
}

struct HotRow {
    label: String,
    key: String,
    tickets: u64,
    previous: u64,
    increase: i64,
    growth: String,
}

struct RepeatRow {
    phone: String,
    category: String,
    tickets: u64,
    region: String,
    latest: i64,
}

pub fn render(report: &proto::GetAssessmentResponse) -> anyhow::Result<String> {
    let w = report.weights.unwrap_or_default();
    let page = Page {
        month: report.month.clone(),
        previous_month: report.previous_month.clone(),
        tickets: report.tickets,
        previous_tickets: report.previous_tickets,
        tickets_change: count_change(report.tickets, report.previous_tickets),
        formula: format!(
            "综合得分 = 100 × ({} × 响应率 + {} × 解决率 + {} × 满意率) − 扣分",
            w.response, w.resolution, w.satisfaction
        ),
        deductions: format!(
            "扣分 = 超期每件 {} 分 + 不当退单每件 {} 分，最多 {} 分；满意率 = (满意 + {} × 基本满意) ÷ 回访数。\
             某率无分母时按其余各率的权重折算；本月无任何一率的单位不参与排名。",
            w.overdue_points,
            w.improper_return_points,
            w.max_deduction,
            report.basically_satisfied_weight
        ),
        rates_chart: rates_chart(report),
        classes: report.classes.iter().map(class_view).collect(),
        hot_categories: hot_view(&report.hot_categories),
        hot_places: hot_view(&report.hot_places),
        repeats_chart: repeats_chart(&report.repeat_requesters),
        repeats: report
            .repeat_requesters
            .iter()
            .map(|r| RepeatRow {
                phone: r.phone.clone(),
                category: r.category_label.clone(),
                tickets: r.tickets,
                region: r.region_label.clone(),
                latest: r.latest_ticket_id,
            })
            .collect(),
        min_volume: report.min_volume,
        repeat_min_requests: report.repeat_min_requests,
    };
    Ok(page.render()?)
}

fn cell(rate: Option<f64>, target: Option<f64>) -> Cell {
    Cell {
        text: percent(rate),
        below: matches!((rate, target), (Some(r), Some(t)) if r < t),
    }
}

fn class_view(class: &proto::ClassAssessment) -> ClassView {
    let rows = class
        .units
        .iter()
        .map(|u| {
            let t = u.targets.unwrap_or_default();
            UnitRow {
                rank: u
                    .rank
                    .map_or_else(|| "未排名".to_string(), |r| r.to_string()),
                name: u.name.clone(),
                unit: u.unit.clone(),
                score: u.score.map_or_else(|| "-".to_string(), points),
                response: cell(u.response_rate, Some(t.response)),
                resolution: cell(u.resolution_rate, Some(t.resolution)),
                satisfaction: cell(u.satisfaction_rate, Some(t.satisfaction)),
                dispatched: u.dispatched,
                callbacks: u.callbacks_in_scope,
                overdue: u.overdue,
                improper_returns: u.improper_returns,
                deduction: if u.deduction > 0.0 {
                    format!("−{}", points(u.deduction))
                } else {
                    String::new()
                },
            }
        })
        .collect();
    let ranked: Vec<&proto::UnitAssessment> =
        class.units.iter().filter(|u| u.score.is_some()).collect();
    ClassView {
        code: class.unit_class.clone(),
        label: class.label.clone(),
        ranked: ranked.len(),
        chart: score_chart(&ranked),
        rows,
    }
}

/// The composite per ranked unit, best first (the tables mark the rates under target).
fn score_chart(ranked: &[&proto::UnitAssessment]) -> Option<Chart> {
    if ranked.is_empty() {
        return None;
    }
    let mut b = Builder::new(100.0, 5, |v| format!("{v:.0}"));
    let half = CHART_MAX_UNITS / 2;
    for (i, u) in ranked.iter().enumerate() {
        if ranked.len() > CHART_MAX_UNITS && i == half {
            b.gap();
        }
        if ranked.len() > CHART_MAX_UNITS && i >= half && i < ranked.len() - half {
            continue;
        }
        let score = u.score.unwrap_or_default();
        b.row(
            format!("{}. {}", u.rank.unwrap_or_default(), short(&u.name)),
            vec![Value {
                value: score,
                class: "bar-score",
                title: format!("{}：{}", u.name, points(score)),
            }],
            None,
            points(score),
        );
    }
    Some(b.build())
}

/// Each class's three rates (its units' counts summed) against its targets.
fn rates_chart(report: &proto::GetAssessmentResponse) -> Chart {
    let mut b = Builder::new(1.0, 5, |v| format!("{:.0}%", v * 100.0));
    for class in &report.classes {
        let sum = |f: fn(&proto::UnitAssessment) -> f64| class.units.iter().map(f).sum::<f64>();
        let ratio = |n: f64, d: f64| (d > 0.0).then(|| n / d);
        let dispatched = sum(|u| u.dispatched as f64);
        let callbacks = sum(|u| u.callbacks_in_scope as f64);
        let rates = [
            (
                "响应率",
                ratio(sum(|u| u.responded_in_time as f64), dispatched),
            ),
            ("解决率", ratio(sum(|u| u.resolved as f64), callbacks)),
            (
                "满意率",
                ratio(
                    sum(|u| u.satisfaction_rate.unwrap_or_default() * u.callbacks_in_scope as f64),
                    callbacks,
                ),
            ),
        ];
        // The targets of the class's own kind (a department's, not a sub-centre's).
        let targets = class
            .units
            .iter()
            .find(|u| u.targets.is_some())
            .and_then(|u| u.targets)
            .unwrap_or_default();
        let target = [targets.response, targets.resolution, targets.satisfaction];
        for ((name, rate), target) in rates.into_iter().zip(target) {
            let below = rate.is_some_and(|r| r < target);
            b.row(
                format!("{} · {name}", class.label),
                vec![Value {
                    value: rate.unwrap_or_default(),
                    class: if below { "bar-miss" } else { "bar-rate" },
                    title: format!(
                        "{} {name} {}（目标 {}）",
                        class.label,
                        percent(rate),
                        percent(Some(target))
                    ),
                }],
                Some(target),
                format!("{}  目标 {}", percent(rate), percent(Some(target))),
            );
        }
    }
    b.build()
}

fn hot_view(issues: &[proto::HotIssue]) -> HotView {
    let max = issues
        .iter()
        .map(|i| i.tickets.max(i.previous_tickets))
        .max()
        .unwrap_or(0);
    let chart = (!issues.is_empty()).then(|| {
        let mut b = Builder::new(nice_ceiling(max as f64), 5, |v| format!("{v:.0}"));
        for i in issues {
            b.row(
                short(&i.label),
                vec![
                    Value {
                        value: i.previous_tickets as f64,
                        class: "bar-prev",
                        title: format!("{} 上月 {} 件", i.label, i.previous_tickets),
                    },
                    Value {
                        value: i.tickets as f64,
                        class: "bar-cur",
                        title: format!("{} 本月 {} 件", i.label, i.tickets),
                    },
                ],
                None,
                format!("+{} ({})", i.increase, growth(i.growth_rate)),
            );
        }
        b.build()
    });
    HotView {
        chart,
        rows: issues
            .iter()
            .map(|i| HotRow {
                label: i.label.clone(),
                key: i.key.clone(),
                tickets: i.tickets,
                previous: i.previous_tickets,
                increase: i.increase,
                growth: growth(i.growth_rate),
            })
            .collect(),
    }
}

fn repeats_chart(repeats: &[proto::RepeatRequester]) -> Option<Chart> {
    let max = nice_ceiling(repeats.iter().map(|r| r.tickets).max()? as f64);
    let mut b = Builder::new(max, (max as usize).min(5), |v| format!("{v:.0}"));
    for r in repeats {
        b.row(
            format!("{} · {}", r.phone, r.category_label),
            vec![Value {
                value: r.tickets as f64,
                class: "bar-repeat",
                title: format!("{} {} {} 次", r.phone, r.category_label, r.tickets),
            }],
            None,
            format!("{} 次", r.tickets),
        );
    }
    Some(b.build())
}

pub fn growth(rate: Option<f64>) -> String {
    rate.map_or_else(|| "新增".to_string(), |r| format!("{:+.0}%", r * 100.0))
}

/// Long unit names (国家税务总局南京市税务局（12366…）) cut for a chart's label column.
fn short(name: &str) -> String {
    const MAX: usize = 14;
    if name.chars().count() <= MAX {
        name.to_string()
    } else {
        format!("{}…", name.chars().take(MAX - 1).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_for_charts() {
        assert_eq!(short("玄武区"), "玄武区");
        assert_eq!(
            short("国家税务总局南京市税务局（12366纳税缴费服务分中心）")
                .chars()
                .count(),
            14
        );
    }
}
