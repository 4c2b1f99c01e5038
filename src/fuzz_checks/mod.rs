//! The properties the fuzz targets check, as plain functions of the raw input: the
//! cargo-fuzz targets in `fuzz/` call them, and so does `tests/fuzz_smoke.rs`, which
//! replays the committed corpus and a short seeded mutation run in every `cargo test`.
//!
//! Each function accepts any bytes and panics only when a property fails: inputs the
//! daemon never sees (invalid UTF-8 where the gRPC layer refuses it) are skipped.

mod classify;
mod create_request;
mod deadlines_file;
mod routing_file;
mod rules_file;
mod units_file;

use std::sync::OnceLock;

pub use classify::classify;
pub use create_request::create_request;
pub use deadlines_file::deadlines_file;
pub use routing_file::routing_file;
pub use rules_file::rules_file;
pub use units_file::units_file;

use crate::config;
use crate::rules::{RulePaths, RuleSet};

/// A check by the name of its fuzz target (and of its corpus directory).
pub type Check = fn(&[u8]);

/// Every target: its name and its check.
pub const TARGETS: [(&str, Check); 6] = [
    ("classify", classify),
    ("rules_file", rules_file),
    ("routing_file", routing_file),
    ("deadlines_file", deadlines_file),
    ("units_file", units_file),
    ("create_request", create_request),
];

/// The rule files shipped in `config/` (their built-in copies outside the repository).
pub fn shipped_rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| config::load_rule_set(&RulePaths::default()).expect("shipped rules"))
}

/// Separates the fields of a text input (ASCII unit separator), so corpus files stay
/// readable: `title␟description␟line␟region`.
pub const FIELD_SEPARATOR: char = '\u{1f}';

/// Up to `N` fields of a UTF-8 input, missing ones empty; `None` for invalid UTF-8 (the
/// gRPC layer refuses that before any of our code sees it).
pub fn fields<const N: usize>(data: &[u8]) -> Option<[&str; N]> {
    let text = std::str::from_utf8(data).ok()?;
    let mut parts = text.splitn(N, FIELD_SEPARATOR);
    Some(std::array::from_fn(|_| parts.next().unwrap_or_default()))
}

/// A few requests every parsed rule set is tried on: ordinary, emergency, refusal, and
/// full-width and traditional text.
pub const SAMPLE_TEXTS: [&str; 5] = [
    "小区门口路灯坏了两周，晚上很黑",
    "楼下着火了，浓烟很大，快来人",
    "我要起诉开发商，法院怎么立案",
    "ＡＰＰ無法登錄，社保卡補辦進度查詢",
    "",
];

/// Region codes of the shipped catalogue at each level (city, district, street) and none.
pub const SAMPLE_REGIONS: [&str; 4] = ["", "320100", "320102", "320102001"];
