//! One typed configuration for the daemon: defaults, overridden by an optional TOML file,
//! overridden by `HOTLINE_*` environment variables and flags (clap resolves those two).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Deserialize;

use crate::classify::Classifier;
use crate::domain::{Policy, UnitCatalog};
use crate::route::RoutingTable;
use crate::rules::{LoadedFile, RulePaths, RuleSet, Source};

/// Embedded SQLite file in the working directory, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://hotline.db?mode=rwc";
pub const DEFAULT_GRPC_ADDR: &str = "127.0.0.1:50051";
pub const DEFAULT_METRICS_ADDR: &str = "127.0.0.1:9464";
pub const DEFAULT_UNITS_PATH: &str = "config/units.toml";
pub const DEFAULT_RULES_PATH: &str = "config/rules.toml";
pub const DEFAULT_ROUTING_PATH: &str = "config/routing.toml";

const BUILT_IN_UNITS: &str = include_str!("../config/units.toml");

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
    pub shutdown_grace_seconds: Option<u64>,
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

    let source = Source::resolve(paths.rules.as_deref(), DEFAULT_RULES_PATH);
    let classifier = match &source {
        Source::File(path) => Classifier::from_toml(&path.display().to_string(), &read(path)?)?,
        Source::BuiltIn => Classifier::built_in(),
    };
    record("rules", &source, classifier.version());

    // The catalogue names units, so it is checked against the units loaded with it.
    let source = Source::resolve(paths.routing.as_deref(), DEFAULT_ROUTING_PATH);
    let routing = match &source {
        Source::File(path) => {
            RoutingTable::from_toml(&path.display().to_string(), &read(path)?, &units)?
        }
        Source::BuiltIn => RoutingTable::built_in(&units)?,
    };
    record("routing", &source, routing.version());

    Ok(RuleSet {
        units,
        classifier,
        routing,
        policy: Policy::default(),
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
