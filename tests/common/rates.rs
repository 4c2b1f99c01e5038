//! One rates scenario driven over gRPC, with its hand-computed outcome, for the end-to-end
//! tests of GetRates and /metrics (one daemon, a restarted one, several replicas).
//!
//! Under the assessment file [`ASSESSMENT`] (基本满意 weighs 0.8; a dissatisfied callback
//! always reopens; streets are held to a 60 % response rate), a street and a department:
//! - t1: to the street; responded; callback resolved, 基本满意.
//! - t2: to the street, returned (退单), reassigned to the department; responded; callback
//!   resolved, 满意.
//! - t3: to the department; responded; callback unresolved, 不满意, reopen not asked: the
//!   policy reopens it; replied again; callback resolved, 满意.
//! - t4: to the street, then excluded from the rates as invalid.
//! - t5: to the street; responded; the callback is declined.
//! - t6: answered directly at intake.
//!
//! Every step goes to the next channel in turn, so with several replicas the steps of one
//! ticket are spread over all of them.

use std::sync::atomic::{AtomicUsize, Ordering};

use hotline::auth::client::AuthedChannel as Channel;
use hotline::domain::rates_ledger::{day_start, local_day, next_month};
use hotline::proto::{
    self, center_service_client::CenterServiceClient,
    dispatch_service_client::DispatchServiceClient, feedback_service_client::FeedbackServiceClient,
    intake_service_client::IntakeServiceClient, report_service_client::ReportServiceClient,
};

use super::server::{actor, callback, command, new_request, ticket_of};

pub const ASSESSMENT: &str = "basically_satisfied_weight = 0.8\n\
    reopen_when_dissatisfied = \"always\"\n\
    [targets.street]\n\
    response = 0.6\n";

/// The two units a run uses; runs in one process use different ones so that their
/// gauges do not overwrite each other.
#[derive(Debug, Clone, Copy)]
pub struct Units {
    pub street: &'static str,
    pub department: &'static str,
}

/// The gRPC clients of one or several daemons, used in turn.
pub struct Replicas {
    channels: Vec<Channel>,
    next: AtomicUsize,
}

impl Replicas {
    pub fn new(channels: Vec<Channel>) -> Self {
        assert!(!channels.is_empty());
        Replicas {
            channels,
            next: AtomicUsize::new(0),
        }
    }

    fn channel(&self) -> Channel {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        self.channels[i % self.channels.len()].clone()
    }

    fn intake(&self) -> IntakeServiceClient<Channel> {
        IntakeServiceClient::new(self.channel())
    }
    fn unit(&self) -> DispatchServiceClient<Channel> {
        DispatchServiceClient::new(self.channel())
    }
    fn centre(&self) -> CenterServiceClient<Channel> {
        CenterServiceClient::new(self.channel())
    }
    fn feedback(&self) -> FeedbackServiceClient<Channel> {
        FeedbackServiceClient::new(self.channel())
    }

    async fn create(&self, request: proto::CreateTicketRequest) -> proto::Ticket {
        self.intake()
            .create_ticket(request)
            .await
            .expect("created")
            .into_inner()
            .ticket
            .unwrap()
    }

    async fn dispatched(&self, request_id: &str, unit: &str) -> proto::Ticket {
        self.create(new_request(request_id, Some(unit))).await
    }

    /// Signs and responds as `unit`.
    async fn respond(&self, t: &proto::Ticket, unit: &str) -> proto::Ticket {
        let t = ticket_of(self.unit().sign(command(t, unit, "")).await.unwrap());
        ticket_of(
            self.unit()
                .respond(command(&t, unit, "已电话联系市民"))
                .await
                .unwrap(),
        )
    }

    /// Replies as `unit` and the centre accepts the reply.
    async fn reply(&self, t: &proto::Ticket, unit: &str) -> proto::Ticket {
        let t = ticket_of(
            self.unit()
                .reply(proto::ReplyRequest {
                    ticket_id: t.id,
                    expected_version: t.version,
                    actor: actor(unit, "clerk-1"),
                    reply: "已处理完毕".into(),
                })
                .await
                .unwrap(),
        );
        ticket_of(
            self.centre()
                .review_reply(proto::ReviewRequest {
                    ticket_id: t.id,
                    expected_version: t.version,
                    actor: actor("centre", "reviewer-1"),
                    approve: true,
                    reason: String::new(),
                })
                .await
                .unwrap(),
        )
    }

    async fn call_back(
        &self,
        t: &proto::Ticket,
        resolved: bool,
        satisfaction: proto::Satisfaction,
    ) -> proto::Ticket {
        ticket_of(
            self.feedback()
                .record_callback(callback(t, resolved, satisfaction, false))
                .await
                .unwrap(),
        )
    }
}

