//! Synthetic citizen requests for load tests and seeding: realistic, varied Chinese texts
//! about many matters of the taxonomy, with places, lines, channels and requesters that the
//! shipped configuration knows. Deterministic: the same seed gives the same requests.
//!
//! ```
//! let mut requests = hotline::synth::Generator::new(7);
//! let request = requests.next_request();
//! assert!(request.description.chars().count() >= 100);
//! ```
//!
//! Most requests are dispatched matters; a realistic few are consultations the knowledge
//! base answers, current utility faults, emergencies, and matters outside 12345. The rules
//! decide that, not the generator: [`SyntheticRequest::intent`] says what the text was
//! written to be, and the tests check that the shipped rules agree.

mod fillers;
mod matters;
mod places;

use crate::domain::{Channel, Requester, UnitCatalog};
use crate::proto;
use crate::service::convert::ProtoEnum;

pub use matters::{Intent, MATTERS, Matter};
pub use places::Place;

/// Share of callers who dial a department's own line for its matters rather than 12345.
const OWN_LINE_PERCENT: u32 = 30;
/// Share of requests about a district as a whole rather than one of its streets.
const DISTRICT_PERCENT: u32 = 15;
const CONFIDENTIAL_PERCENT: u32 = 3;
/// Shorter accounts get another detail.
const MIN_DESCRIPTION_CHARS: usize = 100;

/// How requests arrive when they do not come in on a department line: weights in percent.
const CHANNELS: &[(Channel, u32)] = &[
    (Channel::Phone, 62),
    (Channel::Wechat, 12),
    (Channel::App, 11),
    (Channel::Web, 9),
    (Channel::Sms, 4),
    (Channel::Email, 2),
];

/// One generated request: what an agent would take down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntheticRequest {
    /// Which template it came from ("labour.site_wages").
    pub matter: &'static str,
    /// The taxonomy topic the text is about.
    pub topic: &'static str,
    /// What the text was written to be; the classifier decides what it is.
    pub intent: Intent,
    pub title: String,
    pub description: String,
    /// Division code of a district or street of the unit catalogue.
    pub region: String,
    pub address: String,
    /// The number dialled: 12345, or a department line that kept its seats.
    pub line: String,
    pub channel: Channel,
    pub requester: Requester,
}

impl SyntheticRequest {
    /// The CreateTicket request an agent console would send for it: no disposition, so the
    /// server's rules decide the outcome.
    pub fn create_request(
        &self,
        request_id: impl Into<String>,
        actor: proto::Actor,
    ) -> proto::CreateTicketRequest {
        proto::CreateTicketRequest {
            request_id: request_id.into(),
            actor: Some(actor),
            channel: self.channel.to_proto(),
            line: self.line.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            region: self.region.clone(),
            address: self.address.clone(),
            requester: Some(proto::Requester {
                name: self.requester.name.clone(),
                phone: self.requester.phone.clone(),
                id_number: self.requester.id_number.clone(),
                confidential: self.requester.confidential,
            }),
            ..Default::default()
        }
    }
}

/// A deterministic stream of requests.
#[derive(Debug, Clone)]
pub struct Generator {
    rng: fastrand::Rng,
    streets: Vec<Place>,
    districts: Vec<Place>,
    total_weight: u32,
}

impl Generator {
    /// Requests about the places of the shipped unit catalogue (`config/units.toml`).
    pub fn new(seed: u64) -> Generator {
        Generator::with_units(seed, &crate::config::built_in_units())
    }

    /// Requests about the districts and streets of `units`.
    ///
    /// # Panics
    /// If the catalogue has neither districts nor streets.
    pub fn with_units(seed: u64, units: &UnitCatalog) -> Generator {
        let (streets, districts) = places::places(units);
        assert!(
            !streets.is_empty() || !districts.is_empty(),
            "the unit catalogue has no district or street to place requests in"
        );
        Generator {
            rng: fastrand::Rng::with_seed(seed),
            streets,
            districts,
            total_weight: matters::total_weight(),
        }
    }

    pub fn next_request(&mut self) -> SyntheticRequest {
        let matter = self.matter();
        let place = self.place().clone();
        let f = fillers::Fillers::draw(&mut self.rng, place.name, place.district);
        let rng = &mut self.rng;
        let pick =
            |rng: &mut fastrand::Rng, list: &'static [&'static str]| list[rng.usize(..list.len())];

        let title = fillers::expand(pick(rng, matter.titles), &f);
        let opening = fillers::expand(pick(rng, matter.openings), &f);
        let ask = fillers::expand(pick(rng, matter.asks), &f);
        let mut details: Vec<String> = matter
            .details
            .iter()
            .map(|d| fillers::expand(d, &f))
            .collect();
        rng.shuffle(&mut details);
        // Two details, and more while the account is still too thin to act on.
        let mut description = opening;
        for (i, detail) in details.iter().enumerate() {
            let chars = description.chars().count() + ask.chars().count();
            if i >= 2 && chars >= MIN_DESCRIPTION_CHARS {
                break;
            }
            description.push_str(detail);
        }
        description.push_str(&ask);

        let own_line = matter.line.filter(|_| rng.u32(..100) < OWN_LINE_PERCENT);
        let channel = match own_line {
            Some(_) => Channel::Phone,
            None => weighted(rng, CHANNELS),
        };
        let address = if rng.bool() {
            format!("{}{}号", f.road, rng.u32(1..=300))
        } else {
            format!("{}{}", f.estate, f.building)
        };
        let requester = Requester {
            name: fillers::person_name(rng),
            phone: fillers::mobile_number(rng),
            id_number: String::new(),
            confidential: rng.u32(..100) < CONFIDENTIAL_PERCENT,
        };
        SyntheticRequest {
            matter: matter.id,
            topic: matter.topic,
            intent: matter.intent,
            title,
            description,
            region: place.region,
            address,
            line: own_line.unwrap_or("12345").to_string(),
            channel,
            requester,
        }
    }

    fn matter(&mut self) -> &'static Matter {
        let mut roll = self.rng.u32(..self.total_weight);
        for matter in MATTERS {
            if roll < matter.weight {
                return matter;
            }
            roll -= matter.weight;
        }
        unreachable!("the roll is below the total weight")
    }

    fn place(&mut self) -> &Place {
        let use_district = self.streets.is_empty()
            || (!self.districts.is_empty() && self.rng.u32(..100) < DISTRICT_PERCENT);
        let list = if use_district {
            &self.districts
        } else {
            &self.streets
        };
        &list[self.rng.usize(..list.len())]
    }
}

impl Iterator for Generator {
    type Item = SyntheticRequest;

    fn next(&mut self) -> Option<SyntheticRequest> {
        Some(self.next_request())
    }
}

fn weighted<T: Copy>(rng: &mut fastrand::Rng, choices: &[(T, u32)]) -> T {
    let total: u32 = choices.iter().map(|(_, w)| w).sum();
    let mut roll = rng.u32(..total);
    for (choice, weight) in choices {
        if roll < *weight {
            return *choice;
        }
        roll -= weight;
    }
    unreachable!("the roll is below the total weight")
}

#[cfg(test)]
mod tests;
