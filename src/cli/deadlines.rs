//! `hotline deadlines check`: validate a deadlines file and show the windows it sets.

use std::path::PathBuf;

use clap::Subcommand;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use strum::IntoEnumIterator;

use crate::config;
use crate::domain::Urgency;
use crate::domain::deadline::DeadlinePolicy;

#[derive(Debug, Subcommand)]
pub enum DeadlinesCommand {
    /// Validate a deadlines file (errors name line and key) and print its windows.
    Check {
        /// File to check [default: config/deadlines.toml].
        #[arg(default_value = config::DEFAULT_DEADLINES_PATH)]
        file: PathBuf,
        /// Unit catalogue that region overrides must name regions of [default:
        /// config/units.toml if present, else the built-in copy].
        #[arg(long)]
        units: Option<PathBuf>,
    },
}

pub fn run(command: DeadlinesCommand) -> anyhow::Result<()> {
    match command {
        DeadlinesCommand::Check { file, units } => {
            let paths = crate::rules::RulePaths {
                units,
                ..Default::default()
            };
            let catalog = config::load_rule_set(&paths)?.units;
            let policy = config::read_deadlines(&file, &catalog)?;
            say!("{}: valid", file.display());
            say!("{}", summary(&policy));
            Ok(())
        }
    }
}

fn summary(policy: &DeadlinePolicy) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(["tier", "sign", "respond", "reply", "return"]);
    for urgency in Urgency::iter() {
        let w = policy.tiers().get(urgency);
        table.add_row([
            urgency.to_string(),
            w.sign.to_string(),
            w.respond.to_string(),
            w.reply.to_string(),
            w.return_window.to_string(),
        ]);
    }
    let thresholds = policy.thresholds();
    let listed = |items: Vec<String>| {
        if items.is_empty() {
            "none".to_string()
        } else {
            items.join(", ")
        }
    };
    let regions = policy.regions().iter().map(|r| r.code.clone()).collect();
    let years = policy.calendar().years().map(|y| y.to_string()).collect();
    format!(
        "{table}\nmax extension {}; yellow at {:.0}%, red at {:.0}% of a window\n\
         region overrides: {}\nholiday calendar (UTC{}): {}; other years rest on weekends only",
        policy.max_extension(),
        thresholds.yellow * 100.0,
        thresholds.red * 100.0,
        listed(regions),
        policy.calendar().offset(),
        listed(years),
    )
}
