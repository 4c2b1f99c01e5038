//! `hotline ticket create`: an agent records a request and its one intake outcome (受理).

use clap::{ArgGroup, Args};

use super::args::AgentActor;
use super::connection::Client;
use super::ticket_view;
use super::vocabulary::{
    CHANNEL, EMERGENCY_LINE, EXPLAIN_REASON, LEGAL_CHANNEL, POLICY_DOMAIN, REQUEST_TYPE, URGENCY,
    UTILITY,
};
use crate::proto::{self, disposition::Outcome};

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Idempotency key: a retry with the same key returns the same ticket
    /// [default: a fresh UUID v4].
    #[arg(long, value_name = "KEY")]
    request_id: Option<String>,
    /// How the request reached the centre.
    #[arg(long, value_parser = CHANNEL.parser(), default_value = "phone")]
    channel: i32,
    /// The number dialled: 12345, or a kept departmental line such as 12315 or 12366.
    #[arg(long, default_value = "12345", value_name = "NUMBER")]
    line: String,
    /// Request type: 咨询 consultation, 求助 help, 投诉 complaint, 举报 report,
    /// 意见建议 suggestion [default: the classifier's].
    #[arg(long = "type", value_parser = REQUEST_TYPE.parser(), value_name = "TYPE")]
    request_type: Option<i32>,
    /// Policy domain: 经济调节, 市场监管, 社会管理, 公共服务, 生态环境保护
    /// [default: the classifier's].
    #[arg(long, value_parser = POLICY_DOMAIN.parser())]
    domain: Option<i32>,
    /// Category id of the taxonomy, e.g. transport [default: the classifier's].
    #[arg(long)]
    category: Option<String>,
    /// Topic id under the category, e.g. taxi_ride_hailing [default: the classifier's].
    #[arg(long)]
    topic: Option<String>,
    /// Time-limit tier: urgent (risk to life or property), utility (水电气热), general,
    /// complex [default: the classifier's].
    #[arg(long, value_parser = URGENCY.parser())]
    urgency: Option<i32>,
    /// One-line summary.
    #[arg(long)]
    title: Option<String>,
    /// What the requester said.
    #[arg(long, value_name = "TEXT")]
    description: String,
    /// Region code of the place concerned (a district or street of config/units.toml).
    #[arg(long, value_name = "CODE")]
    region: Option<String>,
    /// Address of the place concerned.
    #[arg(long)]
    address: Option<String>,
    /// 直接答复 from the knowledge base: close the consultation with this published
    /// entry's answer (`hotline kb search` finds it); the entry is recorded on the ticket.
    #[arg(long, value_name = "ENTRY_ID")]
    answered_with_entry: Option<i64>,
    #[command(flatten)]
    requester: RequesterArgs,
    #[command(flatten)]
    outcome: OutcomeArgs,
    #[command(flatten)]
    agent: AgentActor,
}

/// Who called; tables mask it, `--json` does not.
#[derive(Debug, Args)]
#[command(next_help_heading = "Requester (personal data: masked in tables)")]
struct RequesterArgs {
    /// Requester's name (omit for anonymous requests).
    #[arg(long)]
    name: Option<String>,
    /// Requester's mainland mobile or landline number.
    #[arg(long)]
    phone: Option<String>,
    /// Requester's 18-character resident ID number.
    #[arg(long, value_name = "ID")]
    id_number: Option<String>,
    /// The requester asked for confidentiality (保密).
    #[arg(long)]
    confidential: bool,
}

/// Exactly one intake outcome per request (domain brief §2).
#[derive(Debug, Args)]
#[command(
    next_help_heading = "Intake outcome (at most one; default: the classifier and router decide)"
)]
#[command(group(
    ArgGroup::new("outcome")
        .multiple(false)
        .args([
            "dispatch_to", "queue", "answer", "emergency", "utility",
            "legal_channel", "explain", "merge_into", "refer_police",
        ])
))]
struct OutcomeArgs {
    /// Why the agent's outcome differs from the classifier's proposal (recorded on the
    /// ticket); required when it does.
    #[arg(long, value_name = "TEXT")]
    override_reason: Option<String>,
    /// 派单: dispatch to this lead unit (主办).
    #[arg(long, value_name = "UNIT")]
    dispatch_to: Option<String>,
    /// Co-handling units (协办) of --dispatch-to; repeat for several.
    #[arg(long = "co-unit", value_name = "UNIT", requires = "dispatch_to")]
    co_units: Vec<String>,
    /// Put the ticket in the centre's manual-dispatch queue (受理, waits for `centre dispatch`).
    #[arg(long)]
    queue: bool,
    /// 直接答复: answered from the knowledge base; the ticket closes at once.
    #[arg(long, value_name = "TEXT")]
    answer: Option<String>,
    /// Emergency transfer to 110 police, 119 fire, 120 medical or 122 traffic police.
    #[arg(long, value_parser = EMERGENCY_LINE.parser(), value_name = "LINE")]
    emergency: Option<i32>,
    /// Utility linkage: hand a water, power, gas or heating fault (水电气热) to its line.
    #[arg(long, value_parser = UTILITY.parser())]
    utility: Option<i32>,
    /// 告知法定途径: refuse, naming the statutory channel (needs --advice).
    #[arg(long, value_parser = LEGAL_CHANNEL.parser(), requires = "advice", value_name = "CHANNEL")]
    legal_channel: Option<i32>,
    /// What the agent told the caller about the legal channel.
    #[arg(long, value_name = "TEXT", requires = "legal_channel")]
    advice: Option<String>,
    /// 解释说明: refuse with an explanation (needs --explanation).
    #[arg(long, value_parser = EXPLAIN_REASON.parser(), requires = "explanation", value_name = "REASON")]
    explain: Option<i32>,
    /// The explanation given to the caller.
    #[arg(long, value_name = "TEXT", requires = "explain")]
    explanation: Option<String>,
    /// 并单: a repeat of open ticket ID with no new facts; it follows that ticket's progress.
    #[arg(long, value_name = "ID")]
    merge_into: Option<i64>,
    /// Malicious abuse of the line: flag it and hand it to the police.
    #[arg(long, value_name = "REASON")]
    refer_police: Option<String>,
}

