//! CallbackService: channel adapters (phone agents, the SMS gateway, the automated voice
//! survey) pull callback tasks under a lease and report each attempt. Verdicts are
//! recorded through the same RecordCallback transition as FeedbackService's; a refusal or
//! the last allowed unanswered attempt records a declined callback, which the rates keep
//! out of the satisfaction scope.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::convert::{ProtoEnum, timestamp};
use super::{App, invalid};
use crate::classify::sms_reply::{SmsReply, parse_sms_reply};
use crate::domain::access::Principal;
use crate::domain::calls_file::CallbackChannel;
use crate::domain::lifecycle::Command;
use crate::domain::{Actor, Satisfaction, Ticket, TicketId, validate};
use crate::proto::{self, callback_service_server::CallbackService};
use crate::proto::{CallbackAttemptResult as Result_, report_callback_attempt_request::Outcome};
use crate::store::calls::{CallbackTask, OpenAttempt};

pub struct CallbackApi(pub Arc<App>);

const DEFAULT_PULL: u32 = 10;
const MAX_PULL: u32 = 100;
const DEFAULT_LIST: u32 = 100;
const MAX_LIST: u32 = 1000;

fn channel_from_proto(field: &str, value: i32) -> Result<CallbackChannel, Status> {
    match proto::CallbackChannel::try_from(value) {
        Ok(proto::CallbackChannel::Phone) => Ok(CallbackChannel::Phone),
        Ok(proto::CallbackChannel::Sms) => Ok(CallbackChannel::Sms),
        Ok(proto::CallbackChannel::Voice) => Ok(CallbackChannel::Voice),
        Ok(proto::CallbackChannel::Unspecified) => Err(invalid(field, "is required")),
        Err(_) => Err(invalid(field, format!("unknown value {value}"))),
    }
}

fn channel_to_proto(channel: CallbackChannel) -> i32 {
    match channel {
        CallbackChannel::Phone => proto::CallbackChannel::Phone as i32,
        CallbackChannel::Sms => proto::CallbackChannel::Sms as i32,
        CallbackChannel::Voice => proto::CallbackChannel::Voice as i32,
    }
}

impl CallbackApi {
    fn first_channel(&self) -> CallbackChannel {
        self.0.rules.load().calls.callbacks.first_channel
    }

    fn task_to_proto(&self, task: &CallbackTask, ticket: Option<&Ticket>) -> proto::CallbackTask {
        let channel = task
            .channel
            .as_deref()
            .and_then(CallbackChannel::from_code)
            .unwrap_or_else(|| self.first_channel());
        proto::CallbackTask {
            ticket_id: task.ticket_id,
            channel: channel_to_proto(channel),
            attempts: task.attempts,
            created_at: Some(timestamp(task.created_at)),
            lease_until: task.lease_until.map(timestamp),
            lease_owner: task.lease_owner.clone().unwrap_or_default(),
            last_outcome: task.last_outcome.clone().unwrap_or_default(),
            last_reply: task.last_reply.clone().unwrap_or_default(),
            ticket: ticket.map(super::convert::ticket),
        }
    }

    /// Records the callback on the ticket as it is now (the adapter's copy may be older:
    /// a note added meanwhile must not make the verdict fail).
    async fn record(
        &self,
        principal: &Principal,
        ticket_id: TicketId,
        actor: Actor,
        resolved: bool,
        satisfaction: Satisfaction,
        note: String,
    ) -> Result<Ticket, Status> {
        let current = self.0.current_ticket(ticket_id).await?;
        let command = Command::RecordCallback {
            resolved,
            satisfaction,
            reopen: false,
            note,
        };
        self.0
            .run(ticket_id, current.version, actor, command, principal)
            .await
    }

    /// Whether `actor` may record a declined callback on the ticket as it is now.
    async fn check_may_decline(
        &self,
        principal: &Principal,
        ticket_id: TicketId,
        actor: &Actor,
        now: crate::domain::Timestamp,
    ) -> Result<(), Status> {
        let current = self.0.store.get_ticket(ticket_id).await?;
        let decline = Command::RecordCallback {
            resolved: false,
            satisfaction: Satisfaction::Declined,
            reopen: false,
            note: String::new(),
        };
        let rules = self.0.rules.load();
        super::decide(&rules, &current, decline, actor, principal, now)?;
        Ok(())
    }

