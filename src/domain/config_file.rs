//! Shared by the parsers of the configuration files (units, rules, routing, deadlines):
//! errors that name file, line and key, and the line look-ups that produce them.

/// A configuration file that cannot be used, located as precisely as the parser can.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}{}: {key}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ConfigError {
    pub source_name: String,
    pub line: Option<usize>,
    pub key: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(
        source_name: &str,
        line: Option<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ConfigError {
            source_name: source_name.to_string(),
            line,
            key: key.into(),
            message: message.into(),
        }
    }

    /// A TOML syntax or shape error, located by its span.
    pub fn from_toml(source_name: &str, text: &str, error: &toml::de::Error) -> Self {
        let line = error.span().map(|s| line_of(text, s.start));
        ConfigError::new(source_name, line, "toml", error.message())
    }
}

/// The 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line of `key = …` in the table whose header starts at `span`, or the header's line.
/// (The span of an array-of-tables entry covers only its header.)
pub fn line_of_key(text: &str, span: std::ops::Range<usize>, key: &str) -> usize {
    let start = span.start.min(text.len());
    let mut offset = start;
    for (i, line) in text[start..].split_inclusive('\n').enumerate() {
        let trimmed = line.trim_start();
        if i > 0 && trimmed.starts_with('[') {
            break;
        }
        if let Some(rest) = trimmed.strip_prefix(key)
            && rest.trim_start().starts_with('=')
        {
            return line_of(text, offset);
        }
        offset += line.len();
    }
    line_of(text, start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_inside_their_table_only() {
        let text = "[[unit]]\nid = \"a\"\nname = \"A\"\n[[unit]]\nid = \"b\"\n";
        assert_eq!(line_of_key(text, 0..8, "name"), 3);
        assert_eq!(line_of_key(text, 0..8, "parent"), 1);
        let second = text.find("[[unit]]\nid = \"b\"").unwrap();
        assert_eq!(line_of_key(text, second..second + 8, "id"), 5);
    }

    #[test]
    fn errors_read_file_line_key() {
        let e = ConfigError::new("rules.toml", Some(7), "rule `x`.priority", "must be 0-1000");
        assert_eq!(
            e.to_string(),
            "rules.toml:7: rule `x`.priority: must be 0-1000"
        );
    }
}
