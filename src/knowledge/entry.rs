//! A knowledge entry, its content and the checks on it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use strum::{Display, EnumIter, EnumString, IntoStaticStr};

use super::lifecycle::KnowledgeError;
use crate::domain::calendar::china_standard_time;
use crate::domain::{Timestamp, UnitCatalog, UnitKind, validate};

pub type EntryId = i64;

pub const MAX_QUESTION_CHARS: usize = 200;
pub const MAX_ANSWER_CHARS: usize = 4_000;
pub const MAX_KEYWORDS: usize = 20;
pub const MAX_KEYWORD_CHARS: usize = 32;

/// Where the entry's latest version stands.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Display,
    EnumString,
    IntoStaticStr,
    EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum EntryStatus {
    Draft,
    PendingApproval,
    Published,
    Retired,
}

impl EntryStatus {
    pub fn code(self) -> &'static str {
        self.into()
    }
}

/// What an entry says: the part a unit edits, one snapshot per version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    pub question: String,
    pub answer: String,
    pub keywords: Vec<String>,
    /// A category id of the taxonomy.
    pub category: String,
    /// A topic id under the category; may be empty.
    #[serde(default)]
    pub topic: String,
    /// Division code of a district or street; empty (or the city's code) for city-wide.
    #[serde(default)]
    pub region: String,
    /// The unit that maintains the entry.
    pub owner_unit: String,
    /// First and last local day (UTC+8) the answer holds, both inclusive; open if absent.
    #[serde(default)]
    pub valid_from: Option<NaiveDate>,
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
}

/// An entry as it stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: EntryId,
    /// Bumped by every change (edit, submission, approval…); each has a [`Version`] row.
    pub version: i64,
    pub status: EntryStatus,
    /// The latest content (a draft under edit, or what is published).
    pub content: Content,
    /// The version whose content answers callers; stays while a new edit awaits approval,
    /// gone once retired.
    pub published_version: Option<i64>,
    /// When the centre last approved it or someone confirmed it still holds.
    pub reviewed_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One row of an entry's history, appended by every change and never altered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub entry_id: EntryId,
    pub version: i64,
    /// create | update | submit | approve | reject | retire | confirm
    pub action: String,
    pub status: EntryStatus,
    pub content: Content,
    pub actor: crate::domain::Actor,
    pub at: Timestamp,
    pub note: String,
}

/// A published entry as it answers callers: its published version's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveEntry {
    pub id: EntryId,
    pub version: i64,
    pub content: Content,
    pub reviewed_at: Option<Timestamp>,
}

/// Why a live entry needs attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staleness {
    /// Its validity window ended before today.
    Expired,
    /// Nobody reviewed it for longer than the review period.
    Unreviewed,
}

impl Staleness {
    pub fn code(self) -> &'static str {
        match self {
            Staleness::Expired => "expired",
            Staleness::Unreviewed => "unreviewed",
        }
    }
}

/// The local day (UTC+8) of an instant: validity windows are in days as citizens read them.
pub fn local_day(at: Timestamp) -> NaiveDate {
    at.with_timezone(&china_standard_time()).date_naive()
}

impl Content {
    /// Trims what a person typed, folds keyword separators and drops empty keywords.
    pub fn tidied(mut self) -> Self {
        self.question = self.question.trim().to_string();
        self.answer = self.answer.trim().to_string();
        self.category = self.category.trim().to_string();
        self.topic = self.topic.trim().to_string();
        self.region = self.region.trim().to_string();
        self.owner_unit = self.owner_unit.trim().to_string();
        self.keywords = self
            .keywords
            .iter()
            .flat_map(|k| split_keywords(k))
            .collect();
        self
    }

    /// Field checks against the taxonomy and the unit catalogue; errors name the field.
    pub fn validate(&self, units: &UnitCatalog) -> Result<(), KnowledgeError> {
        validate::text("question", &self.question, MAX_QUESTION_CHARS, true)?;
        validate::text("answer", &self.answer, MAX_ANSWER_CHARS, true)?;
        if self.keywords.len() > MAX_KEYWORDS {
            return Err(KnowledgeError::invalid(
                "keywords",
                format!(
                    "{} keywords; the limit is {MAX_KEYWORDS}",
                    self.keywords.len()
                ),
            ));
        }
        for keyword in &self.keywords {
            validate::text("keywords", keyword, MAX_KEYWORD_CHARS, true)?;
        }
        if self.category.is_empty() {
            return Err(KnowledgeError::invalid("category", "must name a category"));
        }
        validate::category_and_topic(&self.category, &self.topic)?;
        validate::region("region", &self.region, units)?;
        validate::unit("owner_unit", &self.owner_unit, units)?;
        if let (Some(from), Some(until)) = (self.valid_from, self.valid_until)
            && until < from
        {
            return Err(KnowledgeError::invalid(
                "valid_until",
                format!("{until} is before valid_from {from}"),
            ));
        }
        Ok(())
    }

    /// Whether the answer holds on `day`.
    pub fn is_valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= day)
            && self.valid_until.is_none_or(|until| day <= until)
    }

    /// Whether the entry answers for the place `region` (empty: anywhere). City-wide entries
    /// answer everywhere; a district's entry answers for its streets too (street codes
    /// extend their district's).
    pub fn covers(&self, region: &str, units: &UnitCatalog) -> bool {
        let mine = self.region.as_str();
        region.is_empty()
            || mine.is_empty()
            || units.unit_for_region(mine).is_none() // the city's own code
            || region.starts_with(mine)
    }
}

/// Keywords as typed: separated by commas, semicolons (either width), 、 or spaces.
pub fn split_keywords(text: &str) -> Vec<String> {
    text.split([',', ';', '，', '；', '、', ' ', '\u{3000}', '|'])
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(String::from)
        .collect()
}

impl LiveEntry {
    /// Why the entry is stale on `now`, if it is: expired first, then unreviewed for more
    /// than `review_every_days`.
    pub fn staleness(&self, now: Timestamp, review_every_days: u32) -> Option<Staleness> {
        let today = local_day(now);
        if self.content.valid_until.is_some_and(|until| until < today) {
            return Some(Staleness::Expired);
        }
        let horizon = now - chrono::Duration::days(i64::from(review_every_days));
        match self.reviewed_at {
            Some(at) if at >= horizon => None,
            _ => Some(Staleness::Unreviewed),
        }
    }
}

/// Whether the unit may approve entries: the centre only.
pub fn is_centre(unit: &str, units: &UnitCatalog) -> bool {
    units.get(unit).is_some_and(|u| u.kind == UnitKind::Centre)
}
