//! `config/calls.toml`: the call lines beyond the units' own, the short-abandon rule, the
//! missed-call callback window, each line's targets, and how callback tasks go through
//! the channels. Parsing is pure; errors name the file, line and key.

use std::collections::BTreeMap;

use chrono::Duration;
use serde::Deserialize;
use toml::Spanned;

use super::config_file::{ConfigError, line_of};

/// The channels callback tasks go through (智能回访 is `voice`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackChannel {
    Phone,
    Sms,
    Voice,
}

impl CallbackChannel {
    pub fn code(self) -> &'static str {
        match self {
            CallbackChannel::Phone => "phone",
            CallbackChannel::Sms => "sms",
            CallbackChannel::Voice => "voice",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Phone, Self::Sms, Self::Voice]
            .into_iter()
            .find(|c| c.code() == code)
    }
}

/// What a line is held to; `None`: no target.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LineTargets {
    pub connection_rate: Option<f64>,
    pub answer_15s_rate: Option<f64>,
    pub wait_seconds_avg: Option<f64>,
}

/// One generation of `calls.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct CallPolicy {
    /// Lines callers dial that no unit of the catalogue keeps.
    pub extra_lines: Vec<String>,
    pub short_abandon: Duration,
    /// An abandoned call not followed by an answered call from the number, nor called
    /// back, within this time is a missed call to call back (漏接回拨).
    pub missed_callback_within: Duration,
    /// Legs per ReportCallLegs call.
    pub max_legs_per_batch: usize,
    pub default_targets: LineTargets,
    pub line_targets: BTreeMap<String, LineTargets>,
    pub callbacks: CallbackTasks,
}

/// How callback tasks flow through the channels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CallbackTasks {
    /// The channel a new task waits in.
    pub first_channel: CallbackChannel,
    /// Unanswered attempts after which the callback is recorded as declined.
    pub max_unanswered_attempts: u32,
    /// How long after an unanswered attempt the task may be pulled again.
    pub retry_after: Duration,
    /// How long a pulled task stays with its adapter.
    pub lease: Duration,
}

impl Default for CallPolicy {
    fn default() -> Self {
        CallPolicy {
            extra_lines: Vec::new(),
            short_abandon: Duration::seconds(5),
            missed_callback_within: Duration::minutes(30),
            max_legs_per_batch: 500,
            default_targets: LineTargets {
                connection_rate: Some(0.95),
                answer_15s_rate: Some(0.95),
                wait_seconds_avg: None,
            },
            line_targets: BTreeMap::new(),
            callbacks: CallbackTasks {
                first_channel: CallbackChannel::Sms,
                max_unanswered_attempts: 3,
                retry_after: Duration::minutes(60),
                lease: Duration::minutes(5),
            },
        }
    }
}

impl CallPolicy {
    /// A line's targets, its own filling gaps from the defaults.
    pub fn targets(&self, line: &str) -> LineTargets {
        let d = self.default_targets;
        match self.line_targets.get(line) {
            Some(t) => LineTargets {
                connection_rate: t.connection_rate.or(d.connection_rate),
                answer_15s_rate: t.answer_15s_rate.or(d.answer_15s_rate),
                wait_seconds_avg: t.wait_seconds_avg.or(d.wait_seconds_avg),
            },
            None => d,
        }
    }

