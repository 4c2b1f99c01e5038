//! Regional linkage (区域联动: 京津冀, 长三角, 成渝): partner centres whose regions a
//! request may lie in, as configured in `config/partners.toml`, and the pure rules of a
//! hand-off — which partner a region code belongs to, how long to wait before retrying a
//! delivery, and how the partner's progress is replayed on the origin's ticket.
//!
//! On the origin a partner is a unit of kind `partner`: a hand-off is a dispatch (派单) to
//! it, so deadlines, supervision and the centre's review and callback work as for any
//! unit, and the partner's sign, response, handling and reply are replayed as that unit's
//! steps.

use std::collections::HashSet;
use std::time::Duration;

use serde::Deserialize;

use super::config_file::{ConfigError, line_of_key};
use super::lifecycle::Command;
use super::ticket::State;

/// The partner centres and the delivery timings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Partners {
    /// How partners know this centre: sent as the origin of every hand-off.
    pub centre: String,
    pub partners: Vec<Partner>,
    pub timing: Timing,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partner {
    /// Unit id the partner has on this side (tickets are dispatched to it).
    pub id: String,
    pub name: String,
    /// 京津冀, 长三角, 成渝…
    pub zone: String,
    /// Division-code prefixes the partner serves: `31` (Shanghai), `3301` (Hangzhou).
    pub regions: Vec<String>,
    /// The partner's `hotline` gRPC address: `http://host:port` or `https://host:port`.
    pub address: String,
    /// Environment variable holding the bearer token for the partner.
    #[serde(default)]
    pub token_env: Option<String>,
    /// File holding the bearer token (first line), if not in the environment.
    #[serde(default)]
    pub token_file: Option<String>,
    /// PEM CA that signed an `https://` partner's certificate (required for https: no
    /// system trust store is consulted, as with the CLI's `--tls-ca`).
    #[serde(default)]
    pub ca_file: Option<String>,
}

/// Delivery timings; milliseconds so that tests may run them fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timing {
    /// First retry after a failed delivery; doubled on each further failure.
    #[serde(default = "default_retry_initial_ms")]
    pub retry_initial_ms: u64,
    /// The cap of the doubling.
    #[serde(default = "default_retry_max_ms")]
    pub retry_max_ms: u64,
    /// How often the sender looks for hand-offs to deliver and asks partners for progress.
    #[serde(default = "default_poll_ms")]
    pub poll_ms: u64,
}

