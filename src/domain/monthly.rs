//! The monthly assessment (月度考核, 三率考核、四类排名、每月一题): a composite score of the
//! three rates with deductions for overdue work and improper returns, units ranked within
//! their class, and the month's hot issues (volume growth against the previous month).
//! Pure: the service gathers the counts, these functions decide.

use chrono::{Datelike, NaiveDate};

use std::collections::BTreeMap;

use super::rates::{self, RateCounts, RateWeights, Rates};
use super::unit::{Unit, UnitCatalog, UnitKind};

/// How the composite score is made (`[composite]` of `config/assessment.toml`).
///
/// score = 100 × (w_response × 响应率 + w_resolution × 解决率 + w_satisfaction × 满意率)
///         − min(max_deduction, overdue × overdue_points + improper returns × improper_return_points)
///
/// The three weights must sum to 1 (checked at load). A rate without a denominator (no
/// callbacks this month, say) is left out and the other weights are scaled up to sum to 1
/// again, so a unit is judged on what it did; a unit without any rate is unranked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Composite {
    pub response: f64,
    pub resolution: f64,
    pub satisfaction: f64,
    /// Points off per overdue deadline (a sign, respond or reply deadline missed).
    pub overdue_points: f64,
    /// Points off per improper return (退单 the centre rejected).
    pub improper_return_points: f64,
    /// The most points the deductions may take off.
    pub max_deduction: f64,
}

impl Default for Composite {
    fn default() -> Self {
        Composite {
            response: 0.30,
            resolution: 0.35,
            satisfaction: 0.35,
            overdue_points: 0.5,
            improper_return_points: 1.0,
            max_deduction: 20.0,
        }
    }
}

/// What makes a hot issue (`[hot_issues]` of `config/assessment.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HotIssueRules {
    /// A category or place needs at least this many requests this month to be listed.
    pub min_volume: u64,
    /// How many categories and places to list.
    pub top: u32,
    /// A requester counts as a repeat when they asked about one category this often.
    pub repeat_min_requests: u64,
    /// How many repeat requesters to list.
    pub repeat_top: u32,
}

impl Default for HotIssueRules {
    fn default() -> Self {
        HotIssueRules {
            min_volume: 20,
            top: 10,
            repeat_min_requests: 2,
            repeat_top: 20,
        }
    }
}

/// The four classes units are ranked in (四类排名).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AssessedClass {
    District,
    /// Municipal departments, with the sub-centres of vertically managed ones (12366…).
    Department,
    /// Utilities and state-owned enterprises.
    Enterprise,
    Street,
}

impl AssessedClass {
    pub const ALL: [AssessedClass; 4] = [
        AssessedClass::District,
        AssessedClass::Department,
        AssessedClass::Enterprise,
        AssessedClass::Street,
    ];

    /// The class a unit is ranked in; the centre, and partner centres of other cities, are
    /// not assessed.
    pub fn of(kind: UnitKind) -> Option<Self> {
        match kind {
            UnitKind::Centre | UnitKind::Partner => None,
            UnitKind::District => Some(AssessedClass::District),
            UnitKind::Department | UnitKind::SubCentre => Some(AssessedClass::Department),
            UnitKind::Enterprise => Some(AssessedClass::Enterprise),
            UnitKind::Street => Some(AssessedClass::Street),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            AssessedClass::District => "district",
            AssessedClass::Department => "department",
            AssessedClass::Enterprise => "enterprise",
            AssessedClass::Street => "street",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AssessedClass::District => "区（县）政府",
            AssessedClass::Department => "市级部门（含分中心）",
            AssessedClass::Enterprise => "公共服务企业",
            AssessedClass::Street => "街道（乡镇）",
        }
    }
}

/// A unit's month: the rate counts and the incidents held against it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnitMonth {
    pub counts: RateCounts,
    /// Deadlines missed (overdue warnings that fell this month).
    pub overdue: u64,
    /// Returns the centre rejected this month.
    pub improper_returns: u64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    pub rates: Rates,
    /// 100 × the weighted rates, before deductions.
    pub from_rates: f64,
    pub deduction: f64,
    /// `from_rates − deduction`, never below 0.
    pub total: f64,
}

