//! How the three rates are assessed (`config/assessment.toml`): the weight of 基本满意 in
//! the satisfaction rate, what an unhappy callback does, and the targets each unit class
//! is held to (shown in reports, exported for alert rules). Parsing is pure: the caller
//! reads the file; errors name the file, line and key.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::config_file::{ConfigError, line_of};
use super::monthly::{Composite, HotIssueRules};
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
    /// The monthly assessment's composite score (`[composite]`).
    pub composite: Composite,
    /// What the monthly report lists as hot issues (`[hot_issues]`).
    pub hot_issues: HotIssueRules,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssessmentFile {
    basically_satisfied_weight: Option<Spanned<f64>>,
    reopen_when_dissatisfied: Option<Reopen>,
    reopen_when_unresolved: Option<Reopen>,
    #[serde(default)]
    targets: BTreeMap<Spanned<String>, TargetsTable>,
    composite: Option<Spanned<CompositeTable>>,
    hot_issues: Option<HotIssuesTable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompositeTable {
    response: Option<Spanned<f64>>,
    resolution: Option<Spanned<f64>>,
    satisfaction: Option<Spanned<f64>>,
    overdue_points: Option<Spanned<f64>>,
    improper_return_points: Option<Spanned<f64>>,
    max_deduction: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HotIssuesTable {
    min_volume: Option<u64>,
    top: Option<u32>,
    repeat_min_requests: Option<Spanned<u64>>,
    repeat_top: Option<u32>,
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

        if let Some(table) = &file.composite {
            assessment.composite = composite(source_name, text, table, &fraction)?;
        }
        if let Some(table) = &file.hot_issues {
            let d = HotIssueRules::default();
            let repeat_min_requests = match &table.repeat_min_requests {
                Some(n) if *n.get_ref() < 2 => {
                    return Err(ConfigError::new(
                        source_name,
                        Some(line_of(text, n.span().start)),
                        "hot_issues.repeat_min_requests",
                        "a repeat needs at least 2 requests",
                    ));
                }
                Some(n) => *n.get_ref(),
                None => d.repeat_min_requests,
            };
            assessment.hot_issues = HotIssueRules {
                min_volume: table.min_volume.unwrap_or(d.min_volume),
                top: table.top.unwrap_or(d.top),
                repeat_min_requests,
                repeat_top: table.repeat_top.unwrap_or(d.repeat_top),
            };
        }

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

/// Reads a fraction (0 to 1) at a key, or says where it is wrong.
type FractionCheck<'a> = dyn Fn(&Spanned<f64>, &str) -> Result<f64, ConfigError> + 'a;

/// Reads `[composite]`: weights are fractions that must sum to 1 (to 1e-6), so the score
/// of a unit meeting every rate is 100; points are non-negative.
fn composite(
    source_name: &str,
    text: &str,
    table: &Spanned<CompositeTable>,
    fraction: &FractionCheck,
) -> Result<Composite, ConfigError> {
    let d = Composite::default();
    let t = table.get_ref();
    let weight = |v: &Option<Spanned<f64>>, key: &str, default: f64| {
        v.as_ref()
            .map_or(Ok(default), |v| fraction(v, &format!("composite.{key}")))
    };
    let points = |v: &Option<Spanned<f64>>, key: &str, default: f64| match v {
        None => Ok(default),
        Some(v) if v.get_ref().is_finite() && *v.get_ref() >= 0.0 => Ok(*v.get_ref()),
        Some(v) => Err(ConfigError::new(
            source_name,
            Some(line_of(text, v.span().start)),
            format!("composite.{key}"),
            format!("{} is not a number of points (0 or more)", v.get_ref()),
        )),
    };
    let c = Composite {
        response: weight(&t.response, "response", d.response)?,
        resolution: weight(&t.resolution, "resolution", d.resolution)?,
        satisfaction: weight(&t.satisfaction, "satisfaction", d.satisfaction)?,
        overdue_points: points(&t.overdue_points, "overdue_points", d.overdue_points)?,
        improper_return_points: points(
            &t.improper_return_points,
            "improper_return_points",
            d.improper_return_points,
        )?,
        max_deduction: points(&t.max_deduction, "max_deduction", d.max_deduction)?,
    };
    let sum = c.response + c.resolution + c.satisfaction;
    if (sum - 1.0).abs() > 1e-6 {
        return Err(ConfigError::new(
            source_name,
            Some(line_of(text, table.span().start)),
            "composite",
            format!(
                "the weights response + resolution + satisfaction must sum to 1, not {sum} \
                 (e.g. 0.30, 0.35, 0.35)"
            ),
        ));
    }
    Ok(c)
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
        assert_eq!(a.composite, Composite::default());
        assert_eq!(a.hot_issues, HotIssueRules::default());
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
    fn the_composite_and_hot_issues_are_read_and_checked() {
        let a = parse(
            "[composite]\nresponse = 0.4\nresolution = 0.3\nsatisfaction = 0.3\n\
             overdue_points = 1\nmax_deduction = 5\n\
             [hot_issues]\nmin_volume = 5\nrepeat_min_requests = 3\n",
        )
        .unwrap();
        assert_eq!(
            a.composite,
            Composite {
                response: 0.4,
                resolution: 0.3,
                satisfaction: 0.3,
                overdue_points: 1.0,
                improper_return_points: 1.0,
                max_deduction: 5.0,
            }
        );
        assert_eq!(a.hot_issues.min_volume, 5);
        assert_eq!(a.hot_issues.repeat_min_requests, 3);
        assert_eq!(a.hot_issues.top, HotIssueRules::default().top);

        let cases = [
            (
                "\n[composite]\nresponse = 0.5\nresolution = 0.35\nsatisfaction = 0.35\n",
                "assessment.toml:2: composite: the weights response + resolution + satisfaction must sum to 1, not 1.2",
            ),
            (
                "[composite]\nresponse = 1.3\n",
                "assessment.toml:2: composite.response: 1.3 is not a fraction",
            ),
            (
                "[composite]\noverdue_points = -1\n",
                "assessment.toml:2: composite.overdue_points: -1 is not a number of points",
            ),
            (
                "[hot_issues]\nrepeat_min_requests = 1\n",
                "assessment.toml:2: hot_issues.repeat_min_requests: a repeat needs at least 2",
            ),
            (
                "[composite]\nweights = 1\n",
                "assessment.toml:2: toml: unknown field `weights`",
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