    /// The task, if `worker` holds its lease now; the precise refusal otherwise.
    async fn leased_task(&self, ticket_id: TicketId, worker: &str) -> Result<CallbackTask, Status> {
        let task = self
            .0
            .store
            .callback_task(ticket_id)
            .await?
            .ok_or_else(|| Status::not_found(format!("ticket {ticket_id} has no callback task")))?;
        if task.status != "open" {
            return Err(Status::failed_precondition(format!(
                "the callback of ticket {ticket_id} is already recorded"
            )));
        }
        let held = task.lease_owner.as_deref() == Some(worker)
            && task.lease_until.is_some_and(|until| until > super::now());
        if !held {
            return Err(Status::failed_precondition(format!(
                "the task of ticket {ticket_id} is not leased to `{worker}` (pull it first; the lease may have run out)"
            )));
        }
        Ok(task)
    }
}

#[tonic::async_trait]
impl CallbackService for CallbackApi {
    async fn pull_callback_tasks(
        &self,
        request: Request<proto::PullCallbackTasksRequest>,
    ) -> Result<Response<proto::PullCallbackTasksResponse>, Status> {
        let request = request.into_inner();
        let channel = channel_from_proto("channel", request.channel)?;
        validate::label("worker", &request.worker, true)?;
        let max = match request.max_tasks {
            0 => DEFAULT_PULL,
            n if n <= MAX_PULL => n,
            n => {
                return Err(invalid(
                    "max_tasks",
                    format!("{n} is over the limit of {MAX_PULL}"),
                ));
            }
        };
        let policy = self.0.rules.load().calls.callbacks;
        let now = super::now();
        let lease_until = now + policy.lease;
        let tasks = self
            .0
            .store
            .pull_callback_tasks(
                channel.code(),
                policy.first_channel.code(),
                &request.worker,
                max,
                now,
                lease_until,
            )
            .await?;
        let mut out = Vec::with_capacity(tasks.len());
        for task in &tasks {
            let ticket = self.0.store.get_ticket(task.ticket_id).await?;
            out.push(self.task_to_proto(task, Some(&ticket)));
        }
        crate::metrics::calls::callback_tasks_pulled(channel, tasks.len());
        Ok(Response::new(proto::PullCallbackTasksResponse {
            tasks: out,
            lease_until: Some(timestamp(lease_until)),
        }))
    }