/// The composite score, or `None` when the unit has no rate to judge (no tickets).
pub fn score(month: &UnitMonth, composite: &Composite, weights: RateWeights) -> Option<Score> {
    let rates = rates::compute(&month.counts, weights);
    let weighted = [
        (rates.response, composite.response),
        (rates.resolution, composite.resolution),
        (rates.satisfaction, composite.satisfaction),
    ];
    let (sum, weight) = weighted
        .iter()
        .filter_map(|(rate, w)| rate.map(|r| (r * w, *w)))
        .fold((0.0, 0.0), |(s, t), (x, w)| (s + x, t + w));
    if rates == Rates::default() {
        return None;
    }
    // A present rate whose weight is 0 still makes the unit rankable, scored on it alone.
    let from_rates = if weight > 0.0 {
        100.0 * sum / weight
    } else {
        0.0
    };
    let deduction = (month.overdue as f64 * composite.overdue_points
        + month.improper_returns as f64 * composite.improper_return_points)
        .min(composite.max_deduction);
    Some(Score {
        rates,
        from_rates,
        deduction,
        total: (from_rates - deduction).max(0.0),
    })
}

/// Ranks within one class: highest score first; scores equal to 0.01 share a rank and the
/// next rank skips (1, 2, 2, 4); ties, then unranked units (`None`), are listed by id.
/// Answers the indices of `scores` in listing order with their ranks.
pub fn rank(scores: &[(&str, Option<f64>)]) -> Vec<(usize, Option<u32>)> {
    let hundredths = |s: f64| (s * 100.0).round() as i64;
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| {
        let key = |i: usize| scores[i].1.map(|s| std::cmp::Reverse(hundredths(s)));
        // `Some` before `None`, then higher scores, then ids.
        (key(a).is_none(), key(a), scores[a].0).cmp(&(key(b).is_none(), key(b), scores[b].0))
    });
    let mut ranked = Vec::with_capacity(order.len());
    let mut previous: Option<(i64, u32)> = None;
    for (position, &i) in order.iter().enumerate() {
        let rank = scores[i].1.map(|s| {
            let h = hundredths(s);
            match previous {
                Some((p, r)) if p == h => r,
                _ => {
                    let r = position as u32 + 1;
                    previous = Some((h, r));
                    r
                }
            }
        });
        ranked.push((i, rank));
    }
    ranked
}

/// A unit of a class with its month, score and rank.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedUnit<'a> {
    pub unit: &'a Unit,
    pub month: UnitMonth,
    pub score: Option<Score>,
    /// `None`: no rate this month, shown unranked.
    pub rank: Option<u32>,
}

/// Every assessed unit of the catalogue, by class (in [`AssessedClass::ALL`] order), ranked.
/// A unit missing from `months` had nothing this month; months of units no longer in the
/// catalogue are not ranked.
pub fn rank_classes<'a>(
    units: &'a UnitCatalog,
    months: &BTreeMap<String, UnitMonth>,
    composite: &Composite,
    weights: RateWeights,
) -> Vec<(AssessedClass, Vec<RankedUnit<'a>>)> {
    AssessedClass::ALL
        .iter()
        .map(|&class| {
            let members: Vec<(&Unit, UnitMonth, Option<Score>)> = units
                .iter()
                .filter(|u| AssessedClass::of(u.kind) == Some(class))
                .map(|u| {
                    let month = months.get(&u.id).cloned().unwrap_or_default();
                    let score = score(&month, composite, weights);
                    (u, month, score)
                })
                .collect();
            let scores: Vec<(&str, Option<f64>)> = members
                .iter()
                .map(|(u, _, s)| (u.id.as_str(), s.map(|s| s.total)))
                .collect();
            let ranked = rank(&scores)
                .into_iter()
                .map(|(i, rank)| {
                    let (unit, month, score) = members[i].clone();
                    RankedUnit {
                        unit,
                        month,
                        score,
                        rank,
                    }
                })
                .collect();
            (class, ranked)
        })
        .collect()
}

/// A category or place with its volume this month and last.
#[derive(Debug, Clone, PartialEq)]
pub struct Growth {
    pub key: String,
    pub current: u64,
    pub previous: u64,
    pub increase: i64,
    /// `increase ÷ previous`; `None` when there was nothing last month.
    pub rate: Option<f64>,
}

/// The keys whose volume grew most: at least `min_volume` this month and more than last
/// month, by increase, then growth rate (new ones first), then key; at most `top`.
pub fn hot(
    current: &[(String, u64)],
    previous: &[(String, u64)],
    rules: &HotIssueRules,
) -> Vec<Growth> {
    let mut last_month: BTreeMap<&str, u64> = BTreeMap::new();
    for (key, n) in previous {
        *last_month.entry(key.as_str()).or_default() += n;
    }
    let before = |key: &str| last_month.get(key).copied().unwrap_or(0);
    let mut grown: Vec<Growth> = current
        .iter()
        .filter(|(_, n)| *n >= rules.min_volume)
        .map(|(key, n)| {
            let previous = before(key);
            Growth {
                key: key.clone(),
                current: *n,
                previous,
                increase: *n as i64 - previous as i64,
                rate: (previous > 0).then(|| (*n as f64 - previous as f64) / previous as f64),
            }
        })
        .filter(|g| g.increase > 0)
        .collect();
    grown.sort_by(|a, b| {
        b.increase
            .cmp(&a.increase)
            .then_with(|| {
                let rate = |g: &Growth| g.rate.unwrap_or(f64::INFINITY);
                rate(b).total_cmp(&rate(a))
            })
            .then_with(|| a.key.cmp(&b.key))
    });
    grown.truncate(rules.top as usize);
    grown
}