/// Runs the scenario; request ids start with `prefix`.
pub async fn run(replicas: &Replicas, units: Units, prefix: &str) {
    use proto::Satisfaction::*;
    let Units { street, department } = units;
    let id = |n: u32| format!("{prefix}-t{n}");

    let t1 = replicas.dispatched(&id(1), street).await;
    let t1 = replicas.respond(&t1, street).await;
    let t1 = replicas.reply(&t1, street).await;
    replicas.call_back(&t1, true, BasicallySatisfied).await;

    let t2 = replicas.dispatched(&id(2), street).await;
    let t2 = ticket_of(
        replicas
            .unit()
            .r#return(command(&t2, street, "不属于本街道职责"))
            .await
            .unwrap(),
    );
    let t2 = ticket_of(
        replicas
            .centre()
            .review_return(proto::ReviewReturnRequest {
                ticket_id: t2.id,
                expected_version: t2.version,
                actor: actor("centre", "reviewer-1"),
                approve: true,
                reassign_to: department.into(),
                co_units: Vec::new(),
                reason: "改派".into(),
            })
            .await
            .unwrap(),
    );
    let t2 = replicas.respond(&t2, department).await;
    let t2 = replicas.reply(&t2, department).await;
    replicas.call_back(&t2, true, Satisfied).await;

    let t3 = replicas.dispatched(&id(3), department).await;
    let t3 = replicas.respond(&t3, department).await;
    let t3 = replicas.reply(&t3, department).await;
    let t3 = replicas.call_back(&t3, false, Dissatisfied).await;
    assert_eq!(
        t3.state,
        proto::TicketState::InProgress as i32,
        "reopen_when_dissatisfied = always reopens without being asked"
    );
    let t3 = replicas.reply(&t3, department).await;
    replicas.call_back(&t3, true, Satisfied).await;

    let t4 = replicas.dispatched(&id(4), street).await;
    let t4 = ticket_of(
        replicas
            .centre()
            .exclude_from_rates(proto::ExcludeFromRatesRequest {
                ticket_id: t4.id,
                expected_version: t4.version,
                actor: actor("centre", "reviewer-1"),
                reason: proto::ExclusionReason::Invalid as i32,
                note: "测试来电，无实际诉求".into(),
            })
            .await
            .unwrap(),
    );
    assert_eq!(
        t4.excluded_from_rates,
        proto::ExclusionReason::Invalid as i32
    );

    let t5 = replicas.dispatched(&id(5), street).await;
    let t5 = replicas.respond(&t5, street).await;
    let t5 = replicas.reply(&t5, street).await;
    replicas.call_back(&t5, false, Declined).await;

    let mut t6 = new_request(&id(6), None);
    t6.disposition = Some(proto::Disposition {
        outcome: Some(proto::disposition::Outcome::AnswerDirectly(
            proto::AnswerDirectly {
                answer: "路灯报修可拨打城管热线，已告知".into(),
            },
        )),
    });
    replicas.create(t6).await;
}

/// The hand-computed rows of GetRates by unit for the scenario, sorted by unit id.
/// `[dispatched, responded in time, callbacks in scope, resolved, 满意, 基本满意, 不满意,
/// declined]` and (response, resolution, satisfaction) rates.
pub fn expected(units: Units) -> Vec<(&'static str, [u64; 8], [f64; 3])> {
    let mut rows = vec![
        // t1, t2 (before its return), t5 dispatched (t4 excluded); t1, t5 responded; t1
        // called back (基本满意 × 0.8), t5 declined.
        (
            units.street,
            [3, 2, 1, 1, 0, 1, 0, 1],
            [2.0 / 3.0, 1.0, 0.8],
        ),
        // t2 (reassigned), t3 dispatched and responded; three callbacks: t2 满意, t3 不满意
        // then 满意.
        (
            units.department,
            [2, 2, 3, 2, 2, 0, 1, 0],
            [1.0, 2.0 / 3.0, 2.0 / 3.0],
        ),
    ];
    rows.sort_by_key(|(unit, _, _)| *unit);
    rows
}

/// This month's rates by unit, as GetRates answers them (Beijing days).
pub async fn this_month(channel: Channel) -> Vec<proto::RateRow> {
    use chrono::Datelike;
    let first_day = local_day(chrono::Utc::now()).with_day(1).unwrap();
    let (from, to) = (day_start(first_day), day_start(next_month(first_day)));
    ReportServiceClient::new(channel)
        .get_rates(proto::GetRatesRequest {
            from: Some(prost_types::Timestamp {
                seconds: from.timestamp(),
                nanos: 0,
            }),
            to: Some(prost_types::Timestamp {
                seconds: to.timestamp(),
                nanos: 0,
            }),
            group_by: proto::RateGrouping::Unit as i32,
            ..Default::default()
        })
        .await
        .expect("GetRates")
        .into_inner()
        .rows
}

/// Checks GetRates rows against [`expected`], targets included.
pub fn assert_rows(rows: &[proto::RateRow], units: Units, what: &str) {
    let got: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.key.as_str(),
                [
                    r.dispatched,
                    r.responded_in_time,
                    r.callbacks_in_scope,
                    r.resolved,
                    r.satisfied,
                    r.basically_satisfied,
                    r.dissatisfied,
                    r.declined,
                ],
                [
                    r.response_rate.unwrap(),
                    r.resolution_rate.unwrap(),
                    r.satisfaction_rate.unwrap(),
                ],
            )
        })
        .collect();
    assert_eq!(got, expected(units), "{what}: GetRates");
    for row in rows {
        let t = row.targets.expect("unit rows carry targets");
        let response = if row.key == units.street { 0.6 } else { 0.95 };
        assert_eq!(
            (t.response, t.resolution, t.satisfaction),
            (response, 0.8, 0.9),
            "{what}: targets of {}",
            row.key
        );
    }
}

/// Whether the /metrics text shows the expected rate gauges and targets.
pub fn gauges_match(text: &str, units: Units) -> Result<(), String> {
    use super::metrics::value;
    for (unit, _, [response, resolution, satisfaction]) in expected(units) {
        let target_response = if unit == units.street { 0.6 } else { 0.95 };
        for (name, want) in [
            ("hotline_response_rate", response),
            ("hotline_resolution_rate", resolution),
            ("hotline_satisfaction_rate", satisfaction),
            ("hotline_response_rate_target", target_response),
            ("hotline_resolution_rate_target", 0.8),
            ("hotline_satisfaction_rate_target", 0.9),
        ] {
            let got = value(text, name, &[("unit", unit)]);
            if got != Some(want) {
                return Err(format!("{name}{{unit={unit}}} = {got:?}, expected {want}"));
            }
        }
    }
    Ok(())
}
