//! Realistic historical tickets for `hotline seed`, made by the same code as live ones:
//! a request's words ([`text`]) go through [`triage`] with the loaded rules (classifier and
//! dispatch catalogue), [`intake::open`] opens the ticket with the proposed outcome, and a
//! dispatched ticket walks the loop through [`lifecycle::apply`] ([`walk`]) on a plausible
//! timeline ([`clock`]). Tickets, events and projections are what the live flow would have
//! stored; [`Store::import_tickets`](crate::store::Store::import_tickets) writes them.
//!
//! Deterministic: a ticket's randomness comes from the seed and its id alone (ChaCha8, one
//! stream per id), so the same flags give the same tickets whatever the thread count.
//! Repeats (并单) merge into an open ticket of the same block only.

mod clock;
mod text;
mod walk;

use std::sync::Arc;

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

pub use clock::OPEN_WINDOW_DAYS;
use clock::Timeline;
use text::Kind;

use crate::domain::intake;
use crate::domain::lifecycle::Context;
use crate::domain::{Actor, Disposition, Event, Intake, State, TicketId, Timestamp, UnitKind};
use crate::rules::RuleSet;
use crate::store::ImportedTicket;
use crate::triage::{self, triage};

/// What to seed.
#[derive(Debug, Clone)]
pub struct Plan {
    pub tickets: u64,
    /// The id of the first ticket; the rest follow.
    pub first_id: TicketId,
    /// Months of history before `until`.
    pub months: u32,
    pub seed: u64,
    /// Share of the tickets left open on a unit's desk (recent ones).
    pub open_share: f64,
    /// The end of the history ("now").
    pub until: Timestamp,
    /// Tickets per block (one import transaction).
    pub block: u64,
}

/// Share of dispatch requests that repeat an earlier, still open one (并单).
const REPEAT_SHARE: f64 = 0.02;
/// Share of requests about a district as a whole rather than one of its streets.
const DISTRICT_SHARE: f64 = 0.15;
/// How many of the block's latest dispatched tickets a repeat may follow.
const REPEAT_LOOKBACK: usize = 50;

pub struct Seeder {
    plan: Plan,
    rules: Arc<RuleSet>,
    timeline: Timeline,
    streets: Vec<String>,
    districts: Vec<String>,
}

