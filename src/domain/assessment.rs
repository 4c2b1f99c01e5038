//! How the three rates are assessed (`config/assessment.toml`): the weight of 基本满意 in
//! the satisfaction rate, what an unhappy callback does, and the targets each unit class
//! is held to (shown in reports, exported for alert rules). Parsing is pure: the caller
//! reads the file; errors name the file, line and key.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::config_file::{ConfigError, line_of};
use super::policy::{CallbackPolicy, Reopen};
use super::rates::{RateWeights, Rates};
use super::unit::UnitKind;

/// The least each rate should reach, as fractions (0.95 = 95 %).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Targets {
    pub response: f64,
    pub resolution: f64,
    pub satisfaction: f64,
}

impl Default for Targets {
    /// Common defaults of Beijing-style assessment: 95 % response, 80 % resolution,
    /// 90 % satisfaction.
    fn default() -> Self {
        Targets {
            response: 0.95,
            resolution: 0.80,
            satisfaction: 0.90,
        }
    }
}

impl Targets {
    /// Which rates fall short of their target; a rate without a denominator never does.
    pub fn missed_by(&self, rates: &Rates) -> Vec<&'static str> {
        [
            ("response", rates.response, self.response),
            ("resolution", rates.resolution, self.resolution),
            ("satisfaction", rates.satisfaction, self.satisfaction),
        ]
        .into_iter()
        .filter(|(_, rate, target)| rate.is_some_and(|r| r < *target))
        .map(|(name, _, _)| name)
        .collect()
    }
}

/// Targets per unit class (domain.md §6: districts, departments, utilities, streets…).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RateTargets {
    default: Targets,
    by_kind: Vec<(UnitKind, Targets)>,
}

impl RateTargets {
    pub fn for_kind(&self, kind: UnitKind) -> Targets {
        self.by_kind
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(self.default, |(_, t)| *t)
    }
}

