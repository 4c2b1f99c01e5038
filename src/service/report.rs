//! ReportService: the three rates, the overdue and warning list, the supervision summary
//! per unit, and the monthly assessment ([`assessment`](super::assessment)).

use std::sync::Arc;

use chrono::NaiveDate;
use tonic::{Request, Response, Status};

use super::convert::{self, ProtoEnum, timestamp};
use super::{App, invalid};
use crate::domain::access::{self, Principal};
use crate::domain::rates;
use crate::domain::warning::WarningLevel;
use crate::domain::{rates_ledger, validate};
use crate::proto::{self, report_service_server::ReportService};
use crate::store::{RateGrouping, RatePeriod, RateQuery};

pub struct ReportApi(pub Arc<App>);

const DEFAULT_OVERDUE_LIMIT: u32 = 100;
const MAX_OVERDUE_LIMIT: u32 = 500;
/// Longest period one GetRates call may cover.
const MAX_PERIOD_DAYS: i64 = 366 * 5;

/// The local day a period bound starts: the rates are kept per day of UTC+8, so a bound
/// must be a midnight there.
fn local_midnight(
    field: &str,
    value: Option<&prost_types::Timestamp>,
) -> Result<NaiveDate, Status> {
    let at = value
        .ok_or_else(|| invalid(field, "is required"))
        .and_then(|t| convert::timestamp_from_proto(field, t))?;
    rates_ledger::day_starting_at(at).ok_or_else(|| {
        invalid(
            field,
            format!(
                "must be a midnight in UTC+{} (the rates are kept per day), e.g. {}",
                rates_ledger::ASSESSMENT_UTC_OFFSET_HOURS,
                rates_ledger::day_start(rates_ledger::local_day(at)).to_rfc3339()
            ),
        )
    })
}

fn filter(field: &str, value: String) -> Result<Option<String>, Status> {
    validate::label(field, &value, false)?;
    Ok((!value.is_empty()).then_some(value))
}

/// A unit filter as the caller may set it: a unit token sees its own unit only (an empty
/// filter means it; another unit is PERMISSION_DENIED).
fn scoped(field: &str, principal: &Principal, value: String) -> Result<Option<String>, Status> {
    validate::label(field, &value, false)?;
    Ok(access::unit_scope(&principal.role, field, &value)?)
}

#[tonic::async_trait]
impl ReportService for ReportApi {
    async fn get_rates(
        &self,
        request: Request<proto::GetRatesRequest>,
    ) -> Result<Response<proto::GetRatesResponse>, Status> {
        let principal = super::principal(&request)?;
        let r = request.into_inner();
        let from = local_midnight("from", r.from.as_ref())?;
        let to = local_midnight("to", r.to.as_ref())?;
        if to <= from {
            return Err(invalid("to", "must be after from"));
        }
        if (to - from).num_days() > MAX_PERIOD_DAYS {
            return Err(invalid(
                "to",
                format!("the period may span at most {MAX_PERIOD_DAYS} days"),
            ));
        }
        let group_by = match proto::RateGrouping::try_from(r.group_by) {
            Ok(proto::RateGrouping::Unspecified | proto::RateGrouping::Unit) => RateGrouping::Unit,
            Ok(proto::RateGrouping::Region) => RateGrouping::Region,
            Ok(proto::RateGrouping::Category) => RateGrouping::Category,
            Err(_) => return Err(invalid("group_by", format!("unknown value {}", r.group_by))),
        };
        let period = match proto::RatePeriod::try_from(r.period) {
            Ok(proto::RatePeriod::Unspecified | proto::RatePeriod::None) => RatePeriod::Whole,
            Ok(proto::RatePeriod::Day) => RatePeriod::Day,
            Ok(proto::RatePeriod::Month) => RatePeriod::Month,
            Err(_) => return Err(invalid("period", format!("unknown value {}", r.period))),
        };
        let query = RateQuery {
            from,
            to,
            group_by,
            period,
            unit: scoped("unit", &principal, r.unit)?,
            region: filter("region", r.region)?,
            category: filter("category", r.category)?,
        };
        let rules = self.0.rules.load();
        let weights = rules.assessment.weights;
        let targets_of = |key: &str| {
            let unit = rules
                .units
                .get(key)
                .filter(|_| group_by == RateGrouping::Unit)?;
            let t = rules.assessment.targets.for_kind(unit.kind);
            Some(proto::RateTargets {
                response: t.response,
                resolution: t.resolution,
                satisfaction: t.satisfaction,
            })
        };
        let rows = self
            .0
            .store
            .rate_counts(&query)
            .await?
            .into_iter()
            .map(|row| {
                let c = row.counts;
                let rates = rates::compute(&c, weights);
                proto::RateRow {
                    targets: targets_of(&row.key),
                    key: row.key,
                    period: row.period,
                    dispatched: c.dispatched,
                    responded_in_time: c.responded_in_time,
                    response_rate: rates.response,
                    callbacks_in_scope: c.callbacks_in_scope(),
                    resolved: c.resolved,
                    resolution_rate: rates.resolution,
                    satisfied: c.satisfied,
                    basically_satisfied: c.basically_satisfied,
                    dissatisfied: c.dissatisfied,
                    satisfaction_rate: rates.satisfaction,
                    declined: c.declined,
                }
            })
            .collect();
        Ok(Response::new(proto::GetRatesResponse {
            rows,
            basically_satisfied_weight: weights.basically_satisfied,
        }))
    }

