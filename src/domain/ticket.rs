//! Ticket data and the closed vocabularies of 12345 (channels, request types, domains…).
//! Every enum has a stable snake_case code used in storage, events and the CLI.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use strum::{Display, EnumIter, EnumString, IntoStaticStr};

use super::calendar::Window;
use super::warning::Watch;

pub type TicketId = i64;
pub type Timestamp = DateTime<Utc>;
pub type UnitId = String;

vocabulary! {
    /// How the request reached the centre.
    pub enum Channel { Phone, Web, App, Sms, Wechat, Email }
}

vocabulary! {
    /// 咨询 / 求助 / 投诉 / 举报 / 意见建议.
    pub enum RequestType { Consultation, Help, Complaint, Report, Suggestion }
}

vocabulary! {
    /// The five policy domains in scope of 12345.
    pub enum PolicyDomain {
        EconomicRegulation,
        MarketSupervision,
        SocialAdministration,
        PublicServices,
        EnvironmentalProtection,
    }
}

vocabulary! {
    /// Time-limit tier.
    pub enum Urgency { Urgent, Utility, General, Complex }
}

vocabulary! {
    /// Where a ticket stands in the closed loop.
    pub enum State {
        Received,
        Dispatched,
        Signed,
        Responded,
        InProgress,
        ReturnRequested,
        Replied,
        AwaitingCallback,
        Closed,
        Archived,
        Transferred,
        Refused,
        Merged,
    }
}

vocabulary! {
    pub enum EmergencyLine {
        #[strum(serialize = "police_110")]
        #[serde(rename = "police_110")]
        Police110,
        #[strum(serialize = "fire_119")]
        #[serde(rename = "fire_119")]
        Fire119,
        #[strum(serialize = "medical_120")]
        #[serde(rename = "medical_120")]
        Medical120,
        #[strum(serialize = "traffic_122")]
        #[serde(rename = "traffic_122")]
        Traffic122,
    }
}

vocabulary! {
    /// 水电气热.
    pub enum Utility { Water, Power, Gas, Heating }
}

vocabulary! {
    /// Statutory channels for matters 12345 cannot take.
    pub enum LegalChannel {
        Litigation,
        Arbitration,
        DisciplineInspection,
        AdministrativeReview,
        InformationDisclosure,
        Petition,
    }
}

vocabulary! {
    /// Why a request is refused with an explanation (解释说明).
    pub enum ExplainReason {
        StateSecret,
        WorkSecret,
        CommercialSecret,
        Privacy,
        AgainstLaw,
        OutOfArea,
        OutOfScope,
    }
}

vocabulary! {
    /// The requester's verdict at callback; `Declined` is outside the satisfaction scope.
    pub enum Satisfaction { Satisfied, BasicallySatisfied, Dissatisfied, Declined }
}

vocabulary! {
    /// Why the centre takes a ticket out of the assessment (甄别): it then counts in no rate.
    pub enum ExclusionReason {
        /// 不合理诉求: the request asks for something no unit can or should do.
        Unreasonable,
        /// 无效工单: no real request (test call, nonsense, wrong number).
        Invalid,
        /// 重复工单: a repeat of another ticket that was not merged at intake.
        Duplicate,
    }
}

impl State {
    /// States in which the assigned unit has work to do, so PullAssigned may hand them out.
    pub const PULLABLE: [State; 4] = [
        State::Dispatched,
        State::Signed,
        State::Responded,
        State::InProgress,
    ];

    /// The loop is over: only archiving (and notes before archiving) remain.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            State::Closed | State::Archived | State::Transferred | State::Refused | State::Merged
        )
    }

    pub fn is_pullable(self) -> bool {
        Self::PULLABLE.contains(&self)
    }
}

/// The person who called or wrote in. Any of the fields may be empty (anonymous requests).
/// Its `Debug` masks them ([`super::pii`]).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
    pub name: String,
    pub phone: String,
    pub id_number: String,
    pub confidential: bool,
}