/// One generation of `assessment.toml`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Assessment {
    pub weights: RateWeights,
    pub callbacks: CallbackPolicy,
    pub targets: RateTargets,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssessmentFile {
    basically_satisfied_weight: Option<Spanned<f64>>,
    reopen_when_dissatisfied: Option<Reopen>,
    reopen_when_unresolved: Option<Reopen>,
    #[serde(default)]
    targets: BTreeMap<Spanned<String>, TargetsTable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetsTable {
    response: Option<Spanned<f64>>,
    resolution: Option<Spanned<f64>>,
    satisfaction: Option<Spanned<f64>>,
}

impl Assessment {
    /// Parses and validates the text of an assessment file; `source_name` is used in errors.
    pub fn from_toml(source_name: &str, text: &str) -> Result<Self, ConfigError> {
        let file: AssessmentFile =
            toml::from_str(text).map_err(|e| ConfigError::from_toml(source_name, text, &e))?;
        let fraction = |value: &Spanned<f64>, key: &str| -> Result<f64, ConfigError> {
            let v = *value.get_ref();
            if v.is_finite() && (0.0..=1.0).contains(&v) {
                Ok(v)
            } else {
                Err(ConfigError::new(
                    source_name,
                    Some(line_of(text, value.span().start)),
                    key,
                    format!("{v} is not a fraction between 0 and 1"),
                ))
            }
        };

        let mut assessment = Assessment::default();
        if let Some(w) = &file.basically_satisfied_weight {
            assessment.weights.basically_satisfied = fraction(w, "basically_satisfied_weight")?;
        }
        let callbacks = &mut assessment.callbacks;
        callbacks.when_dissatisfied = file.reopen_when_dissatisfied.unwrap_or_default();
        callbacks.when_unresolved = file.reopen_when_unresolved.unwrap_or_default();

        // `default` first: the classes fill their gaps from it.
        let mut classes: Vec<(&Spanned<String>, &TargetsTable)> = file.targets.iter().collect();
        classes.sort_by_key(|(name, _)| name.get_ref() != "default");
        for (name, table) in classes {
            let class = name.get_ref().as_str();
            let key = |field: &str| format!("targets.{class}.{field}");
            let base = if class == "default" {
                Targets::default()
            } else {
                assessment.targets.default
            };
            let targets = Targets {
                response: table
                    .response
                    .as_ref()
                    .map_or(Ok(base.response), |v| fraction(v, &key("response")))?,
                resolution: table
                    .resolution
                    .as_ref()
                    .map_or(Ok(base.resolution), |v| fraction(v, &key("resolution")))?,
                satisfaction: table
                    .satisfaction
                    .as_ref()
                    .map_or(Ok(base.satisfaction), |v| fraction(v, &key("satisfaction")))?,
            };
            if class == "default" {
                assessment.targets.default = targets;
                continue;
            }
            let kind = match class.parse::<UnitKind>() {
                Ok(UnitKind::Centre) | Err(_) => {
                    return Err(ConfigError::new(
                        source_name,
                        Some(line_of(text, name.span().start)),
                        format!("targets.{class}"),
                        "not an assessed unit class: use default, sub_centre, department, \
                         district, street or enterprise",
                    ));
                }
                Ok(kind) => kind,
            };
            assessment.targets.by_kind.push((kind, targets));
        }
        Ok(assessment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../../config/assessment.toml");

    fn parse(text: &str) -> Result<Assessment, ConfigError> {
        Assessment::from_toml("assessment.toml", text)
    }

    #[test]
    fn the_shipped_file_is_valid_and_keeps_the_defaults() {
        let a = parse(SHIPPED).expect("config/assessment.toml parses");
        assert_eq!(a.weights, RateWeights::default());
        assert_eq!(a.callbacks, CallbackPolicy::default());
        assert_eq!(a.targets.for_kind(UnitKind::District), Targets::default());
    }

    #[test]
    fn an_empty_file_means_the_defaults() {
        assert_eq!(parse("").unwrap(), Assessment::default());
        let d = Targets::default();
        assert_eq!((d.response, d.resolution, d.satisfaction), (0.95, 0.8, 0.9));
    }

    #[test]
    fn every_key_is_read() {
        let a = parse(
            "basically_satisfied_weight = 0.8\n\
             reopen_when_dissatisfied = \"always\"\n\
             reopen_when_unresolved = \"never\"\n\
             [targets.default]\nresponse = 0.9\n\
             [targets.enterprise]\nsatisfaction = 0.85\n\
             [targets.street]\nresponse = 1\nresolution = 0.7\nsatisfaction = 0.75\n",
        )
        .unwrap();
        assert_eq!(a.weights.basically_satisfied, 0.8);
        assert_eq!(a.callbacks.when_dissatisfied, Reopen::Always);
        assert_eq!(a.callbacks.when_unresolved, Reopen::Never);
        let t = |kind| {
            let t: Targets = a.targets.for_kind(kind);
            (t.response, t.resolution, t.satisfaction)
        };
        assert_eq!(t(UnitKind::Department), (0.9, 0.8, 0.9));
        // A class fills its gaps from [targets.default], wherever that table is written.
        assert_eq!(t(UnitKind::Enterprise), (0.9, 0.8, 0.85));
        assert_eq!(t(UnitKind::Street), (1.0, 0.7, 0.75));
    }

    #[test]
    fn errors_name_line_and_key() {
        let cases = [
            (
                "basically_satisfied_weight = 1.5\n",
                "assessment.toml:1: basically_satisfied_weight: 1.5 is not a fraction between 0 and 1",
            ),
            (
                "\n[targets.street]\nresponse = 0.9\nresolution = -0.1\n",
                "assessment.toml:4: targets.street.resolution: -0.1 is not a fraction between 0 and 1",
            ),
            (
                "[targets.centre]\nresponse = 0.9\n",
                "assessment.toml:1: targets.centre: not an assessed unit class",
            ),
            (
                "[targets.bureau]\n",
                "assessment.toml:1: targets.bureau: not an assessed unit class",
            ),
            (
                "\nreopen_when_unresolved = \"sometimes\"\n",
                "assessment.toml:2: toml: unknown variant `sometimes`",
            ),
            (
                "basically_satisfied = 0.8\n",
                "assessment.toml:1: toml: unknown field `basically_satisfied`",
            ),
        ];
        for (text, expected) in cases {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.starts_with(expected), "{text:?}: {err}");
        }
    }

    #[test]
    fn missed_targets_are_named_and_empty_rates_miss_nothing() {
        let rates = Rates {
            response: Some(0.94),
            resolution: Some(0.8),
            satisfaction: None,
        };
        assert_eq!(Targets::default().missed_by(&rates), vec!["response"]);
    }
}