    async fn list_overdue(
        &self,
        request: Request<proto::ListOverdueRequest>,
    ) -> Result<Response<proto::ListOverdueResponse>, Status> {
        let principal = super::principal(&request)?;
        let r = request.into_inner();
        let unit = self.known_unit(&principal, r.unit)?;
        let level = if r.level == proto::WarningLevel::Unspecified as i32 {
            WarningLevel::Overdue
        } else {
            WarningLevel::from_proto("level", r.level)?
        };
        let limit = match r.limit {
            0 => DEFAULT_OVERDUE_LIMIT,
            n if n <= MAX_OVERDUE_LIMIT => n,
            n => {
                return Err(invalid(
                    "limit",
                    format!("{n} is over the limit of {MAX_OVERDUE_LIMIT}"),
                ));
            }
        };
        let now = super::now();
        let overdue = self
            .0
            .store
            .list_overdue(unit.as_deref(), level, now, limit)
            .await?;
        let tickets = overdue
            .into_iter()
            .map(|o| proto::OverdueTicket {
                ticket_id: o.ticket.id,
                assigned_unit: o.ticket.assigned_unit.clone().unwrap_or_default(),
                state: o.ticket.state.to_proto(),
                missed: o.missed.to_proto(),
                due_at: Some(timestamp(o.due_at)),
                overdue_seconds: (now - o.due_at).num_seconds(),
                supervised: o.ticket.supervised,
                level: o.level.to_proto(),
                chase_up_count: o.ticket.chase_up_count,
            })
            .collect();
        Ok(Response::new(proto::ListOverdueResponse { tickets }))
    }

    async fn get_supervision_summary(
        &self,
        request: Request<proto::GetSupervisionSummaryRequest>,
    ) -> Result<Response<proto::GetSupervisionSummaryResponse>, Status> {
        let principal = super::principal(&request)?;
        let unit = self.known_unit(&principal, request.into_inner().unit)?;
        let now = super::now();
        let units = self
            .0
            .store
            .unit_deadline_counts(unit.as_deref(), now)
            .await?
            .into_iter()
            .map(|c| proto::UnitSupervision {
                unit: c.unit,
                open: c.open,
                supervised: c.supervised,
                overdue: c.overdue,
                chased_up: c.chased_up,
                chase_ups: c.chase_ups,
            })
            .collect();
        Ok(Response::new(proto::GetSupervisionSummaryResponse {
            units,
            as_of: Some(timestamp(now)),
        }))
    }

    async fn get_assessment(
        &self,
        request: Request<proto::GetAssessmentRequest>,
    ) -> Result<Response<proto::GetAssessmentResponse>, Status> {
        super::assessment::get_assessment(&self.0, request.into_inner())
            .await
            .map(Response::new)
    }
}

impl ReportApi {
    /// An optional unit filter, which must name a unit of the catalogue; a unit token's
    /// is its own unit.
    fn known_unit(&self, principal: &Principal, unit: String) -> Result<Option<String>, Status> {
        let unit = scoped("unit", principal, unit)?;
        if let Some(unit) = &unit {
            validate::unit("unit", unit, &self.0.rules.load().units)?;
        }
        Ok(unit)
    }
}
