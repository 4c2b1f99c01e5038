//! Where results go: aligned tables for people, canonical protobuf JSON (`--json`) for
//! scripts. Either way one document per command on stdout; errors go to stderr.

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use super::json::{self, ApiMessage};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Table,
    Json,
}

impl Output {
    /// Prints `message` as JSON, or as the text `render` makes of it.
    pub fn print<M: ApiMessage>(
        self,
        message: &M,
        render: impl FnOnce(&M) -> String,
    ) -> anyhow::Result<()> {
        let text = match self {
            Output::Json => json::document(message)?,
            Output::Table => render(message),
        };
        say!("{text}");
        Ok(())
    }

    /// Prints one item of a stream: a JSON line, or the text `render` makes of it.
    pub fn print_line<M: ApiMessage>(
        self,
        message: &M,
        render: impl FnOnce(&M) -> String,
    ) -> anyhow::Result<()> {
        let text = match self {
            Output::Json => json::line(message)?,
            Output::Table => render(message),
        };
        say!("{text}");
        Ok(())
    }
}

/// An empty table in the house style, with a header row.
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().copied());
    table
}

/// A two-column field/value table; rows with an empty value are left out.
pub fn fields(rows: Vec<(&str, String)>) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    for (name, value) in rows.into_iter().filter(|(_, v)| !v.is_empty()) {
        table.add_row(vec![name.to_string(), value]);
    }
    table
}
