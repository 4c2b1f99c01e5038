//! A dispatched ticket's way through the closed loop, step by step through the real state
//! machine ([`lifecycle::apply`]), on a plausible timeline: units sign, respond and reply
//! in office hours within their windows (some late), some return a ticket (退单) or
//! escalate it (提级), ask for more time (延期), are supervised (督办) or sent back for
//! rework (重办); the centre reviews, calls back and archives. A step that would fall after
//! the end of the history does not happen, so recent tickets are caught mid-way.

use chrono::Duration;
use rand::Rng;
use rand::seq::IndexedRandom;

use super::clock::{callback_hours, on_duty};
use crate::domain::lifecycle::{self, Command, Context};
use crate::domain::{
    Actor, Event, ExclusionReason, Satisfaction, State, Ticket, Timestamp, UnitKind, Urgency,
};
use crate::rules::RuleSet;

/// Shares of dispatched tickets that take each side path.
#[derive(Debug, Clone, Copy)]
pub struct Shares {
    pub returned: f64,
    pub return_approved: f64,
    pub escalated: f64,
    pub late_sign: f64,
    pub late_response: f64,
    pub supervised: f64,
    pub chased_up: f64,
    pub extension: f64,
    pub extension_approved: f64,
    pub late_reply: f64,
    pub reply_sent_back: f64,
    pub excluded: f64,
    pub reopen_requested: f64,
    pub archived: f64,
}

pub const SHARES: Shares = Shares {
    returned: 0.04,
    return_approved: 0.7,
    escalated: 0.01,
    late_sign: 0.03,
    late_response: 0.08,
    supervised: 0.02,
    chased_up: 0.5,
    extension: 0.05,
    extension_approved: 0.85,
    late_reply: 0.06,
    reply_sent_back: 0.05,
    excluded: 0.01,
    reopen_requested: 0.6,
    archived: 0.9,
};

/// Callback verdicts: (satisfaction, share, chance the matter is resolved).
const VERDICTS: [(Satisfaction, f64, f64); 4] = [
    (Satisfaction::Satisfied, 0.78, 0.97),
    (Satisfaction::BasicallySatisfied, 0.10, 0.85),
    (Satisfaction::Dissatisfied, 0.06, 0.25),
    (Satisfaction::Declined, 0.06, 0.0),
];

const REPLIES: &[&str] = &[
    "经现场核实，问题已处理完毕，已电话告知来电人。",
    "已联系责任单位整改到位，来电人表示认可。",
    "已约谈相关负责人，限期整改，后续将持续跟踪。",
    "经核查，已按政策规定向来电人作出解释说明。",
    "已安排人员维修，现已恢复正常。",
];
const RESPONSES: &[&str] = &[
    "已电话联系来电人，了解诉求",
    "已与来电人约定上门时间",
    "已联系来电人，告知办理进度",
];
const RETURN_REASONS: &[&str] = &[
    "该事项不属于本单位职责范围",
    "诉求地点不在本辖区",
    "应由属地街道先行处理",
];
const SEND_BACK_REASONS: &[&str] = &[
    "答复内容不完整，请补充办理结果",
    "未说明整改时限，请重新办理",
];
const CALLBACK_NOTES: &[&str] = &["市民表示满意", "市民认可处理结果", "市民认为处理不到位"];

fn staff(unit: &str, rng: &mut impl Rng) -> Actor {
    Actor {
        unit: unit.to_string(),
        person: format!("{unit}-staff-{}", rng.random_range(1..=6)),
    }
}

fn centre(rules: &RuleSet, role: &str, rng: &mut impl Rng) -> Actor {
    Actor {
        unit: rules.units.centre().id.clone(),
        person: format!("{role}-{:03}", rng.random_range(1..=300)),
    }
}

fn pick<'a>(items: &[&'a str], rng: &mut impl Rng) -> &'a str {
    items.choose(rng).expect("lists are not empty")
}