impl OutcomeArgs {
    /// `None` when no outcome flag is given: the server's proposal applies.
    fn outcome(self) -> Option<Outcome> {
        let any = self.dispatch_to.is_some()
            || self.queue
            || self.answer.is_some()
            || self.emergency.is_some()
            || self.utility.is_some()
            || self.legal_channel.is_some()
            || self.explain.is_some()
            || self.merge_into.is_some()
            || self.refer_police.is_some();
        any.then(|| self.chosen())
    }

    fn chosen(self) -> Outcome {
        if let Some(unit) = self.dispatch_to {
            return Outcome::Dispatch(proto::DispatchTo {
                unit,
                co_units: self.co_units,
                copy_to: Vec::new(),
            });
        }
        if let Some(answer) = self.answer {
            return Outcome::AnswerDirectly(proto::AnswerDirectly { answer });
        }
        if let Some(line) = self.emergency {
            return Outcome::EmergencyTransfer(proto::EmergencyTransfer { line });
        }
        if let Some(utility) = self.utility {
            return Outcome::UtilityTransfer(proto::UtilityTransfer { utility });
        }
        if let Some(channel) = self.legal_channel {
            return Outcome::LegalChannel(proto::LegalChannelReferral {
                channel,
                advice: self.advice.unwrap_or_default(),
            });
        }
        if let Some(reason) = self.explain {
            return Outcome::Explain(proto::Explanation {
                reason,
                explanation: self.explanation.unwrap_or_default(),
            });
        }
        if let Some(parent_id) = self.merge_into {
            return Outcome::Merge(proto::MergeInto { parent_id });
        }
        if let Some(reason) = self.refer_police {
            return Outcome::ReferPolice(proto::ReferPolice { reason });
        }
        // --queue.
        Outcome::Dispatch(proto::DispatchTo::default())
    }
}

impl CreateArgs {
    fn request(self) -> proto::CreateTicketRequest {
        let override_reason = self.outcome.override_reason.clone().unwrap_or_default();
        let disposition = self.outcome.outcome().map(|outcome| proto::Disposition {
            outcome: Some(outcome),
        });
        proto::CreateTicketRequest {
            request_id: self
                .request_id
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            actor: Some(self.agent.actor()),
            channel: self.channel,
            line: self.line,
            request_type: self.request_type.unwrap_or_default(),
            answered_with_entry: self.answered_with_entry.unwrap_or_default(),
            policy_domain: self.domain.unwrap_or_default(),
            category: self.category.unwrap_or_default(),
            topic: self.topic.unwrap_or_default(),
            urgency: self.urgency.unwrap_or_default(),
            title: self.title.unwrap_or_default(),
            description: self.description,
            region: self.region.unwrap_or_default(),
            address: self.address.unwrap_or_default(),
            requester: Some(proto::Requester {
                name: self.requester.name.unwrap_or_default(),
                phone: self.requester.phone.unwrap_or_default(),
                id_number: self.requester.id_number.unwrap_or_default(),
                confidential: self.requester.confidential,
            }),
            disposition,
            override_reason,
        }
    }
}

pub async fn create(client: &Client, args: CreateArgs) -> anyhow::Result<()> {
    let created = client.reply(client.intake().create_ticket(args.request()).await)?;
    client.output.print(&created, |c| {
        let note = if c.created {
            "created"
        } else {
            "request id seen before: this is the ticket it created"
        };
        let card = c.ticket.as_ref().map(ticket_view::card).unwrap_or_default();
        format!("{card}\n{note}")
    })
}
