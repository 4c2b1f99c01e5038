//! The entries of the dispatch catalogue (派单目录) once validated: legacy lines and
//! dispatch rules. `catalogue_file` builds them from `config/routing.toml`.

use serde::Serialize;
use strum::Display;

/// How a legacy departmental number was merged into 12345.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, Display)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum LineMode {
    /// 整体并入: the number is cancelled; its calls are plain 12345 tickets.
    Merged,
    /// 双号并行: the old number still rings; its seats are managed by 12345.
    Dual,
    /// 设分中心: a vertically managed department keeps number and seats as a sub-centre.
    SubCentre,
}

/// A legacy hotline number and the unit that owned it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegacyLine {
    pub number: String,
    pub owner: String,
    pub mode: LineMode,
    /// Topics that are this line's own matters even when the catalogue names another owner.
    pub topics: Vec<String>,
    /// Whole categories that are this line's own matters.
    pub categories: Vec<String>,
    pub note: Option<String>,
}

impl LegacyLine {
    /// Whether a call on this number stays with the line's unit by default; a merged
    /// number no longer has seats of its own.
    pub fn keeps_calls(&self) -> bool {
        self.mode != LineMode::Merged
    }

    pub fn owns(&self, topic: &str, category: &str) -> bool {
        self.topics.iter().any(|t| t == topic) || self.categories.iter().any(|c| c == category)
    }
}

/// Who a rule sends a matter to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    /// A named unit of the unit catalogue.
    Unit(String),
    /// The district government of the place concerned (`lead = "district"`).
    District,
    /// The street office of the place concerned (`lead = "street"`): territorial matters.
    Street,
}

impl Assignee {
    pub fn describe(&self) -> &str {
        match self {
            Assignee::Unit(id) => id,
            Assignee::District => "the district of the place concerned",
            Assignee::Street => "the street of the place concerned",
        }
    }
}

/// What a rule matches on: a topic, or a whole category (less specific).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matter {
    Topic(String),
    Category(String),
}

/// One dispatch rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: String,
    pub matter: Matter,
    /// District or street division codes; empty = the whole city. A district code also
    /// covers its streets.
    pub regions: Vec<String>,
    pub lead: Assignee,
    /// 协办 units; never the lead, never the centre.
    pub co_units: Vec<String>,
    pub priority: u16,
    /// Why this unit owns the matter (mandate, duty list), shown in explanations.
    pub note: String,
}

/// A validated catalogue, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    pub version: String,
    pub lines: Vec<LegacyLine>,
    pub rules: Vec<Rule>,
}
