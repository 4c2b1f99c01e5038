//! The CSV form of the knowledge base, for `hotline kb import` and `hotline kb export`:
//! a header row, then one entry a row. Keywords are one cell, separated by `;`, `；`, `、`
//! or commas. Dates are `YYYY-MM-DD`, empty for an open end. Export adds the entry's id,
//! version and status in front; import ignores those columns (every row becomes a new
//! entry).

use std::io::{Read, Write};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::entry::{Content, split_keywords};

/// One row as written; the first three columns are export-only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub status: String,
    pub question: String,
    pub answer: String,
    #[serde(default)]
    pub keywords: String,
    pub category: String,
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub region: String,
    pub owner_unit: String,
    #[serde(default)]
    pub valid_from: String,
    #[serde(default)]
    pub valid_until: String,
}

/// A row that could not be read, with its line in the file (the header is line 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

fn date(field: &str, value: &str) -> Result<Option<NaiveDate>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| format!("{field}: `{value}` is not a date (YYYY-MM-DD)"))
}

impl Row {
    pub fn content(&self) -> Result<Content, String> {
        Ok(Content {
            question: self.question.clone(),
            answer: self.answer.clone(),
            keywords: split_keywords(&self.keywords),
            category: self.category.clone(),
            topic: self.topic.clone(),
            region: self.region.clone(),
            owner_unit: self.owner_unit.clone(),
            valid_from: date("valid_from", &self.valid_from)?,
            valid_until: date("valid_until", &self.valid_until)?,
        }
        .tidied())
    }

    pub fn from_content(id: i64, version: i64, status: &str, c: &Content) -> Self {
        let day = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        Row {
            id: id.to_string(),
            version: version.to_string(),
            status: status.to_string(),
            question: c.question.clone(),
            answer: c.answer.clone(),
            keywords: c.keywords.join(";"),
            category: c.category.clone(),
            topic: c.topic.clone(),
            region: c.region.clone(),
            owner_unit: c.owner_unit.clone(),
            valid_from: day(c.valid_from),
            valid_until: day(c.valid_until),
        }
    }
}

/// A row's line number and its content, or why it cannot be read.
pub type ParsedRow = (u64, Result<Content, String>);

/// Reads every row. A file without the required header columns is refused whole.
pub fn read(input: impl Read) -> Result<Vec<ParsedRow>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| format!("header: {e}"))?
        .clone();
    for required in ["question", "answer", "category", "owner_unit"] {
        if !headers.iter().any(|h| h == required) {
            return Err(format!("header: no `{required}` column"));
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let (line, content) = match record {
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line());
                let row = record
                    .deserialize::<Row>(Some(&headers))
                    .map_err(|e| e.to_string())
                    .and_then(|row| row.content());
                (line, row)
            }
            Err(e) => (e.position().map_or(0, |p| p.line()), Err(e.to_string())),
        };
        rows.push((line, content));
    }
    Ok(rows)
}

/// The columns, in order (serde writes the same header from [`Row`]).
pub const HEADER: [&str; 12] = [
    "id",
    "version",
    "status",
    "question",
    "answer",
    "keywords",
    "category",
    "topic",
    "region",
    "owner_unit",
    "valid_from",
    "valid_until",
];

/// Writes the header and the rows.
pub fn write(output: impl Write, rows: &[Row]) -> Result<(), csv::Error> {
    let mut writer = csv::Writer::from_writer(output);
    if rows.is_empty() {
        writer.write_record(HEADER)?;
    }
    for row in rows {
        writer.serialize(row)?;
    }
    writer.flush()?;
    Ok(())
}