impl Requester {
    /// A stable pseudonym of the requester's phone number, so repeats can be found
    /// without storing the number in a searchable column; `None` when anonymous.
    pub fn key(&self) -> Option<String> {
        use sha2::{Digest, Sha256};
        let phone = super::validate::national_phone(&self.phone);
        if phone.is_empty() {
            return None;
        }
        let digest = Sha256::digest(format!("hotline-requester:{phone}"));
        Some(digest[..16].iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// What the agent took down at intake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intake {
    pub channel: Channel,
    /// The number the request came in on: 12345, or a legacy line such as 12366.
    pub line: String,
    pub request_type: RequestType,
    pub policy_domain: PolicyDomain,
    /// A category id of [`taxonomy`](super::taxonomy).
    pub category: String,
    /// A topic id under the category; empty on tickets from before classification.
    #[serde(default)]
    pub topic: String,
    pub urgency: Urgency,
    pub title: String,
    pub description: String,
    pub region: String,
    pub address: String,
    pub requester: Requester,
}

/// The intake outcome: exactly one per request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Disposition {
    /// `unit: None` leaves the ticket in the centre's manual-dispatch queue.
    Dispatch {
        unit: Option<UnitId>,
        co_units: Vec<UnitId>,
    },
    AnswerDirectly {
        answer: String,
    },
    EmergencyTransfer {
        line: EmergencyLine,
    },
    UtilityTransfer {
        utility: Utility,
    },
    LegalChannel {
        channel: LegalChannel,
        advice: String,
    },
    Explain {
        reason: ExplainReason,
        explanation: String,
    },
    Merge {
        parent: TicketId,
    },
    ReferPolice {
        reason: String,
    },
}

impl Disposition {
    /// Stable code of the outcome, for storage and metrics labels.
    pub fn code(&self) -> &'static str {
        match self {
            Disposition::Dispatch { .. } => "dispatch",
            Disposition::AnswerDirectly { .. } => "answer_directly",
            Disposition::EmergencyTransfer { .. } => "emergency_transfer",
            Disposition::UtilityTransfer { .. } => "utility_transfer",
            Disposition::LegalChannel { .. } => "legal_channel",
            Disposition::Explain { .. } => "explain",
            Disposition::Merge { .. } => "merge",
            Disposition::ReferPolice { .. } => "refer_police",
        }
    }
}

/// Due instants, set at dispatch and recomputed on reassignment (改派), rework (重办) and an
/// approved extension (see [`DeadlinePolicy`](super::deadline::DeadlinePolicy)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    pub sign: Option<Timestamp>,
    pub respond: Option<Timestamp>,
    pub reply: Option<Timestamp>,
    /// The unit may ask to return the ticket (退单) until then.
    #[serde(default)]
    pub return_by: Option<Timestamp>,
    /// When the running windows started: the dispatch, or the rework that restarted the
    /// reply window. Warnings fall at fractions of `[started_at, due]`.
    #[serde(default)]
    pub started_at: Option<Timestamp>,
}

/// A unit's request for more time (延期): hours of natural time or working days, one of
/// the two.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionRequest {
    pub hours: u32,
    #[serde(default)]
    pub working_days: u32,
    pub reason: String,
    pub requested_at: Timestamp,
}

