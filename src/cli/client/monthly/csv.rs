//! The monthly report as CSV: the ranking (one row per unit of every class), then, after
//! an empty line, the hot categories and places, then the repeat requesters; each block
//! with a header of its own. Rates are fractions to four decimals; an empty cell is a
//! rate without a denominator, or no rank.

use crate::proto;

fn fraction(rate: Option<f64>) -> String {
    rate.map(|r| format!("{r:.4}")).unwrap_or_default()
}

fn block(rows: Vec<Vec<String>>) -> anyhow::Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.write_record(row)?;
    }
    Ok(String::from_utf8(writer.into_inner()?)?)
}

fn header(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

pub fn render(report: &proto::GetAssessmentResponse) -> anyhow::Result<String> {
    let month = &report.month;
    let mut ranking = vec![header(&[
        "month",
        "class",
        "rank",
        "unit",
        "name",
        "score",
        "score_from_rates",
        "deduction",
        "response_rate",
        "resolution_rate",
        "satisfaction_rate",
        "dispatched",
        "responded_in_time",
        "callbacks_in_scope",
        "resolved",
        "overdue",
        "improper_returns",
    ])];
    for class in &report.classes {
        for u in &class.units {
            ranking.push(vec![
                month.clone(),
                class.unit_class.clone(),
                u.rank.map(|r| r.to_string()).unwrap_or_default(),
                u.unit.clone(),
                u.name.clone(),
                u.score.map(|s| format!("{s:.2}")).unwrap_or_default(),
                format!("{:.2}", u.score_from_rates),
                format!("{:.2}", u.deduction),
                fraction(u.response_rate),
                fraction(u.resolution_rate),
                fraction(u.satisfaction_rate),
                u.dispatched.to_string(),
                u.responded_in_time.to_string(),
                u.callbacks_in_scope.to_string(),
                u.resolved.to_string(),
                u.overdue.to_string(),
                u.improper_returns.to_string(),
            ]);
        }
    }
    let mut hot = vec![header(&[
        "month",
        "kind",
        "key",
        "label",
        "tickets",
        "previous_tickets",
        "increase",
        "growth_rate",
    ])];
    let issues = [
        ("category", &report.hot_categories),
        ("place", &report.hot_places),
    ];
    for (kind, list) in issues {
        for h in list {
            hot.push(vec![
                month.clone(),
                kind.to_string(),
                h.key.clone(),
                h.label.clone(),
                h.tickets.to_string(),
                h.previous_tickets.to_string(),
                h.increase.to_string(),
                fraction(h.growth_rate),
            ]);
        }
    }
    let mut repeats = vec![header(&[
        "month",
        "phone",
        "category",
        "category_label",
        "tickets",
        "region",
        "region_label",
        "latest_ticket_id",
    ])];
    for r in &report.repeat_requesters {
        repeats.push(vec![
            month.clone(),
            r.phone.clone(),
            r.category.clone(),
            r.category_label.clone(),
            r.tickets.to_string(),
            r.region.clone(),
            r.region_label.clone(),
            r.latest_ticket_id.to_string(),
        ]);
    }
    Ok([block(ranking)?, block(hot)?, block(repeats)?].join("\n"))
}
