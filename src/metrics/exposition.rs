//! Reading Prometheus' text exposition format, what `/metrics` serves: samples by name and
//! labels. `bench-load --server-metrics` reads a daemon's figures with it, and so do the
//! tests.

use std::collections::BTreeMap;

/// One sample line: metric name, labels, value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// `k="v",k2="v2"` (values may hold escaped quotes and backslashes).
fn parse_labels(text: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut rest = text;
    while let Some((key, after)) = rest.split_once("=\"") {
        let mut value = String::new();
        let mut chars = after.char_indices();
        let mut end = after.len();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        value.push(if escaped == 'n' { '\n' } else { escaped });
                    }
                }
                '"' => {
                    end = i + 1;
                    break;
                }
                c => value.push(c),
            }
        }
        labels.insert(key.trim_start_matches(',').trim().to_string(), value);
        rest = &after[end..];
    }
    labels
}

/// Every sample of the text, or the first line that is not `series value`.
pub fn samples(text: &str) -> Result<Vec<Sample>, String> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (series, value) = line
                .rsplit_once(' ')
                .ok_or_else(|| format!("`{line}` is not `series value`"))?;
            let (name, labels) = match series.split_once('{') {
                Some((name, labels)) => (name, parse_labels(labels.trim_end_matches('}'))),
                None => (series, BTreeMap::new()),
            };
            Ok(Sample {
                name: name.to_string(),
                labels,
                value: value
                    .parse()
                    .map_err(|_| format!("the value of `{line}` is not a number"))?,
            })
        })
        .collect()
}

/// The value of the sample with exactly these labels, if exported.
pub fn find(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && s.labels.len() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).is_some_and(|have| have == v))
        })
        .map(|s| s.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        find(&samples(text).unwrap(), name, labels)
    }

    #[test]
    fn samples_are_parsed_with_their_labels() {
        let text = "# HELP x y\nhotline_up 1\nhotline_rate{unit=\"a-1\",kind=\"q\\\"x\"} 0.75\nhotline_nan{unit=\"b\"} NaN\n";
        assert_eq!(value(text, "hotline_up", &[]), Some(1.0));
        assert_eq!(
            value(text, "hotline_rate", &[("unit", "a-1"), ("kind", "q\"x")]),
            Some(0.75)
        );
        assert_eq!(value(text, "hotline_rate", &[("unit", "a-1")]), None);
        assert!(
            value(text, "hotline_nan", &[("unit", "b")])
                .unwrap()
                .is_nan()
        );
        assert_eq!(value(text, "hotline_missing", &[]), None);
    }

    #[test]
    fn a_line_that_is_not_a_sample_is_named() {
        assert_eq!(
            samples("hotline_up 1\nhotline_up\n").unwrap_err(),
            "`hotline_up` is not `series value`"
        );
        assert!(samples("hotline_up one\n").is_err());
    }
}