fn between(rng: &mut impl Rng, from: Duration, to: Duration) -> Duration {
    Duration::seconds(rng.random_range(from.num_seconds()..=to.num_seconds()))
}

/// A ticket and its history as it is walked.
pub struct Walk<'a, R: Rng> {
    pub ticket: Ticket,
    pub events: Vec<Event>,
    rules: &'a RuleSet,
    until: Timestamp,
    rng: &'a mut R,
}

/// Whether the walk may go on (false: the history ended first).
type Going = anyhow::Result<bool>;

impl<'a, R: Rng> Walk<'a, R> {
    pub fn new(
        ticket: Ticket,
        events: Vec<Event>,
        rules: &'a RuleSet,
        until: Timestamp,
        rng: &'a mut R,
    ) -> Self {
        Walk {
            ticket,
            events,
            rules,
            until,
            rng,
        }
    }

    fn last_at(&self) -> Timestamp {
        self.events.last().map_or(self.ticket.created_at, |e| e.at)
    }

    fn holder(&self) -> String {
        self.ticket.assigned_unit.clone().unwrap_or_default()
    }

    /// Applies the command at `at` (never before the previous step), unless that is after
    /// the end of the history.
    fn step(&mut self, actor: Actor, at: Timestamp, command: Command) -> Going {
        let at = at.max(self.last_at() + Duration::seconds(1));
        if at > self.until {
            return Ok(false);
        }
        let name = command.name();
        let ctx = Context {
            actor: &actor,
            principal: "seed",
            units: &self.rules.units,
            policy: &self.rules.policy,
            now: at,
        };
        let transition = lifecycle::apply(&self.ticket, command, &ctx).map_err(|e| {
            anyhow::anyhow!("seeding ticket {}: {name} refused: {e}", self.ticket.id)
        })?;
        self.ticket = transition.ticket;
        self.events.push(transition.event);
        Ok(true)
    }

    /// Fast tiers are handled around the clock; the rest in office hours.
    fn fast(&self) -> bool {
        matches!(
            self.ticket.intake.urgency,
            Urgency::Urgent | Urgency::Utility
        )
    }

    /// `at`, moved into office hours for a unit that keeps them.
    fn unit_time(&mut self, at: Timestamp) -> Timestamp {
        if self.fast() {
            at
        } else {
            let rules = self.rules;
            on_duty(at, rules.policy.deadlines.calendar(), self.rng)
        }
    }

