//! One typed configuration for the daemon: defaults, overridden by an optional TOML file,
//! overridden by `HOTLINE_*` environment variables and flags (clap resolves those two).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Deserialize;

use crate::classify::Classifier;
use crate::domain::assessment::Assessment;
use crate::domain::calls_file::CallPolicy;
use crate::domain::deadline::DeadlinePolicy;
use crate::domain::linkage::Partners;
use crate::domain::{Policy, UnitCatalog, deadline_file};
use crate::route::RoutingTable;
use crate::rules::{LoadedFile, RulePaths, RuleSet, Source};

/// Embedded SQLite file in the working directory, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://hotline.db?mode=rwc";
pub const DEFAULT_GRPC_ADDR: &str = "127.0.0.1:50051";
pub const DEFAULT_METRICS_ADDR: &str = "127.0.0.1:9464";
pub const DEFAULT_UNITS_PATH: &str = "config/units.toml";
pub const DEFAULT_RULES_PATH: &str = "config/rules.toml";
pub const DEFAULT_ROUTING_PATH: &str = "config/routing.toml";
pub const DEFAULT_DEADLINES_PATH: &str = "config/deadlines.toml";
pub const DEFAULT_ASSESSMENT_PATH: &str = "config/assessment.toml";
pub const DEFAULT_CALLS_PATH: &str = "config/calls.toml";
pub const DEFAULT_PARTNERS_PATH: &str = "config/partners.toml";

const BUILT_IN_UNITS: &str = include_str!("../config/units.toml");
const BUILT_IN_DEADLINES: &str = include_str!("../config/deadlines.toml");
const BUILT_IN_ASSESSMENT: &str = include_str!("../config/assessment.toml");
const BUILT_IN_CALLS: &str = include_str!("../config/calls.toml");
const BUILT_IN_PARTNERS: &str = include_str!("../config/partners.toml");

/// How far ahead a missing holiday notice is worth a warning at load.
const NOTICE_HORIZON_DAYS: u64 = 60;

/// Keys of the optional `--config` file; every one may be omitted.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub metrics_listen: Option<SocketAddr>,
    /// Set to false to serve no /metrics endpoint.
    pub metrics: Option<bool>,
    pub database_url: Option<String>,
    pub units: Option<PathBuf>,
    pub rules: Option<PathBuf>,
    pub routing: Option<PathBuf>,
    pub deadlines: Option<PathBuf>,
    pub assessment: Option<PathBuf>,
    pub calls: Option<PathBuf>,
    pub partners: Option<PathBuf>,
    pub shutdown_grace_seconds: Option<u64>,
    pub scan_interval_seconds: Option<u64>,
    pub rate_gauges_seconds: Option<u64>,
    pub health_interval_seconds: Option<u64>,
    pub intake_batch_max: Option<usize>,
    pub intake_linger_micros: Option<u64>,
    pub intake_writers: Option<usize>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub tls_client_ca: Option<PathBuf>,
    pub knowledge_review_days: Option<u32>,
    pub knowledge_refresh_seconds: Option<u64>,
    pub remembered_tickets: Option<u64>,
}

impl FileConfig {
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        toml::from_str(&read(path)?).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e))
    }
}

/// Reads and validates a units file; errors name the file, line and key.
pub fn read_units(path: &Path) -> anyhow::Result<UnitCatalog> {
    Ok(UnitCatalog::from_toml(
        &path.display().to_string(),
        &read(path)?,
    )?)
}

/// The catalogue shipped in `config/units.toml`, compiled in for zero-config starts.
pub fn built_in_units() -> UnitCatalog {
    UnitCatalog::from_toml("built-in units.toml", BUILT_IN_UNITS)
        .expect("the shipped units.toml is validated by a unit test")
}

/// Reads and validates a deadlines file against the catalogue's regions; errors name the
/// file, line and key.
pub fn read_deadlines(path: &Path, units: &UnitCatalog) -> anyhow::Result<DeadlinePolicy> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let known = |code: &str| units.is_known_region(code);
    Ok(deadline_file::parse(
        &path.display().to_string(),
        &text,
        &known,
    )?)
}

/// The time limits and 2026 calendar shipped in `config/deadlines.toml`, compiled in. The
/// shipped file overrides no region, so any catalogue will do.
pub fn built_in_deadlines() -> DeadlinePolicy {
    deadline_file::parse("built-in deadlines.toml", BUILT_IN_DEADLINES, &|_| false)
        .expect("the shipped deadlines.toml is validated by a unit test")
}

/// Logs the years coming up soon that have no holiday notice: only weekends rest there
/// until the deployment adds the State Council's arrangement.
fn warn_of_missing_notices(policy: &DeadlinePolicy, source: &Source) {
    let calendar = policy.calendar();
    let today = calendar.local_date(chrono::Utc::now());
    let horizon = today + chrono::Days::new(NOTICE_HORIZON_DAYS);
    for year in calendar.years_without_notice(today, horizon) {
        tracing::warn!(
            year,
            source = %source,
            "the deadlines calendar has no holidays for {year}: only weekends are rest days; \
             add the year's notice under [[calendar.year]]"
        );
    }
}