impl ExtensionRequest {
    /// The extra time as a window on the calendar.
    pub fn window(&self) -> Window {
        if self.working_days > 0 {
            Window::WorkingDays(self.working_days)
        } else {
            Window::hours(i64::from(self.hours))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackResult {
    pub resolved: bool,
    pub satisfaction: Satisfaction,
    pub note: String,
    pub at: Timestamp,
}

/// The current state of one ticket. Its history lives in the events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// Zero until the store assigns one. Not serialised: stores keep it in its own column.
    #[serde(skip)]
    pub id: TicketId,
    pub version: i64,
    pub state: State,
    pub intake: Intake,
    pub disposition: Disposition,
    pub assigned_unit: Option<UnitId>,
    pub co_units: Vec<UnitId>,
    /// Units sent a copy for information (抄送), such as a street's district.
    #[serde(default)]
    pub copy_to: Vec<UnitId>,
    /// The state to go back to when a return (退单) is rejected.
    pub prior_state: Option<State>,
    pub merged_into: Option<TicketId>,
    pub supervised: bool,
    pub supervision_note: String,
    /// Chase-ups (催办) the centre sent while the ticket was supervised or overdue.
    #[serde(default)]
    pub chase_up_count: u32,
    pub escalation_level: u32,
    pub rework_count: u32,
    pub return_count: u32,
    pub pending_extension: Option<ExtensionRequest>,
    pub due: Deadlines,
    /// The first running deadline and its warning instants, recomputed by every transition.
    #[serde(default)]
    pub watch: Option<Watch>,
    pub reply: String,
    pub callback: Option<CallbackResult>,
    /// Set when the centre took the ticket out of the assessment; absent in older bodies.
    #[serde(default)]
    pub excluded_from_rates: Option<ExclusionReason>,
    /// The knowledge entry version the agent answered with (直接答复 citing the 知识库).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_with: Option<KnowledgeCitation>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub dispatched_at: Option<Timestamp>,
    pub signed_at: Option<Timestamp>,
    pub responded_at: Option<Timestamp>,
    pub replied_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
}

/// A knowledge entry version an answer was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnowledgeCitation {
    pub entry_id: i64,
    pub version: i64,
}

impl Ticket {
    /// A freshly received ticket, before its intake outcome is applied.
    pub fn received(intake: Intake, disposition: Disposition, now: Timestamp) -> Self {
        Ticket {
            id: 0,
            version: 0,
            state: State::Received,
            intake,
            disposition,
            assigned_unit: None,
            co_units: Vec::new(),
            copy_to: Vec::new(),
            prior_state: None,
            merged_into: None,
            supervised: false,
            supervision_note: String::new(),
            chase_up_count: 0,
            escalation_level: 0,
            rework_count: 0,
            return_count: 0,
            pending_extension: None,
            due: Deadlines::default(),
            watch: None,
            reply: String::new(),
            callback: None,
            excluded_from_rates: None,
            answered_with: None,
            created_at: now,
            updated_at: now,
            dispatched_at: None,
            signed_at: None,
            responded_at: None,
            replied_at: None,
            closed_at: None,
        }
    }

    /// Whether the unit is the lead or a co-handling unit of this ticket.
    pub fn involves_unit(&self, unit: &str) -> bool {
        self.assigned_unit.as_deref() == Some(unit) || self.co_units.iter().any(|u| u == unit)
    }

    /// Whether the ticket still counts in the rates: not excluded by the centre, not a
    /// merged duplicate, not handed to 110/119/120/122, a utility or the police.
    pub fn in_rates_scope(&self) -> bool {
        self.excluded_from_rates.is_none()
            && self.merged_into.is_none()
            && !matches!(
                self.disposition,
                Disposition::EmergencyTransfer { .. }
                    | Disposition::UtilityTransfer { .. }
                    | Disposition::ReferPolice { .. }
            )
    }

    /// Whether a lease on `before` survives the step to `self`: the ticket is still
    /// pullable and on the same unit's desk. Any other step hands the ticket on, so the
    /// worker who pulled it no longer holds it.
    pub fn keeps_lease_of(&self, before: &Ticket) -> bool {
        self.state.is_pullable() && self.assigned_unit == before.assigned_unit
    }

    /// Whether the response came within the response window (for the response rate).
    pub fn responded_in_time(&self) -> bool {
        match (self.responded_at, self.due.respond) {
            (Some(at), Some(due)) => at <= due,
            _ => false,
        }
    }
}

impl Intake {
    /// A plain complaint about a street lamp in a Xuanwu street, general tier: the fixture
    /// unit tests start from and vary.
    #[cfg(test)]
    pub(crate) fn sample() -> Intake {
        Intake {
            channel: Channel::Phone,
            line: "12345".into(),
            request_type: RequestType::Complaint,
            policy_domain: PolicyDomain::PublicServices,
            category: "urban_rural_construction".into(),
            topic: "municipal_facilities".into(),
            urgency: Urgency::General,
            title: String::new(),
            description: "路灯不亮".into(),
            region: "320102001".into(),
            address: String::new(),
            requester: Requester::default(),
        }
    }
}
