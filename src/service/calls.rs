//! CallService: call legs from agent consoles, per-line statistics, and the missed-call
//! callback queue (漏接回拨). Caller numbers are personal data: they are returned to the
//! API's callers, who call them back, but never logged nor put in an error.

use std::sync::Arc;

use chrono::Duration;
use tonic::{Request, Response, Status};

use super::convert::{timestamp, timestamp_from_proto};
use super::{App, invalid};
use crate::domain::calls::{CallLeg, LegEnd};
use crate::domain::validate;
use crate::proto::{self, call_service_server::CallService};
use crate::store::calls::{CallGrouping, CallStatsQuery, LegsReported, MissedCall};

pub struct CallApi(pub Arc<App>);

/// The longest period GetCallStats sums.
const MAX_PERIOD: Duration = Duration::days(400);
const DEFAULT_LIST: u32 = 100;
const MAX_LIST: u32 = 1000;

/// A leg off the wire, checked against the known lines and the clock.
fn leg_from_proto(
    field: &str,
    leg: proto::CallLeg,
    known: &std::collections::BTreeSet<String>,
    now: crate::domain::Timestamp,
) -> Result<CallLeg, Status> {
    let at = |name: &str, ts: &Option<prost_types::Timestamp>| {
        ts.as_ref()
            .map(|ts| timestamp_from_proto(&format!("{field}.{name}"), ts))
            .transpose()
    };
    let offered_at = at("offered_at", &leg.offered_at)?
        .ok_or_else(|| invalid(&format!("{field}.offered_at"), "is required"))?;
    let end = match (
        at("answered_at", &leg.answered_at)?,
        at("abandoned_at", &leg.abandoned_at)?,
    ) {
        (Some(a), None) => LegEnd::Answered(a),
        (None, Some(a)) => LegEnd::Abandoned(a),
        _ => {
            return Err(invalid(
                &format!("{field}.answered_at"),
                "exactly one of answered_at and abandoned_at is required",
            ));
        }
    };
    let leg = CallLeg {
        leg_id: leg.leg_id,
        line: leg.line,
        caller: Some(validate::national_phone(&leg.caller)).filter(|c| !c.is_empty()),
        agent: Some(leg.agent).filter(|a| !a.is_empty()),
        ticket_id: Some(leg.ticket_id).filter(|id| *id != 0),
        offered_at,
        end,
    };
    leg.validate(field, |line| known.contains(line), now)?;
    Ok(leg)
}

fn missed_to_proto(m: &MissedCall) -> proto::MissedCall {
    proto::MissedCall {
        leg_id: m.leg_id.clone(),
        line: m.line.clone(),
        caller: m.caller.clone(),
        abandoned_at: Some(timestamp(m.abandoned_at)),
        due_at: Some(timestamp(m.due_at)),
        cleared_at: m.cleared_at.map(timestamp),
        cleared_by: m.cleared_by.clone().unwrap_or_default(),
        agent: m.agent.clone().unwrap_or_default(),
    }
}

fn limit(value: u32) -> Result<u32, Status> {
    match value {
        0 => Ok(DEFAULT_LIST),
        n if n <= MAX_LIST => Ok(n),
        n => Err(invalid(
            "limit",
            format!("{n} is over the limit of {MAX_LIST}"),
        )),
    }
}

#[tonic::async_trait]
impl CallService for CallApi {
    async fn report_call_legs(
        &self,
        request: Request<proto::ReportCallLegsRequest>,
    ) -> Result<Response<proto::ReportCallLegsResponse>, Status> {
        let request = request.into_inner();
        let rules = self.0.rules.load();
        let policy = &rules.calls;
        if request.legs.is_empty() {
            return Err(invalid("legs", "must not be empty"));
        }
        if request.legs.len() > policy.max_legs_per_batch {
            return Err(invalid(
                "legs",
                format!(
                    "{} legs is over the limit of {} per call",
                    request.legs.len(),
                    policy.max_legs_per_batch
                ),
            ));
        }
        let now = super::now();
        let known = rules.call_lines();
        let legs = request
            .legs
            .into_iter()
            .enumerate()
            .map(|(i, leg)| leg_from_proto(&format!("legs[{i}]"), leg, &known, now))
            .collect::<Result<Vec<_>, _>>()?;
        let reported = self
            .0
            .store
            .report_call_legs(
                &legs,
                policy.short_abandon,
                policy.missed_callback_within,
                now,
            )
            .await?;
        let new = match reported {
            LegsReported::Written(new) => new,
            LegsReported::Conflict(i) => {
                return Err(Status::already_exists(format!(
                    "legs[{i}].leg_id: `{}` was already reported with other data",
                    legs[i].leg_id
                )));
            }
        };
        let stored = new.iter().filter(|n| **n).count();
        for leg in legs.iter().zip(&new).filter(|(_, n)| **n).map(|(l, _)| l) {
            crate::metrics::calls::leg_stored(leg, policy.short_abandon);
        }
        tracing::info!(
            stored,
            duplicates = new.len() - stored,
            "call legs reported"
        );
        Ok(Response::new(proto::ReportCallLegsResponse {
            stored: stored as u32,
            duplicates: (new.len() - stored) as u32,
        }))
    }