    /// Parses and validates the text of a calls file; `source_name` is used in errors.
    pub fn from_toml(source_name: &str, text: &str) -> Result<Self, ConfigError> {
        let file: File =
            toml::from_str(text).map_err(|e| ConfigError::from_toml(source_name, text, &e))?;
        let err = |span: std::ops::Range<usize>, key: &str, message: String| {
            ConfigError::new(source_name, Some(line_of(text, span.start)), key, message)
        };
        let mut policy = CallPolicy::default();
        for line in &file.extra_lines {
            if !is_line_number(line.get_ref()) {
                return Err(err(
                    line.span(),
                    "extra_lines",
                    format!("`{}` is not a 3-8 digit number", line.get_ref()),
                ));
            }
            policy.extra_lines.push(line.get_ref().clone());
        }
        let seconds = |v: &Spanned<i64>, key: &str, range: std::ops::RangeInclusive<i64>| {
            if range.contains(v.get_ref()) {
                Ok(*v.get_ref())
            } else {
                Err(err(
                    v.span(),
                    key,
                    format!(
                        "{} is not between {} and {}",
                        v.get_ref(),
                        range.start(),
                        range.end()
                    ),
                ))
            }
        };
        if let Some(v) = &file.short_abandon_seconds {
            policy.short_abandon = Duration::seconds(seconds(v, "short_abandon_seconds", 0..=60)?);
        }
        if let Some(v) = &file.missed_callback_within_minutes {
            policy.missed_callback_within = Duration::minutes(seconds(
                v,
                "missed_callback_within_minutes",
                1..=7 * 24 * 60,
            )?);
        }
        if let Some(v) = &file.max_legs_per_batch {
            policy.max_legs_per_batch = seconds(v, "max_legs_per_batch", 1..=10_000)? as usize;
        }
        for (line, table) in &file.targets {
            let key = |k: &str| format!("targets.{}.{k}", line.get_ref());
            let fraction =
                |v: &Option<Spanned<f64>>, k: &str| -> Result<Option<f64>, ConfigError> {
                    v.as_ref()
                        .map(|v| {
                            let x = *v.get_ref();
                            if x.is_finite() && (0.0..=1.0).contains(&x) {
                                Ok(x)
                            } else {
                                Err(err(
                                    v.span(),
                                    &key(k),
                                    format!("{x} is not a fraction between 0 and 1"),
                                ))
                            }
                        })
                        .transpose()
                };
            let wait = table
                .wait_seconds_avg
                .as_ref()
                .map(|v| {
                    let x = *v.get_ref();
                    if x.is_finite() && x > 0.0 && x <= 3600.0 {
                        Ok(x)
                    } else {
                        Err(err(
                            v.span(),
                            &key("wait_seconds_avg"),
                            format!("{x} is not a wait between 0 and 3600 seconds"),
                        ))
                    }
                })
                .transpose()?;
            let targets = LineTargets {
                connection_rate: fraction(&table.connection_rate, "connection_rate")?,
                answer_15s_rate: fraction(&table.answer_15s_rate, "answer_15s_rate")?,
                wait_seconds_avg: wait,
            };
            if line.get_ref() == "default" {
                policy.default_targets = targets;
            } else if is_line_number(line.get_ref()) {
                policy.line_targets.insert(line.get_ref().clone(), targets);
            } else {
                return Err(err(
                    line.span(),
                    "targets",
                    format!(
                        "`{}` is neither `default` nor a line number",
                        line.get_ref()
                    ),
                ));
            }
        }
        if let Some(c) = &file.callbacks {
            let tasks = &mut policy.callbacks;
            if let Some(channel) = c.first_channel {
                tasks.first_channel = channel;
            }
            if let Some(v) = &c.max_unanswered_attempts {
                tasks.max_unanswered_attempts =
                    seconds(v, "callbacks.max_unanswered_attempts", 1..=20)? as u32;
            }
            if let Some(v) = &c.retry_after_minutes {
                tasks.retry_after = Duration::minutes(seconds(
                    v,
                    "callbacks.retry_after_minutes",
                    0..=7 * 24 * 60,
                )?);
            }
            if let Some(v) = &c.lease_seconds {
                tasks.lease =
                    Duration::seconds(seconds(v, "callbacks.lease_seconds", 5..=24 * 3600)?);
            }
        }
        Ok(policy)
    }
}

fn is_line_number(text: &str) -> bool {
    (3..=8).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    extra_lines: Vec<Spanned<String>>,
    short_abandon_seconds: Option<Spanned<i64>>,
    missed_callback_within_minutes: Option<Spanned<i64>>,
    max_legs_per_batch: Option<Spanned<i64>>,
    #[serde(default)]
    targets: BTreeMap<Spanned<String>, TargetsTable>,
    callbacks: Option<CallbacksTable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetsTable {
    connection_rate: Option<Spanned<f64>>,
    answer_15s_rate: Option<Spanned<f64>>,
    wait_seconds_avg: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallbacksTable {
    first_channel: Option<CallbackChannel>,
    max_unanswered_attempts: Option<Spanned<i64>>,
    retry_after_minutes: Option<Spanned<i64>>,
    lease_seconds: Option<Spanned<i64>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../../config/calls.toml");

    #[test]
    fn the_shipped_file_holds_the_seed_targets() {
        let p = CallPolicy::from_toml("calls.toml", SHIPPED).unwrap();
        let t = p.targets("12328");
        assert_eq!(t.connection_rate, Some(0.99));
        assert_eq!(t.wait_seconds_avg, Some(34.0));
        assert_eq!(t.answer_15s_rate, Some(0.95), "filled from the default");
        assert_eq!(p.targets("12345").answer_15s_rate, Some(0.95));
        assert_eq!(p.missed_callback_within, Duration::minutes(30));
        assert_eq!(p.callbacks.max_unanswered_attempts, 3);
    }

    #[test]
    fn an_empty_file_gives_the_defaults() {
        assert_eq!(
            CallPolicy::from_toml("calls.toml", "").unwrap(),
            CallPolicy::default()
        );
    }

    #[test]
    fn errors_name_line_and_key() {
        let e = CallPolicy::from_toml("c.toml", "\n[targets.12328]\nconnection_rate = 1.5\n")
            .unwrap_err();
        assert_eq!(
            (e.line, e.key.as_str()),
            (Some(3), "targets.12328.connection_rate")
        );
        let e = CallPolicy::from_toml("c.toml", "extra_lines = [\"12a\"]\n").unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (Some(1), "extra_lines"));
        let e =
            CallPolicy::from_toml("c.toml", "[callbacks]\nfirst_channel = \"fax\"\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = CallPolicy::from_toml("c.toml", "short_abandon_seconds = 99\n").unwrap_err();
        assert_eq!(e.key, "short_abandon_seconds");
        let e = CallPolicy::from_toml("c.toml", "unknown = 1\n").unwrap_err();
        assert_eq!(e.line, Some(1));
    }
}