/// A month to assess: its first day, the first day of the next, and of the previous.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    pub first: NaiveDate,
    pub next: NaiveDate,
    pub previous: NaiveDate,
}

impl Month {
    /// Parses `YYYY-MM` (years 2000-2199, like every timestamp the service takes).
    pub fn parse(text: &str) -> Result<Month, String> {
        // Echo only what is short enough to be a mistyped month.
        let bad = || match text.chars().count() {
            0..=16 => format!("`{text}` is not a month written YYYY-MM (e.g. 2026-11)"),
            _ => "is not a month written YYYY-MM (e.g. 2026-11)".to_string(),
        };
        let shaped = text.len() == 7
            && text.as_bytes()[4] == b'-'
            && text
                .bytes()
                .enumerate()
                .all(|(i, b)| i == 4 || b.is_ascii_digit());
        if !shaped {
            return Err(bad());
        }
        let first =
            NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").map_err(|_| bad())?;
        if !(2000..=2199).contains(&first.year()) {
            return Err(format!("{text} is outside the years 2000-2199"));
        }
        Ok(Month::of(first))
    }

    /// The month a day falls in.
    pub fn of(day: NaiveDate) -> Month {
        let first = day.with_day(1).expect("every month has a 1st");
        let next = super::rates_ledger::next_month(first);
        let previous = (first - chrono::Duration::days(1))
            .with_day(1)
            .expect("every month has a 1st");
        Month {
            first,
            next,
            previous,
        }
    }

    /// `2026-11`.
    pub fn label(&self) -> String {
        self.first.format("%Y-%m").to_string()
    }