    async fn get_call_stats(
        &self,
        request: Request<proto::GetCallStatsRequest>,
    ) -> Result<Response<proto::GetCallStatsResponse>, Status> {
        let request = request.into_inner();
        let rules = self.0.rules.load();
        let at = |name: &str, ts: &Option<prost_types::Timestamp>| {
            ts.as_ref()
                .ok_or_else(|| invalid(name, "is required"))
                .and_then(|ts| timestamp_from_proto(name, ts))
        };
        let (from, to) = (at("from", &request.from)?, at("to", &request.to)?);
        if to <= from {
            return Err(invalid("to", "must be after from"));
        }
        if to - from > MAX_PERIOD {
            return Err(invalid(
                "to",
                format!("the period is over {} days", MAX_PERIOD.num_days()),
            ));
        }
        let line = Some(request.line).filter(|l| !l.is_empty());
        if let Some(line) = &line
            && !rules.call_lines().contains(line)
        {
            return Err(invalid("line", format!("`{line}` is not a known line")));
        }
        let group = match proto::CallGrouping::try_from(request.group_by) {
            Ok(proto::CallGrouping::Unspecified | proto::CallGrouping::Whole) => {
                CallGrouping::Whole
            }
            Ok(proto::CallGrouping::Day) => CallGrouping::Day,
            Ok(proto::CallGrouping::Hour) => CallGrouping::Hour,
            Err(_) => {
                return Err(invalid(
                    "group_by",
                    format!("unknown value {}", request.group_by),
                ));
            }
        };
        let rows = self
            .0
            .store
            .call_stats(&CallStatsQuery {
                line,
                from,
                to,
                group,
            })
            .await?;
        let nan = |v: Option<f64>| v.unwrap_or(f64::NAN);
        let rows = rows
            .into_iter()
            .map(|row| {
                let s = row.counts.stats();
                let t = rules.calls.targets(&row.line);
                let c = &row.counts;
                proto::CallStatsRow {
                    period_start: Some(timestamp(row.period_start)),
                    offered: c.offered,
                    answered: c.answered,
                    answered_in_15s: c.answered_in_15s,
                    abandoned: c.abandoned,
                    short_abandoned: c.short_abandoned,
                    connection_rate: nan(s.connection_rate),
                    answer_15s_rate: nan(s.answer_15s_rate),
                    wait_seconds_avg: nan(s.wait_avg_seconds),
                    wait_seconds_p90: nan(s.wait_p90_seconds),
                    targets: Some(proto::CallTargets {
                        connection_rate: t.connection_rate.unwrap_or_default(),
                        answer_15s_rate: t.answer_15s_rate.unwrap_or_default(),
                        wait_seconds_avg: t.wait_seconds_avg.unwrap_or_default(),
                    }),
                    line: row.line,
                }
            })
            .collect();
        Ok(Response::new(proto::GetCallStatsResponse { rows }))
    }

    async fn list_missed_calls(
        &self,
        request: Request<proto::ListMissedCallsRequest>,
    ) -> Result<Response<proto::ListMissedCallsResponse>, Status> {
        let request = request.into_inner();
        let limit = limit(request.limit)?;
        let line = Some(request.line.as_str()).filter(|l| !l.is_empty());
        if let Some(line) = line
            && !self.0.rules.load().call_lines().contains(line)
        {
            return Err(invalid("line", format!("`{line}` is not a known line")));
        }
        let calls = self
            .0
            .store
            .list_missed_calls(line, super::now(), limit)
            .await?;
        Ok(Response::new(proto::ListMissedCallsResponse {
            calls: calls.iter().map(missed_to_proto).collect(),
        }))
    }

    async fn record_missed_callback(
        &self,
        request: Request<proto::RecordMissedCallbackRequest>,
    ) -> Result<Response<proto::RecordMissedCallbackResponse>, Status> {
        let request = request.into_inner();
        validate::label("leg_id", &request.leg_id, true)?;
        validate::label("agent", &request.agent, true)?;
        validate::text("note", &request.note, validate::MAX_NOTE_CHARS, false)?;
        let missed = self
            .0
            .store
            .record_missed_callback(&request.leg_id, &request.agent, &request.note, super::now())
            .await?
            .ok_or_else(|| {
                Status::not_found(format!("no missed call has leg id `{}`", request.leg_id))
            })?;
        tracing::info!(leg = %missed.leg_id, caller = %crate::domain::pii::mask_phone(&missed.caller), agent = %request.agent, "missed call called back");
        Ok(Response::new(proto::RecordMissedCallbackResponse {
            call: Some(missed_to_proto(&missed)),
        }))
    }
}