    /// A delay scaled to the tier: minutes for urgent and utility matters, hours else.
    fn delay(&mut self, slow_from: Duration, slow_to: Duration) -> Duration {
        let (from, to) = match self.ticket.intake.urgency {
            Urgency::Urgent => (slow_from / 20, slow_to / 20),
            Urgency::Utility => (slow_from / 6, slow_to / 6),
            Urgency::General | Urgency::Complex => (slow_from, slow_to),
        };
        between(self.rng, from, to)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    /// Walks a ticket from intake (dispatched, or in the centre's queue) as far as the
    /// history allows; an `open` ticket stays with its unit, before the reply, unless its
    /// tier's windows (hours) would have it overdue by now.
    pub fn dispatched(&mut self, open: bool) -> anyhow::Result<()> {
        let s = SHARES;
        let open = open && !self.fast();
        if self.ticket.state == State::Received && !self.queue_dispatch()? {
            return Ok(());
        }
        let mut returned = false;
        let mut escalated = false;
        // Until the ticket stays with a unit that signs it.
        loop {
            if !returned && self.chance(s.returned) {
                returned = true;
                match self.return_ticket()? {
                    Some(true) => continue,
                    Some(false) => {}
                    None => return Ok(()),
                }
            }
            if !self.sign()? {
                return Ok(());
            }
            if !escalated && self.chance(s.escalated) && self.parent_district().is_some() {
                escalated = true;
                let at = self.last_at() + self.delay(Duration::hours(1), Duration::hours(20));
                let at = self.unit_time(at);
                let actor = staff(&self.holder(), self.rng);
                let reason = "涉及多个部门，需区级层面统筹协调".to_string();
                if !self.step(actor, at, Command::Escalate { reason })? {
                    return Ok(());
                }
                continue;
            }
            break;
        }
        if !self.respond()? || !self.supervise()? || !self.handle()? {
            return Ok(());
        }
        if open {
            return Ok(());
        }
        if self.chance(s.extension) && !self.fast() && !self.extend()? {
            return Ok(());
        }
        // Reply, review, callback; a sent-back reply or a reopening callback loops once.
        let mut rounds = 0;
        loop {
            rounds += 1;
            if !self.reply()? {
                return Ok(());
            }
            let sent_back = rounds == 1 && self.chance(s.reply_sent_back);
            let at = self.last_at() + between(self.rng, Duration::hours(1), Duration::hours(20));
            let actor = centre(self.rules, "reviewer", self.rng);
            let command = if sent_back {
                Command::ReviewReply {
                    approve: false,
                    reason: pick(SEND_BACK_REASONS, self.rng).to_string(),
                }
            } else {
                Command::ReviewReply {
                    approve: true,
                    reason: String::new(),
                }
            };
            if !self.step(actor, at, command)? {
                return Ok(());
            }
            if sent_back {
                if !self.handle()? {
                    return Ok(());
                }
                continue;
            }
            if rounds == 1 && self.chance(s.excluded) && !self.exclude()? {
                return Ok(());
            }
            match self.callback(rounds == 1)? {
                None => return Ok(()),
                Some(true) if rounds < 3 => {
                    if !self.handle()? {
                        return Ok(());
                    }
                }
                Some(_) => break,
            }
        }
        if self.ticket.state == State::Closed && self.chance(s.archived) {
            self.archive()?;
        }
        Ok(())
    }

    /// Archives a finished ticket a few days later (归档).
    pub fn archive(&mut self) -> Going {
        let at = self.last_at() + between(self.rng, Duration::days(1), Duration::days(10));
        let actor = centre(self.rules, "agent", self.rng);
        self.step(actor, at, Command::Archive)
    }

    /// The district above a street holding the ticket.
    fn parent_district(&self) -> Option<String> {
        let unit = self
            .rules
            .units
            .get(self.ticket.assigned_unit.as_deref()?)?;
        let parent = self.rules.units.get(unit.parent.as_deref()?)?;
        (unit.kind == UnitKind::Street && parent.kind == UnitKind::District)
            .then(|| parent.id.clone())
    }

    /// The unit the centre sends a ticket to by hand: the place's street or district, or
    /// that district when the street is the one giving it back.
    fn territorial_unit(&self, not: Option<&str>) -> Option<String> {
        let units = &self.rules.units;
        let place = units.unit_for_region(&self.ticket.intake.region)?;
        let district = place.parent.as_deref().and_then(|p| units.get(p));
        [Some(place), district]
            .into_iter()
            .flatten()
            .filter(|u| u.kind != UnitKind::Centre && Some(u.id.as_str()) != not)
            .map(|u| u.id.clone())
            .next()
    }

    /// 派单 from the centre's queue, within the hour.
    fn queue_dispatch(&mut self) -> Going {
        let Some(unit) = self.territorial_unit(None) else {
            return Ok(false);
        };
        let at = self.last_at() + between(self.rng, Duration::minutes(10), Duration::minutes(90));
        let actor = centre(self.rules, "dispatcher", self.rng);
        self.step(
            actor,
            at,
            Command::Dispatch {
                unit,
                co_units: Vec::new(),
                reason: "人工派单".into(),
            },
        )
    }

    /// 退单 within the window and the centre's review. `Some(true)`: reassigned to another
    /// unit; `Some(false)`: kept (rejected, or past the window); `None`: history ended.
    fn return_ticket(&mut self) -> anyhow::Result<Option<bool>> {
        let at = self.last_at() + self.delay(Duration::hours(1), Duration::hours(16));
        let at = self.unit_time(at);
        if self.ticket.due.return_by.is_some_and(|by| at > by) {
            return Ok(Some(false));
        }
        let actor = staff(&self.holder(), self.rng);
        let reason = pick(RETURN_REASONS, self.rng).to_string();
        if !self.step(actor, at, Command::RequestReturn { reason })? {
            return Ok(None);
        }
        let holder = self.holder();
        let other = self.territorial_unit(Some(&holder));
        let approve = other.is_some() && self.chance(SHARES.return_approved);
        let at = self.last_at() + between(self.rng, Duration::minutes(30), Duration::hours(6));
        let actor = centre(self.rules, "dispatcher", self.rng);
        let command = Command::ReviewReturn {
            approve,
            reassign_to: if approve { other } else { None },
            co_units: Vec::new(),
            reason: if approve {
                "同意退单，改派属地处理".into()
            } else {
                "经审核属于本单位职责，退单不予支持".into()
            },
        };
        Ok(self.step(actor, at, command)?.then_some(approve))
    }

    fn sign(&mut self) -> Going {
        let mut at = self.last_at() + self.delay(Duration::minutes(10), Duration::hours(4));
        if self.chance(SHARES.late_sign)
            && let Some(due) = self.ticket.due.sign
        {
            at = due + self.delay(Duration::hours(1), Duration::hours(20));
        }
        let at = self.unit_time(at);
        let actor = staff(&self.holder(), self.rng);
        self.step(actor, at, Command::Sign)
    }

    fn respond(&mut self) -> Going {
        let mut at = self.last_at() + self.delay(Duration::minutes(10), Duration::hours(3));
        if self.chance(SHARES.late_response)
            && let Some(due) = self.ticket.due.respond
        {
            at = due + self.delay(Duration::hours(1), Duration::hours(24));
        }
        let at = self.unit_time(at);
        let actor = staff(&self.holder(), self.rng);
        let note = pick(RESPONSES, self.rng).to_string();
        self.step(actor, at, Command::Respond { note })
    }

    /// 督办 by the centre on a few tickets, sometimes with a chase-up (催办).
    fn supervise(&mut self) -> Going {
        if !self.chance(SHARES.supervised) {
            return Ok(true);
        }
        let at = self.last_at() + between(self.rng, Duration::hours(1), Duration::hours(12));
        let actor = centre(self.rules, "supervisor", self.rng);
        let note = "列入本月重点督办事项".to_string();
        if !self.step(actor, at, Command::Supervise { on: true, note })? {
            return Ok(false);
        }
        if !self.chance(SHARES.chased_up) {
            return Ok(true);
        }
        let at = self.last_at() + between(self.rng, Duration::hours(2), Duration::hours(24));
        let actor = centre(self.rules, "supervisor", self.rng);
        let note = "请加快办理进度".to_string();
        self.step(actor, at, Command::ChaseUp { note })
    }

    fn handle(&mut self) -> Going {
        let at = self.last_at() + self.delay(Duration::minutes(20), Duration::hours(20));
        let at = self.unit_time(at);
        let actor = staff(&self.holder(), self.rng);
        let note = "已安排人员现场处理".to_string();
        self.step(actor, at, Command::Handle { note })
    }

    /// 延期 and the centre's review.
    fn extend(&mut self) -> Going {
        let at = self.last_at() + between(self.rng, Duration::days(1), Duration::days(3));
        let at = self.unit_time(at);
        let actor = staff(&self.holder(), self.rng);
        let command = Command::RequestExtension {
            hours: 0,
            working_days: self.rng.random_range(3..=10),
            reason: "情况复杂，需协调多个部门，申请延期办理".into(),
        };
        if !self.step(actor, at, command)? {
            return Ok(false);
        }
        let approve = self.chance(SHARES.extension_approved);
        let at = self.last_at() + between(self.rng, Duration::hours(2), Duration::hours(20));
        let actor = centre(self.rules, "reviewer", self.rng);
        let reason = if approve {
            String::new()
        } else {
            "延期理由不充分，请按期办结".into()
        };
        self.step(actor, at, Command::ReviewExtension { approve, reason })
    }

    /// 反馈: somewhere in the reply window, a few after it.
    fn reply(&mut self) -> Going {
        let last = self.last_at();
        let at = match (self.ticket.due.started_at, self.ticket.due.reply) {
            (Some(start), Some(due)) if due > last => {
                if self.chance(SHARES.late_reply) {
                    due + self.delay(Duration::hours(2), Duration::days(3))
                } else {
                    let window = (due - start).num_seconds().max(60);
                    let fraction = self.rng.random_range(0.2..0.95);
                    (start + Duration::seconds((window as f64 * fraction) as i64)).max(last)
                }
            }
            _ => last + self.delay(Duration::hours(2), Duration::days(2)),
        };
        let at = self.unit_time(at);
        let actor = staff(&self.holder(), self.rng);
        let reply = pick(REPLIES, self.rng).to_string();
        self.step(actor, at, Command::Reply { reply })
    }

    /// 甄别: the centre takes the ticket out of the assessment.
    fn exclude(&mut self) -> Going {
        let at = self.last_at() + between(self.rng, Duration::hours(1), Duration::days(2));
        let actor = centre(self.rules, "reviewer", self.rng);
        let reason = *[
            ExclusionReason::Unreasonable,
            ExclusionReason::Invalid,
            ExclusionReason::Duplicate,
        ]
        .choose(self.rng)
        .expect("not empty");
        let note = "经甄别不纳入考核".to_string();
        self.step(actor, at, Command::ExcludeFromRates { reason, note })
    }

    /// 回访: `Some(true)` when it reopened the ticket, `None` when the history ended.
    /// Only a first callback may be unhappy; the one after rework is mostly content.
    fn callback(&mut self, first: bool) -> anyhow::Result<Option<bool>> {
        let at = self.last_at() + between(self.rng, Duration::hours(4), Duration::days(3));
        let rules = self.rules;
        let at = callback_hours(at, rules.policy.deadlines.calendar(), self.rng);
        let mut roll = self.rng.random::<f64>();
        let (mut satisfaction, mut resolved_chance) = (Satisfaction::Satisfied, 1.0);
        for (verdict, share, resolved) in VERDICTS {
            if roll < share {
                (satisfaction, resolved_chance) = (verdict, resolved);
                break;
            }
            roll -= share;
        }
        if !first && satisfaction == Satisfaction::Dissatisfied {
            satisfaction = Satisfaction::BasicallySatisfied;
        }
        let resolved = satisfaction != Satisfaction::Declined && self.chance(resolved_chance);
        let unhappy = satisfaction == Satisfaction::Dissatisfied || !resolved;
        let asks_reopen = first
            && unhappy
            && satisfaction != Satisfaction::Declined
            && self.chance(SHARES.reopen_requested);
        let note = match satisfaction {
            Satisfaction::Declined => "多次联系未接通".to_string(),
            Satisfaction::Dissatisfied => CALLBACK_NOTES[2].to_string(),
            _ => pick(&CALLBACK_NOTES[..2], self.rng).to_string(),
        };
        let actor = centre(self.rules, "callback", self.rng);
        let command = |reopen| Command::RecordCallback {
            resolved,
            satisfaction,
            reopen,
            note: note.clone(),
        };
        // The assessment may refuse to reopen on this verdict: then the ticket closes.
        let ctx_ok = {
            let ctx = Context {
                actor: &actor,
                principal: "seed",
                units: &self.rules.units,
                policy: &self.rules.policy,
                now: at.max(self.last_at() + Duration::seconds(1)),
            };
            lifecycle::apply(&self.ticket, command(asks_reopen), &ctx).is_ok()
        };
        let reopen = asks_reopen && ctx_ok;
        if !self.step(actor, at, command(reopen))? {
            return Ok(None);
        }
        Ok(Some(self.ticket.state == State::InProgress))
    }
}
