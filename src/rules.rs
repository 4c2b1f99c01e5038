//! The rule files the daemon decides with — units, classification rules, the dispatch
//! catalogue, time limits and calendar, the assessment and the call lines — loaded together and swapped
//! together, so a decision never mixes an old file with a new one.

use std::path::{Path, PathBuf};

use crate::classify::Classifier;
use crate::domain::assessment::Assessment;
use crate::domain::calls_file::CallPolicy;
use crate::domain::{Policy, UnitCatalog};
use crate::route::RoutingTable;

/// Where one rule file comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    File(PathBuf),
    /// The copy compiled into the binary (zero-config start).
    BuiltIn,
}

impl Source {
    /// An explicit path must exist; otherwise the default path is used when present and
    /// the built-in copy when not, so `hotline serve` starts anywhere with zero configuration.
    pub fn resolve(explicit: Option<&Path>, default_path: &str) -> Source {
        match explicit {
            Some(path) => Source::File(path.to_path_buf()),
            None if Path::new(default_path).exists() => Source::File(PathBuf::from(default_path)),
            None => Source::BuiltIn,
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::File(path) => write!(f, "{}", path.display()),
            Source::BuiltIn => f.write_str("built-in"),
        }
    }
}

/// Explicit paths of the rule files; `None` means the default path or the built-in copy.
#[derive(Debug, Clone, Default)]
pub struct RulePaths {
    pub units: Option<PathBuf>,
    pub rules: Option<PathBuf>,
    pub routing: Option<PathBuf>,
    pub deadlines: Option<PathBuf>,
    pub assessment: Option<PathBuf>,
    pub calls: Option<PathBuf>,
    pub partners: Option<PathBuf>,
}

/// One consistent generation of rules.
pub struct RuleSet {
    pub units: UnitCatalog,
    pub classifier: Classifier,
    pub routing: RoutingTable,
    pub policy: Policy,
    /// Rate weights and targets (its callback policy is in `policy`).
    pub assessment: Assessment,
    /// Call lines, their targets, the missed-call window and the callback channels.
    pub calls: CallPolicy,
    /// Partner centres of regional linkage (区域联动); they are also units of kind `partner`.
    pub partners: crate::domain::linkage::Partners,
    /// Where each file came from, and its version where it has one, for ReloadRules.
    pub files: Vec<LoadedFile>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedFile {
    /// units | rules | routing | deadlines | assessment | calls | partners
    pub name: &'static str,
    pub source: Source,
    pub version: String,
}

impl RuleSet {
    pub fn source_of(&self, name: &str) -> Option<&Source> {
        self.files
            .iter()
            .find(|f| f.name == name)
            .map(|f| &f.source)
    }

    /// Every file path in force, for the file watch.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.files
            .iter()
            .filter_map(|f| match &f.source {
                Source::File(path) => Some(path.clone()),
                Source::BuiltIn => None,
            })
            .collect()
    }
}

impl RuleSet {
    /// The lines callers dial that call legs may name: every unit's own line, and those
    /// `calls.toml` lists. Bounded, so they may label metrics.
    pub fn call_lines(&self) -> std::collections::BTreeSet<String> {
        self.units
            .iter()
            .filter_map(|u| u.hotline.clone())
            .chain(self.calls.extra_lines.iter().cloned())
            .collect()
    }
}