/// Hex SHA-256, the form of the live flow's request fingerprints.
fn digest(text: &str) -> String {
    Sha256::digest(text)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The state a history had reached at `at`.
fn state_at(events: &[Event], at: Timestamp) -> Option<State> {
    events
        .iter()
        .take_while(|e| e.at <= at)
        .last()
        .map(|e| e.to_state)
}

impl Seeder {
    pub fn new(plan: Plan, rules: Arc<RuleSet>) -> anyhow::Result<Seeder> {
        anyhow::ensure!(
            (0.0..=1.0).contains(&plan.open_share),
            "the open share must be between 0 and 1"
        );
        anyhow::ensure!(plan.block > 0, "the block size must be at least 1");
        let regions = |kind| -> Vec<String> {
            rules
                .units
                .iter()
                .filter(|u| u.kind == kind)
                .filter_map(|u| u.region.clone())
                .collect()
        };
        let (streets, districts) = (regions(UnitKind::Street), regions(UnitKind::District));
        anyhow::ensure!(
            !districts.is_empty(),
            "the unit catalogue has no district with a region code to place tickets in"
        );
        let timeline = Timeline::new(plan.tickets, plan.months, plan.open_share, plan.until);
        Ok(Seeder {
            plan,
            rules,
            timeline,
            streets,
            districts,
        })
    }

    pub fn blocks(&self) -> u64 {
        self.plan.tickets.div_ceil(self.plan.block)
    }

    /// The tickets of block `n` (from 0), in id order.
    pub fn block(&self, n: u64) -> anyhow::Result<Vec<ImportedTicket>> {
        let start = n * self.plan.block;
        let end = (start + self.plan.block).min(self.plan.tickets);
        let mut tickets: Vec<ImportedTicket> = Vec::with_capacity((end - start) as usize);
        let mut dispatched: Vec<usize> = Vec::new();
        for index in start..end {
            let imported = self.ticket(index, &tickets, &dispatched)?;
            if imported.ticket.dispatched_at.is_some() || imported.ticket.state == State::Received {
                dispatched.push(tickets.len());
            }
            tickets.push(imported);
        }
        Ok(tickets)
    }

    fn place(&self, rng: &mut impl Rng) -> String {
        let list = if self.streets.is_empty() || rng.random_bool(DISTRICT_SHARE) {
            &self.districts
        } else {
            &self.streets
        };
        list.choose(rng).expect("checked non-empty").clone()
    }

    /// An open ticket of the block that a request at `at` may repeat.
    fn open_parent<'t>(
        &self,
        block: &'t [ImportedTicket],
        dispatched: &[usize],
        at: Timestamp,
        rng: &mut impl Rng,
    ) -> Option<&'t ImportedTicket> {
        let recent = &dispatched[dispatched.len().saturating_sub(REPEAT_LOOKBACK)..];
        let candidates: Vec<&ImportedTicket> = recent
            .iter()
            .map(|i| &block[*i])
            .filter(|t| !t.ticket.intake.requester.phone.is_empty())
            .filter(|t| state_at(&t.events, at).is_some_and(|s| !s.is_finished()))
            .collect();
        candidates.choose(rng).copied()
    }

    fn ticket(
        &self,
        index: u64,
        block: &[ImportedTicket],
        dispatched: &[usize],
    ) -> anyhow::Result<ImportedTicket> {
        let plan = &self.plan;
        let rules = &*self.rules;
        let id = plan.first_id + index as TicketId;
        let mut rng = ChaCha8Rng::seed_from_u64(plan.seed);
        rng.set_stream(id as u64);
        let created_at = self.timeline.created_at(index);
        let open = rng.random_bool(self.timeline.open_chance(index).clamp(0.0, 1.0));
        let kind = if open {
            Kind::Dispatch
        } else {
            text::pick_kind(&mut rng)
        };

        let parent = (kind == Kind::Dispatch && !open && rng.random_bool(REPEAT_SHARE))
            .then(|| self.open_parent(block, dispatched, created_at, &mut rng))
            .flatten();
        let (words, region, requester) = match parent {
            Some(p) => {
                let first = &p.ticket.intake;
                (
                    text::repeat(&first.title, &first.description, &first.address, &mut rng),
                    first.region.clone(),
                    first.requester.clone(),
                )
            }
            None => (
                text::request(kind, &mut rng),
                self.place(&mut rng),
                text::requester(&mut rng),
            ),
        };

        let decided = triage(
            rules,
            &triage::Request {
                title: &words.title,
                description: &words.description,
                line: "12345",
                region: &region,
            },
        );
        let c = &decided.classification;
        let intake = Intake {
            channel: text::channel(&mut rng),
            line: "12345".into(),
            request_type: c.request_type,
            policy_domain: c.domain,
            category: c.category.to_string(),
            topic: c.topic.to_string(),
            urgency: c.urgency,
            title: words.title.clone(),
            description: words.description.clone(),
            region,
            address: words.address,
            requester,
        };
        // 并单 as the service decides it: a proposed dispatch, the same requester and
        // category, the earlier ticket still open.
        let merge = parent.filter(|p| {
            matches!(decided.disposition, Disposition::Dispatch { .. })
                && p.ticket.intake.category == intake.category
        });
        let (disposition, parent_state) = match merge {
            Some(p) => (
                Disposition::Merge {
                    parent: p.ticket.id,
                },
                state_at(&p.events, created_at),
            ),
            None => (decided.disposition.clone(), None),
        };
        let agent = Actor {
            unit: rules.units.centre().id.clone(),
            person: format!("agent-{:03}", rng.random_range(1..=300)),
        };
        let ctx = Context {
            actor: &agent,
            principal: "seed",
            units: &rules.units,
            policy: &rules.policy,
            now: created_at,
        };
        let mut opened = intake::open(intake, disposition, parent_state, &ctx)
            .map_err(|e| anyhow::anyhow!("seeding ticket {id}: intake refused: {e}"))?;
        decided.record(&mut opened, None);
        opened.ticket.id = id;
        for event in &mut opened.events {
            event.ticket_id = id;
        }

        let mut walk = walk::Walk::new(
            opened.ticket,
            opened.events,
            rules,
            self.timeline.end(),
            &mut rng,
        );
        if matches!(walk.ticket.state, State::Dispatched | State::Received) {
            walk.dispatched(open)?;
        }
        Ok(ImportedTicket {
            ticket: walk.ticket,
            events: walk.events,
            request_id: format!("seed-{id}"),
            fingerprint: digest(&format!("hotline-seed:{}:{id}", plan.seed)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rates_ledger::Account;
    use chrono::{TimeZone, Utc};
    use std::collections::BTreeMap;

    fn rules() -> Arc<RuleSet> {
        Arc::new(
            crate::config::load_rule_set(&crate::rules::RulePaths::default())
                .expect("the shipped rule files load"),
        )
    }

    fn plan(tickets: u64) -> Plan {
        Plan {
            tickets,
            first_id: 1,
            months: 12,
            seed: 42,
            open_share: 0.03,
            until: Utc.with_ymd_and_hms(2026, 3, 18, 7, 0, 0).unwrap(),
            block: 500,
        }
    }

    fn all(seeder: &Seeder) -> Vec<ImportedTicket> {
        (0..seeder.blocks())
            .flat_map(|b| seeder.block(b).unwrap())
            .collect()
    }

    #[test]
    fn histories_are_whole_ordered_and_end_in_the_tickets_state() {
        let seeder = Seeder::new(plan(3000), rules()).unwrap();
        let tickets = all(&seeder);
        assert_eq!(tickets.len(), 3000);
        for (i, t) in tickets.iter().enumerate() {
            assert_eq!(t.ticket.id, 1 + i as i64);
            let versions: Vec<i64> = t.events.iter().map(|e| e.version).collect();
            assert_eq!(versions, (1..=t.ticket.version).collect::<Vec<_>>());
            assert_eq!(t.events.last().unwrap().to_state, t.ticket.state);
            assert!(t.events.windows(2).all(|w| w[0].at <= w[1].at));
            assert!(t.events.iter().all(|e| e.ticket_id == t.ticket.id));
            assert!(t.events.last().unwrap().at <= seeder.plan.until);
            Account::replay(&t.events).unwrap();
        }
    }

    #[test]
    fn the_mix_looks_like_a_hotline() {
        let seeder = Seeder::new(plan(6000), rules()).unwrap();
        let tickets = all(&seeder);
        let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
        let mut commands: BTreeMap<String, usize> = BTreeMap::new();
        let mut open = 0;
        for t in &tickets {
            *outcomes.entry(t.ticket.disposition.code()).or_default() += 1;
            for e in &t.events {
                *commands.entry(e.command.clone()).or_default() += 1;
            }
            open += usize::from(t.ticket.state.is_pullable());
        }
        let share = |n: usize| n as f64 / tickets.len() as f64;
        let dispatched = share(outcomes["dispatch"]);
        assert!((0.40..0.60).contains(&dispatched), "{outcomes:?}");
        assert!(share(outcomes["answer_directly"]) > 0.3, "{outcomes:?}");
        assert!(share(open) > 0.02 && share(open) < 0.06, "open {open}");
        // Every side path shows up.
        for command in [
            "return",
            "review_return",
            "escalate",
            "request_extension",
            "review_extension",
            "supervise",
            "review_reply",
            "record_callback",
            "exclude_from_rates",
            "archive",
            "merge",
            "transfer",
            "refuse",
        ] {
            assert!(commands.contains_key(command), "no {command}: {commands:?}");
        }
        // Some responses came late, some reopened on callback.
        let late = tickets
            .iter()
            .flat_map(|t| &t.events)
            .filter(|e| e.command == "respond" && e.details["in_time"] == false)
            .count();
        assert!(late > 0);
        let reopened = tickets
            .iter()
            .flat_map(|t| &t.events)
            .filter(|e| e.command == "record_callback" && e.details["reopened"] == true)
            .count();
        assert!(reopened > 0);
    }

    #[test]
    fn the_same_seed_gives_the_same_tickets_whatever_the_order() {
        let a = Seeder::new(plan(1000), rules()).unwrap();
        let b = Seeder::new(plan(1000), rules()).unwrap();
        assert_eq!(a.block(1).unwrap(), b.block(1).unwrap());
        let mut other = plan(1000);
        other.seed = 43;
        let c = Seeder::new(other, rules()).unwrap();
        assert_ne!(a.block(1).unwrap(), c.block(1).unwrap());
    }
}
