//! One typed configuration for the daemon: defaults, overridden by an optional TOML file,
//! overridden by `HOTLINE_*` environment variables and flags (clap resolves those two).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Deserialize;

use crate::domain::assessment::Assessment;
use crate::domain::{Policy, UnitCatalog};
use crate::rules::{RulePaths, RuleSet, Source};

/// Embedded SQLite file in the working directory, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://hotline.db?mode=rwc";
pub const DEFAULT_GRPC_ADDR: &str = "127.0.0.1:50051";
pub const DEFAULT_METRICS_ADDR: &str = "127.0.0.1:9464";
pub const DEFAULT_UNITS_PATH: &str = "config/units.toml";
pub const DEFAULT_ASSESSMENT_PATH: &str = "config/assessment.toml";

const BUILT_IN_UNITS: &str = include_str!("../config/units.toml");
const BUILT_IN_ASSESSMENT: &str = include_str!("../config/assessment.toml");

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
    pub assessment: Option<PathBuf>,
    pub shutdown_grace_seconds: Option<u64>,
    pub rate_gauges_seconds: Option<u64>,
}

impl FileConfig {
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e))
    }
}

/// Reads and validates a units file; errors name the file, line and key.
pub fn read_units(path: &Path) -> anyhow::Result<UnitCatalog> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(UnitCatalog::from_toml(&path.display().to_string(), &text)?)
}

/// The catalogue shipped in `config/units.toml`, compiled in for zero-config starts.
pub fn built_in_units() -> UnitCatalog {
    UnitCatalog::from_toml("built-in units.toml", BUILT_IN_UNITS)
        .expect("the shipped units.toml is validated by a unit test")
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

/// Reads every rule file (or its built-in copy) into one generation; the first error
/// names file, line and key.
pub fn load_rule_set(paths: &RulePaths) -> anyhow::Result<RuleSet> {
    let units_source = Source::resolve(paths.units.as_deref(), DEFAULT_UNITS_PATH);
    let units = match &units_source {
        Source::File(path) => read_units(path)?,
        Source::BuiltIn => built_in_units(),
    };
    let assessment_source = Source::resolve(paths.assessment.as_deref(), DEFAULT_ASSESSMENT_PATH);
    let assessment = match &assessment_source {
        Source::File(path) => read_assessment(path)?,
        Source::BuiltIn => built_in_assessment(),
    };
    let policy = Policy {
        callbacks: assessment.callbacks,
        ..Policy::default()
    };
    Ok(RuleSet {
        units,
        units_source,
        policy,
        assessment,
        assessment_source,
    })
}
