//! GetAssessment: the monthly assessment. Gathers a month's counts from the store (the rate
//! aggregate, incidents, volumes, repeat requesters) and hands them to the pure rules of
//! [`monthly`](crate::domain::monthly); this file only maps between the two and protobuf.

use std::collections::BTreeMap;

use tonic::Status;

use super::{App, invalid};
use crate::domain::monthly::{self, Growth, Month, RankedUnit, UnitMonth};
use crate::domain::rates_ledger::day_start;
use crate::domain::{UnitCatalog, taxonomy};
use crate::proto;
use crate::rules::RuleSet;
use crate::store::{RateGrouping, RatePeriod, RateQuery, TicketVolume};

pub async fn get_assessment(
    app: &App,
    request: proto::GetAssessmentRequest,
) -> Result<proto::GetAssessmentResponse, Status> {
    if request.month.is_empty() {
        return Err(invalid("month", "is required (YYYY-MM)"));
    }
    let month = Month::parse(&request.month).map_err(|e| invalid("month", e))?;
    let rules = app.rules.load_full();
    let assessment = &rules.assessment;
    let (from, to) = (day_start(month.first), day_start(month.next));
    let previous_from = day_start(month.previous);

    let rate_rows = app
        .store
        .rate_counts(&RateQuery {
            from: month.first,
            to: month.next,
            group_by: RateGrouping::Unit,
            period: RatePeriod::Whole,
            unit: None,
            region: None,
            category: None,
        })
        .await?;
    let mut months: BTreeMap<String, UnitMonth> = rate_rows
        .into_iter()
        .map(|row| {
            let month = UnitMonth {
                counts: row.counts,
                ..Default::default()
            };
            (row.key, month)
        })
        .collect();
    for incidents in app.store.unit_incidents(from, to).await? {
        let month = months.entry(incidents.unit).or_default();
        month.overdue = incidents.overdue;
        month.improper_returns = incidents.improper_returns;
    }
    let classes = monthly::rank_classes(
        &rules.units,
        &months,
        &assessment.composite,
        assessment.weights,
    )
    .into_iter()
    .map(|(class, units)| proto::ClassAssessment {
        unit_class: class.code().to_string(),
        label: class.label().to_string(),
        units: units.iter().map(|u| unit_assessment(&rules, u)).collect(),
    })
    .collect();

    let current = app.store.ticket_volumes(from, to).await?;
    let previous = app.store.ticket_volumes(previous_from, from).await?;
    let hot = &assessment.hot_issues;
    let by = |volumes: &[TicketVolume], key: fn(&TicketVolume) -> &str| {
        let mut sums: BTreeMap<String, u64> = BTreeMap::new();
        for v in volumes {
            *sums.entry(key(v).to_string()).or_default() += v.tickets;
        }
        sums.into_iter().collect::<Vec<_>>()
    };
    fn category(v: &TicketVolume) -> &str {
        &v.category
    }
    fn region(v: &TicketVolume) -> &str {
        &v.region
    }
    let hot_categories = monthly::hot(&by(&current, category), &by(&previous, category), hot)
        .into_iter()
        .map(|g| hot_issue(g, category_label))
        .collect();
    let hot_places = monthly::hot(&by(&current, region), &by(&previous, region), hot)
        .into_iter()
        .map(|g| hot_issue(g, |code| region_label(&rules.units, code)))
        .collect();

    let mut repeat_requesters = Vec::new();
    for r in app
        .store
        .repeat_requesters(from, to, hot.repeat_min_requests, hot.repeat_top)
        .await?
    {
        // The newest ticket tells the (masked) number and the place.
        let latest = app.store.get_ticket(r.latest).await?;
        let intake = &latest.intake;
        repeat_requesters.push(proto::RepeatRequester {
            phone: crate::domain::pii::mask_phone(&intake.requester.phone),
            category_label: category_label(&r.category),
            category: r.category,
            tickets: r.tickets,
            latest_ticket_id: r.latest,
            region_label: region_label(&rules.units, &intake.region),
            region: intake.region.clone(),
        });
    }

    let c = &assessment.composite;
    Ok(proto::GetAssessmentResponse {
        month: month.label(),
        previous_month: month.previous_label(),
        weights: Some(proto::CompositeWeights {
            response: c.response,
            resolution: c.resolution,
            satisfaction: c.satisfaction,
            overdue_points: c.overdue_points,
            improper_return_points: c.improper_return_points,
            max_deduction: c.max_deduction,
        }),
        basically_satisfied_weight: assessment.weights.basically_satisfied,
        classes,
        hot_categories,
        hot_places,
        repeat_requesters,
        tickets: current.iter().map(|v| v.tickets).sum(),
        previous_tickets: previous.iter().map(|v| v.tickets).sum(),
        min_volume: hot.min_volume,
        repeat_min_requests: hot.repeat_min_requests,
    })
}

fn unit_assessment(rules: &RuleSet, ranked: &RankedUnit) -> proto::UnitAssessment {
    let counts = &ranked.month.counts;
    let targets = rules.assessment.targets.for_kind(ranked.unit.kind);
    let score = ranked.score;
    proto::UnitAssessment {
        unit: ranked.unit.id.clone(),
        name: ranked.unit.name.clone(),
        rank: ranked.rank,
        score: score.map(|s| s.total),
        score_from_rates: score.map_or(0.0, |s| s.from_rates),
        deduction: score.map_or(0.0, |s| s.deduction),
        response_rate: score.and_then(|s| s.rates.response),
        resolution_rate: score.and_then(|s| s.rates.resolution),
        satisfaction_rate: score.and_then(|s| s.rates.satisfaction),
        dispatched: counts.dispatched,
        responded_in_time: counts.responded_in_time,
        callbacks_in_scope: counts.callbacks_in_scope(),
        resolved: counts.resolved,
        overdue: ranked.month.overdue,
        improper_returns: ranked.month.improper_returns,
        targets: Some(proto::RateTargets {
            response: targets.response,
            resolution: targets.resolution,
            satisfaction: targets.satisfaction,
        }),
    }
}

fn hot_issue(growth: Growth, label: impl Fn(&str) -> String) -> proto::HotIssue {
    proto::HotIssue {
        label: label(&growth.key),
        key: growth.key,
        tickets: growth.current,
        previous_tickets: growth.previous,
        increase: growth.increase,
        growth_rate: growth.rate,
    }
}

fn category_label(id: &str) -> String {
    taxonomy::category(id).map_or_else(|| id.to_string(), |c| c.name.to_string())
}

/// The street or district a region code names, else the code itself.
fn region_label(units: &UnitCatalog, code: &str) -> String {
    if code.is_empty() {
        return "（未填区域）".to_string();
    }
    units
        .unit_for_region(code)
        .map_or_else(|| code.to_string(), |u| u.name.clone())
}