/// Reads and validates an assessment file; errors name the file, line and key.
pub fn read_assessment(path: &Path) -> anyhow::Result<Assessment> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(Assessment::from_toml(&path.display().to_string(), &text)?)
}

/// The assessment shipped in `config/assessment.toml`, compiled in for zero-config starts.
pub fn built_in_assessment() -> Assessment {
    Assessment::from_toml("built-in assessment.toml", BUILT_IN_ASSESSMENT)
        .expect("the shipped assessment.toml is validated by a unit test")
}

/// Reads and validates a calls file; errors name the file, line and key.
pub fn read_calls(path: &Path) -> anyhow::Result<CallPolicy> {
    Ok(CallPolicy::from_toml(
        &path.display().to_string(),
        &read(path)?,
    )?)
}

/// The call-line settings shipped in `config/calls.toml`, compiled in for zero-config starts.
pub fn built_in_calls() -> CallPolicy {
    CallPolicy::from_toml("built-in calls.toml", BUILT_IN_CALLS)
        .expect("the shipped calls.toml is validated by a unit test")
}

/// Reads every rule file (or its built-in copy) into one generation; the first error
/// names file, line and key.
pub fn load_rule_set(paths: &RulePaths) -> anyhow::Result<RuleSet> {
    let mut files = Vec::new();
    let mut record = |name, source: &Source, version: &str| {
        files.push(LoadedFile {
            name,
            source: source.clone(),
            version: version.to_string(),
        })
    };

    let source = Source::resolve(paths.units.as_deref(), DEFAULT_UNITS_PATH);
    let units = units_from(&source)?;
    record("units", &source, "");

    // Partners become units of the catalogue, so the files below may not name them, and
    // a partner's id may not be a unit's.
    let source = Source::resolve(paths.partners.as_deref(), DEFAULT_PARTNERS_PATH);
    let is_unit = |id: &str| units.get(id).is_some();
    let partners = match &source {
        Source::File(path) => {
            Partners::from_toml(&path.display().to_string(), &read(path)?, &is_unit)?
        }
        Source::BuiltIn => {
            Partners::from_toml("built-in partners.toml", BUILT_IN_PARTNERS, &is_unit)?
        }
    };
    record("partners", &source, "");
    let units = units.with_partners(&partners);

    let source = Source::resolve(paths.rules.as_deref(), DEFAULT_RULES_PATH);
    let classifier = match &source {
        Source::File(path) => Classifier::from_toml(&path.display().to_string(), &read(path)?)?,
        Source::BuiltIn => Classifier::built_in(),
    };
    record("rules", &source, classifier.version());

    // The catalogue and the deadlines name units and regions, so they are checked against
    // the units loaded with them.
    let source = Source::resolve(paths.routing.as_deref(), DEFAULT_ROUTING_PATH);
    let routing = match &source {
        Source::File(path) => {
            RoutingTable::from_toml(&path.display().to_string(), &read(path)?, &units)?
        }
        Source::BuiltIn => RoutingTable::built_in(&units)?,
    };
    record("routing", &source, routing.version());

    let source = Source::resolve(paths.deadlines.as_deref(), DEFAULT_DEADLINES_PATH);
    let deadlines = match &source {
        Source::File(path) => read_deadlines(path, &units)?,
        Source::BuiltIn => built_in_deadlines(),
    };
    warn_of_missing_notices(&deadlines, &source);
    record("deadlines", &source, "");

    let source = Source::resolve(paths.assessment.as_deref(), DEFAULT_ASSESSMENT_PATH);
    let assessment = match &source {
        Source::File(path) => read_assessment(path)?,
        Source::BuiltIn => built_in_assessment(),
    };
    record("assessment", &source, "");

    let source = Source::resolve(paths.calls.as_deref(), DEFAULT_CALLS_PATH);
    let calls = match &source {
        Source::File(path) => read_calls(path)?,
        Source::BuiltIn => built_in_calls(),
    };
    record("calls", &source, "");

    Ok(RuleSet {
        units,
        classifier,
        routing,
        policy: Policy {
            deadlines,
            callbacks: assessment.callbacks,
        },
        assessment,
        calls,
        partners,
        files,
    })
}

/// The catalogue of a resolved source.
pub fn units_from(source: &Source) -> anyhow::Result<UnitCatalog> {
    match source {
        Source::File(path) => read_units(path),
        Source::BuiltIn => Ok(built_in_units()),
    }
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_files_are_valid_and_agree() {
        let units = built_in_units();
        let from_file = read_deadlines(Path::new(DEFAULT_DEADLINES_PATH), &units).unwrap();
        let built_in = built_in_deadlines();
        assert_eq!(from_file, built_in);
        // The file spells out the documented defaults; only the calendar adds to them.
        let defaults = DeadlinePolicy::default();
        assert_eq!(built_in.tiers(), defaults.tiers());
        assert_eq!(built_in.max_extension(), defaults.max_extension());
        assert_eq!(built_in.thresholds(), defaults.thresholds());
        assert!(built_in.regions().is_empty());
    }
}