    async fn report_callback_attempt(
        &self,
        request: Request<proto::ReportCallbackAttemptRequest>,
    ) -> Result<Response<proto::ReportCallbackAttemptResponse>, Status> {
        let principal = super::principal(&request)?;
        let request = request.into_inner();
        if request.ticket_id <= 0 {
            return Err(invalid("ticket_id", "must be a ticket id"));
        }
        validate::label("worker", &request.worker, true)?;
        let actor = super::caller::actor(&principal, "actor", request.actor.as_ref())?;
        let outcome = request.outcome.ok_or_else(|| {
            invalid(
                "outcome",
                "is required: answered, sms_reply, no_answer or refused",
            )
        })?;
        if let Outcome::Answered(v) = &outcome {
            validate::text("answered.note", &v.note, validate::MAX_NOTE_CHARS, false)?;
        }
        if let Outcome::SmsReply(text) = &outcome {
            validate::text("sms_reply", text, validate::MAX_NOTE_CHARS, true)?;
        }
        let id = request.ticket_id;
        let task = self.leased_task(id, &request.worker).await?;
        let channel = task
            .channel
            .as_deref()
            .and_then(CallbackChannel::from_code)
            .unwrap_or_else(|| self.first_channel());
        let policy = self.0.rules.load().calls.callbacks;
        let declined = |note: String| (false, Satisfaction::Declined, note);
        let now = super::now();

        // Either a callback to record (resolved, satisfaction, note), or an open attempt.
        let verdict = match outcome {
            Outcome::Answered(v) => {
                let satisfaction =
                    Satisfaction::from_proto("answered.satisfaction", v.satisfaction)?;
                Ok((v.resolved, satisfaction, v.note))
            }
            Outcome::SmsReply(text) => match parse_sms_reply(&text) {
                // The SMS survey asks for satisfaction only: a satisfied answer is taken
                // as resolved, a dissatisfied one as not.
                SmsReply::Verdict(s) => Ok((
                    s != Satisfaction::Dissatisfied,
                    s,
                    format!("短信回复：{text}"),
                )),
                SmsReply::Refused => Ok(declined(format!("短信回复拒绝回访：{text}"))),
                SmsReply::Unclear => Err(OpenAttempt::Handover {
                    channel: CallbackChannel::Phone.code().to_string(),
                    reply: text,
                }),
            },
            Outcome::NoAnswer(_) => Err(OpenAttempt::NoAnswer {
                retry_at: now + policy.retry_after,
            }),
            Outcome::Refused(_) => Ok(declined("拒绝回访".to_string())),
        };
        let (result, ticket) = match verdict {
            Ok((resolved, satisfaction, note)) => {
                let result = if satisfaction == Satisfaction::Declined {
                    Result_::Declined
                } else {
                    Result_::Recorded
                };
                (
                    result,
                    self.record(&principal, id, actor, resolved, satisfaction, note)
                        .await?,
                )
            }
            Err(attempt) => {
                // The attempt counts towards a decline: refuse it now, not at the last
                // attempt, if this actor could not record that decline.
                self.check_may_decline(&principal, id, &actor, now).await?;
                let after = self
                    .0
                    .store
                    .record_callback_attempt(id, &request.worker, &attempt, now)
                    .await?
                    .ok_or_else(|| {
                        Status::failed_precondition(format!(
                            "the task of ticket {id} is no longer leased to `{}`",
                            request.worker
                        ))
                    })?;
                match attempt {
                    OpenAttempt::NoAnswer { .. }
                        if after.attempts >= policy.max_unanswered_attempts =>
                    {
                        let note = format!("{} 次联系未接通", after.attempts);
                        (
                            Result_::Declined,
                            self.record(&principal, id, actor, false, Satisfaction::Declined, note)
                                .await?,
                        )
                    }
                    OpenAttempt::NoAnswer { .. } => {
                        (Result_::Retry, self.0.store.get_ticket(id).await?)
                    }
                    OpenAttempt::Handover { .. } => {
                        (Result_::HandedOver, self.0.store.get_ticket(id).await?)
                    }
                }
            }
        };
        crate::metrics::calls::callback_attempt(channel, result.as_str_name());
        tracing::info!(
            ticket = id,
            channel = channel.code(),
            result = result.as_str_name(),
            "callback attempt"
        );
        let task = self.0.store.callback_task(id).await?.unwrap_or(task);
        Ok(Response::new(proto::ReportCallbackAttemptResponse {
            task: Some(self.task_to_proto(&task, None)),
            result: result as i32,
            ticket: Some(super::convert::ticket(&ticket)),
        }))
    }

    async fn list_callback_tasks(
        &self,
        request: Request<proto::ListCallbackTasksRequest>,
    ) -> Result<Response<proto::ListCallbackTasksResponse>, Status> {
        let request = request.into_inner();
        let channel = match request.channel {
            0 => None,
            value => Some(channel_from_proto("channel", value)?),
        };
        let limit = match request.limit {
            0 => DEFAULT_LIST,
            n if n <= MAX_LIST => n,
            n => {
                return Err(invalid(
                    "limit",
                    format!("{n} is over the limit of {MAX_LIST}"),
                ));
            }
        };
        let first = self.first_channel();
        let tasks = self
            .0
            .store
            .list_callback_tasks(channel.map(|c| (c.code(), first.code())), limit)
            .await?;
        Ok(Response::new(proto::ListCallbackTasksResponse {
            tasks: tasks.iter().map(|t| self.task_to_proto(t, None)).collect(),
        }))
    }
}