fn default_retry_initial_ms() -> u64 {
    2_000
}
fn default_retry_max_ms() -> u64 {
    300_000
}
fn default_poll_ms() -> u64 {
    10_000
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            retry_initial_ms: default_retry_initial_ms(),
            retry_max_ms: default_retry_max_ms(),
            poll_ms: default_poll_ms(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartnersFile {
    #[serde(default)]
    linkage: Option<LinkageTable>,
    #[serde(default)]
    partner: Vec<toml::Spanned<Partner>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkageTable {
    centre: String,
    #[serde(flatten)]
    timing: Timing,
}

impl Partners {
    /// Parses and validates a partners file; `is_unit` tells ids already taken by units.
    pub fn from_toml(
        source_name: &str,
        text: &str,
        is_unit: &dyn Fn(&str) -> bool,
    ) -> Result<Self, ConfigError> {
        let file: PartnersFile =
            toml::from_str(text).map_err(|e| ConfigError::from_toml(source_name, text, &e))?;
        let linkage_line = text
            .lines()
            .position(|l| l.trim() == "[linkage]")
            .map(|i| i + 1);
        let Some(linkage) = file.linkage else {
            if file.partner.is_empty() {
                return Ok(Partners::default());
            }
            return Err(ConfigError::new(
                source_name,
                None,
                "linkage.centre",
                "partners need [linkage] centre = \"…\": how they know this centre",
            ));
        };
        if !valid_id(&linkage.centre) {
            return Err(ConfigError::new(
                source_name,
                linkage_line,
                "linkage.centre",
                "must be 1-64 of a-z, 0-9, '-', '_', '.'",
            ));
        }
        let t = linkage.timing;
        if t.retry_initial_ms == 0 || t.retry_max_ms < t.retry_initial_ms || t.poll_ms == 0 {
            return Err(ConfigError::new(
                source_name,
                linkage_line,
                "linkage",
                "retry_initial_ms and poll_ms must be above 0 and retry_max_ms at least retry_initial_ms",
            ));
        }
        let mut ids = HashSet::new();
        let mut prefixes: Vec<(String, String)> = Vec::new();
        let mut partners = Vec::new();
        for spanned in file.partner {
            let span = spanned.span();
            let p = spanned.into_inner();
            let at = |key: &str| Some(line_of_key(text, span.clone(), key));
            let err = |key: &str, message: String| {
                ConfigError::new(
                    source_name,
                    at(key),
                    format!("partner `{}`.{key}", p.id),
                    message,
                )
            };
            if !valid_id(&p.id) {
                return Err(err("id", "must be 1-64 of a-z, 0-9, '-', '_', '.'".into()));
            }
            if is_unit(&p.id) || !ids.insert(p.id.clone()) {
                return Err(err(
                    "id",
                    format!("`{}` is already a unit or partner", p.id),
                ));
            }
            if p.name.trim().is_empty() || p.zone.trim().is_empty() {
                return Err(err("name", "name and zone must not be empty".into()));
            }
            if p.regions.is_empty() {
                return Err(err(
                    "regions",
                    "list at least one division-code prefix".into(),
                ));
            }
            for prefix in &p.regions {
                if !(2..=12).contains(&prefix.len()) || !prefix.chars().all(|c| c.is_ascii_digit())
                {
                    return Err(err(
                        "regions",
                        format!("`{prefix}` is not a 2-12 digit division-code prefix"),
                    ));
                }
                if let Some((_, other)) = prefixes
                    .iter()
                    .find(|(q, _)| q.starts_with(prefix.as_str()) || prefix.starts_with(q.as_str()))
                {
                    return Err(err(
                        "regions",
                        format!("`{prefix}` overlaps a region of `{other}`"),
                    ));
                }
                prefixes.push((prefix.clone(), p.id.clone()));
            }
            let uri = p.address.parse::<http::Uri>().ok();
            let scheme_ok = uri
                .as_ref()
                .and_then(|u| u.scheme_str())
                .is_some_and(|s| s == "http" || s == "https");
            if !scheme_ok || uri.as_ref().and_then(|u| u.host()).is_none() {
                return Err(err(
                    "address",
                    format!("`{}` is not an http:// or https:// address", p.address),
                ));
            }
            let https = uri.as_ref().and_then(|u| u.scheme_str()) == Some("https");
            if https != p.ca_file.is_some() {
                return Err(err(
                    "ca_file",
                    "an https:// address needs ca_file (the partner's CA, PEM), and only it".into(),
                ));
            }
            partners.push(p);
        }
        Ok(Partners {
            centre: linkage.centre,
            partners,
            timing: t,
        })
    }

    /// The partner whose region prefixes cover this division code, if any.
    pub fn for_region(&self, region: &str) -> Option<&Partner> {
        if region.is_empty() {
            return None;
        }
        self.partners.iter().find(|p| {
            p.regions
                .iter()
                .any(|prefix| region.starts_with(prefix.as_str()))
        })
    }

    pub fn get(&self, id: &str) -> Option<&Partner> {
        self.partners.iter().find(|p| p.id == id)
    }
}

fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

/// The idempotency key of a hand-off: the same ticket dispatched to a partner at the same
/// instant is the same hand-off however often it is sent. The partner creates at most one
/// ticket per key.
pub fn hand_off_id(centre: &str, ticket_id: i64, dispatched_at_ms: i64) -> String {
    format!("{centre}:{ticket_id}:{dispatched_at_ms}")
}

/// How long to wait after the `attempts`-th failed delivery (1-based): doubling from the
/// initial delay, capped, with up to a quarter taken off at random (`jitter` in [0, 1)) so
/// that replicas and partners coming back do not retry in lockstep.
pub fn backoff(timing: &Timing, attempts: u32, jitter: f64) -> Duration {
    let doubled = timing
        .retry_initial_ms
        .saturating_mul(1u64 << attempts.saturating_sub(1).min(30));
    let capped = doubled.min(timing.retry_max_ms) as f64;
    let jitter = jitter.clamp(0.0, 1.0);
    Duration::from_millis((capped * (1.0 - 0.25 * jitter)) as u64)
}

/// How far along the loop a state is, as the partner unit's steps go.
fn step_rank(state: State) -> Option<u8> {
    match state {
        State::Dispatched => Some(0),
        State::Signed => Some(1),
        State::Responded => Some(2),
        State::InProgress | State::ReturnRequested => Some(3),
        State::Replied | State::AwaitingCallback | State::Closed | State::Archived => Some(4),
        // Finished at the partner without a reply (answered at intake, transferred,
        // refused, merged): the origin still gets an answer to pass on.
        State::Transferred | State::Refused | State::Merged => Some(4),
        State::Received => None,
    }
}

/// Whether the partner's ticket is finished for good (closed after its callback, archived,
/// or ended at its intake): the origin stops following it.
pub fn partner_finished(state: State) -> bool {
    matches!(
        state,
        State::Closed | State::Archived | State::Transferred | State::Refused | State::Merged
    )
}

/// The note the partner unit leaves on the origin's ticket when its own ticket is finished,
/// so the origin's agents can tell the requester the matter is closed there too.
pub fn closure_note(partner_name: &str, state: State) -> String {
    format!("{partner_name}：对方工单已办结（{state}，区域联动）")
}

/// The partner's ticket as it answers a progress query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerProgress {
    pub state: State,
    /// The reply (or the answer given at intake), once there is one.
    pub reply: String,
}

/// The steps the partner unit takes on the origin's ticket (at `origin`, dispatched to the
/// partner) to catch up with the partner's ticket: sign, respond, handle, reply, in order,
/// skipping those already taken. Empty when nothing new happened, or when the origin
/// ticket is no longer on the partner's desk (the centre took it back).
pub fn catch_up(origin: State, partner: &PartnerProgress, partner_name: &str) -> Vec<Command> {
    let (Some(from), Some(to)) = (step_rank(origin), step_rank(partner.state)) else {
        return Vec::new();
    };
    if !State::PULLABLE.contains(&origin) {
        return Vec::new();
    }
    let note = |what: &str| format!("{partner_name}：{what}（区域联动）");
    let mut steps = Vec::new();
    for rank in from + 1..=to {
        steps.push(match rank {
            1 => Command::Sign,
            2 => Command::Respond {
                note: note("已响应"),
            },
            3 => Command::Handle {
                note: note("办理中"),
            },
            _ => Command::Reply {
                reply: if partner.reply.trim().is_empty() {
                    note(&format!("已办结（{}）", partner.state))
                } else {
                    partner.reply.clone()
                },
            },
        });
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[linkage]
centre = "nanjing"
retry_initial_ms = 1000
retry_max_ms = 8000

[[partner]]
id = "partner-shanghai"
name = "上海市12345"
zone = "长三角"
regions = ["31"]
address = "https://hotline.shanghai.invalid:50051"
ca_file = "/etc/hotline/partners/shanghai-ca.pem"
token_env = "HOTLINE_PARTNER_SH_TOKEN"

[[partner]]
id = "partner-hangzhou"
name = "杭州市12345"
zone = "长三角"
regions = ["3301"]
address = "http://127.0.0.1:50061"
"#;

    fn parse(text: &str) -> Result<Partners, ConfigError> {
        Partners::from_toml("partners.toml", text, &|id| id == "centre")
    }

    #[test]
    fn only_finished_partner_tickets_end_the_follow_up() {
        for state in [
            State::Closed,
            State::Archived,
            State::Refused,
            State::Merged,
        ] {
            assert!(partner_finished(state), "{state}");
        }
        for state in [State::Replied, State::AwaitingCallback, State::InProgress] {
            assert!(!partner_finished(state), "{state}");
        }
        assert!(closure_note("上海市12345", State::Closed).contains("已办结"));
    }

    #[test]
    fn regions_match_by_prefix() {
        let p = parse(FILE).unwrap();
        assert_eq!(p.for_region("310101001").unwrap().id, "partner-shanghai");
        assert_eq!(p.for_region("330106").unwrap().id, "partner-hangzhou");
        assert!(p.for_region("330206").is_none(), "Ningbo is no partner");
        assert!(p.for_region("320102001").is_none());
        assert!(p.for_region("").is_none());
    }

    #[test]
    fn errors_name_line_and_key() {
        let bad = FILE.replace("regions = [\"3301\"]", "regions = [\"31\"]");
        let e = parse(&bad).unwrap_err();
        assert_eq!(e.key, "partner `partner-hangzhou`.regions");
        assert_eq!(e.line, Some(20));
        assert!(e.message.contains("overlaps"), "{e}");

        let bad = FILE.replace("http://127.0.0.1:50061", "127.0.0.1:50061");
        let e = parse(&bad).unwrap_err();
        assert_eq!(e.key, "partner `partner-hangzhou`.address");
        assert_eq!(e.line, Some(21));

        let bad = FILE.replace("http://127.0.0.1", "https://127.0.0.1");
        let e = parse(&bad).unwrap_err();
        assert_eq!(e.key, "partner `partner-hangzhou`.ca_file");

        let bad = FILE.replace("partner-hangzhou", "centre");
        assert_eq!(parse(&bad).unwrap_err().key, "partner `centre`.id");

        let bad = FILE.replace("retry_max_ms = 8000", "retry_max_ms = 10");
        assert_eq!(parse(&bad).unwrap_err().line, Some(2));
        assert!(parse("").unwrap().partners.is_empty());
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_below() {
        let t = parse(FILE).unwrap().timing;
        let ms = |n, j| backoff(&t, n, j).as_millis();
        assert_eq!(
            [ms(1, 0.0), ms(2, 0.0), ms(3, 0.0), ms(4, 0.0)],
            [1000, 2000, 4000, 8000]
        );
        assert_eq!(ms(40, 0.0), 8000);
        assert_eq!(ms(2, 0.999), 1500);
    }

    #[test]
    fn progress_is_replayed_step_by_step() {
        let progress = |state, reply: &str| PartnerProgress {
            state,
            reply: reply.into(),
        };
        let names = |steps: Vec<Command>| steps.iter().map(|c| c.name()).collect::<Vec<_>>();
        let all = catch_up(
            State::Dispatched,
            &progress(State::Closed, "已修复"),
            "上海",
        );
        assert_eq!(names(all.clone()), ["sign", "respond", "handle", "reply"]);
        assert_eq!(
            all[3],
            Command::Reply {
                reply: "已修复".into()
            }
        );
        assert_eq!(
            names(catch_up(
                State::Signed,
                &progress(State::InProgress, ""),
                "上海"
            )),
            ["respond", "handle"]
        );
        assert!(catch_up(State::Signed, &progress(State::Signed, ""), "上海").is_empty());
        assert!(catch_up(State::Replied, &progress(State::Closed, "x"), "上海").is_empty());
        let refused = catch_up(State::InProgress, &progress(State::Refused, ""), "上海");
        assert!(
            matches!(&refused[..], [Command::Reply { reply }] if reply.contains("refused")),
            "{refused:?}"
        );
    }
}