    pub fn previous_label(&self) -> String {
        self.previous.format("%Y-%m").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(
        dispatched: u64,
        in_time: u64,
        callbacks: u64,
        resolved: u64,
        satisfied: u64,
    ) -> UnitMonth {
        UnitMonth {
            counts: RateCounts {
                dispatched,
                responded_in_time: in_time,
                callbacks,
                resolved,
                satisfied,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn the_composite_weighs_the_three_rates() {
        // 响应率 0.9, 解决率 0.8, 满意率 0.6 at 30/35/35.
        let s = score(
            &month(10, 9, 5, 4, 3),
            &Composite::default(),
            RateWeights::default(),
        )
        .unwrap();
        let expected = 100.0 * (0.3 * 0.9 + 0.35 * 0.8 + 0.35 * 0.6);
        assert!((s.from_rates - expected).abs() < 1e-9, "{s:?}");
        assert_eq!(s.deduction, 0.0);
        assert_eq!(s.total, s.from_rates);
    }

    #[test]
    fn deductions_are_per_incident_and_capped() {
        let composite = Composite::default();
        let mut m = month(10, 10, 10, 10, 10);
        m.overdue = 3;
        m.improper_returns = 2;
        let s = score(&m, &composite, RateWeights::default()).unwrap();
        assert_eq!(s.from_rates, 100.0);
        assert_eq!(s.deduction, 3.0 * 0.5 + 2.0);
        assert_eq!(s.total, 96.5);
        m.overdue = 1000;
        let s = score(&m, &composite, RateWeights::default()).unwrap();
        assert_eq!(s.deduction, 20.0);
        assert_eq!(s.total, 80.0);
        // Never below zero.
        let harsh = Composite {
            max_deduction: 500.0,
            ..composite
        };
        assert_eq!(
            score(&m, &harsh, RateWeights::default()).unwrap().total,
            0.0
        );
    }

    #[test]
    fn a_missing_rate_leaves_the_others_reweighted() {
        // Dispatches, no callbacks: judged on the response rate alone.
        let s = score(
            &month(4, 3, 0, 0, 0),
            &Composite::default(),
            RateWeights::default(),
        )
        .unwrap();
        assert!((s.from_rates - 75.0).abs() < 1e-9);
        assert_eq!(s.rates.resolution, None);
    }

    #[test]
    fn a_unit_without_tickets_has_no_score() {
        let m = UnitMonth {
            overdue: 2,
            ..Default::default()
        };
        assert_eq!(
            score(&m, &Composite::default(), RateWeights::default()),
            None
        );
    }

    #[test]
    fn ties_share_a_rank_and_the_unranked_come_last() {
        let scores = [
            ("b", Some(90.0)),
            ("idle", None),
            ("a", Some(95.0)),
            ("d", Some(90.004)),
            ("c", Some(80.0)),
            ("aa-idle", None),
        ];
        let ranked: Vec<(&str, Option<u32>)> = rank(&scores)
            .into_iter()
            .map(|(i, r)| (scores[i].0, r))
            .collect();
        assert_eq!(
            ranked,
            vec![
                ("a", Some(1)),
                ("b", Some(2)),
                ("d", Some(2)),
                ("c", Some(4)),
                ("aa-idle", None),
                ("idle", None),
            ]
        );
    }

    fn volumes(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
        pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
    }

    #[test]
    fn hot_issues_grow_most_above_the_minimum_volume() {
        let rules = HotIssueRules {
            min_volume: 20,
            top: 3,
            ..Default::default()
        };
        let now = volumes(&[
            ("heating", 120),
            ("noise", 60),
            ("parking", 25),
            ("tiny", 15),
            ("shrinking", 50),
            ("new", 30),
        ]);
        let before = volumes(&[
            ("heating", 40),
            ("noise", 30),
            ("parking", 5),
            ("tiny", 1),
            ("shrinking", 80),
        ]);
        let hot = hot(&now, &before, &rules);
        let keys: Vec<&str> = hot.iter().map(|g| g.key.as_str()).collect();
        // heating +80; new +30 (first seen) before noise +30 (100 %); tiny is under the
        // minimum, shrinking fell, and parking (+20) is past the top 3.
        assert_eq!(keys, vec!["heating", "new", "noise"]);
        assert_eq!(hot[0].rate, Some(2.0));
        assert_eq!(hot[1].rate, None);
        assert_eq!((hot[2].previous, hot[2].increase), (30, 30));
    }

    #[test]
    fn months_parse_strictly() {
        let m = Month::parse("2026-03").unwrap();
        assert_eq!(m.first, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        assert_eq!(m.next, NaiveDate::from_ymd_opt(2026, 4, 1).unwrap());
        assert_eq!(m.previous, NaiveDate::from_ymd_opt(2026, 2, 1).unwrap());
        let jan = Month::parse("2027-01").unwrap();
        assert_eq!(jan.previous_label(), "2026-12");
        assert_eq!(
            Month::parse("2026-12").unwrap().next.to_string(),
            "2027-01-01"
        );
        let long = Month::parse(&"9".repeat(100)).unwrap_err();
        assert!(!long.contains("999"), "a long input is not echoed: {long}");
        for bad in [
            "2026-13",
            "2026-1",
            "26-11",
            "2026/11",
            "2026-11-01",
            "",
            "1999-12",
            "２０２６-11",
        ] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn classes_rank_their_own_units_and_show_the_idle_unranked() {
        let units = UnitCatalog::from_toml(
            "units.toml",
            r#"
[[unit]]
id = "centre"
name = "中心"
kind = "centre"
[[unit]]
id = "tax"
name = "税务分中心"
kind = "sub_centre"
[[unit]]
id = "market"
name = "市场监管局"
kind = "department"
[[unit]]
id = "water"
name = "水务集团"
kind = "enterprise"
"#,
        )
        .unwrap();
        let months = BTreeMap::from([
            ("market".to_string(), month(10, 8, 0, 0, 0)),
            ("tax".to_string(), month(10, 9, 0, 0, 0)),
            ("centre".to_string(), month(10, 10, 0, 0, 0)),
        ]);
        let classes = rank_classes(
            &units,
            &months,
            &Composite::default(),
            RateWeights::default(),
        );
        type Listing<'a> = Vec<(&'a str, Option<u32>)>;
        let shown: Vec<(AssessedClass, Listing)> = classes
            .iter()
            .map(|(c, units)| {
                (
                    *c,
                    units.iter().map(|u| (u.unit.id.as_str(), u.rank)).collect(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            vec![
                (AssessedClass::District, vec![]),
                (
                    AssessedClass::Department,
                    vec![("tax", Some(1)), ("market", Some(2))]
                ),
                (AssessedClass::Enterprise, vec![("water", None)]),
                (AssessedClass::Street, vec![]),
            ]
        );
        assert_eq!(classes[1].1[0].score.unwrap().total, 90.0);
    }

    #[test]
    fn every_assessed_kind_has_a_class() {
        assert_eq!(AssessedClass::of(UnitKind::Centre), None);
        assert_eq!(
            AssessedClass::of(UnitKind::SubCentre),
            Some(AssessedClass::Department)
        );
        assert_eq!(
            AssessedClass::of(UnitKind::Enterprise),
            Some(AssessedClass::Enterprise)
        );
    }
}
