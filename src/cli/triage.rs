//! `hotline classify` and `hotline route`: what the server would decide for a text, from
//! local rule files, through the same code path as CreateTicket (no daemon needed).

use std::io::Read as _;

use clap::Args;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use super::daemon::RuleFileArgs;
use crate::domain::taxonomy;
use crate::triage::{self, Triage};

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// The request's text; `-` reads it from standard input.
    #[arg(required_unless_present = "categories")]
    text: Option<String>,
    /// The request's one-line title, matched with more weight than the text.
    #[arg(long, default_value = "")]
    title: String,
    /// List the category and topic ids of the taxonomy instead.
    #[arg(long, conflicts_with = "text")]
    categories: bool,
    #[command(flatten)]
    files: RuleFileArgs,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct RouteArgs {
    /// The request's text; `-` reads it from standard input.
    text: String,
    #[arg(long, default_value = "")]
    title: String,
    /// Division code of the place concerned (a district or street of units.toml).
    #[arg(long, value_name = "CODE", default_value = "")]
    region: String,
    /// The number dialled: 12345 or a kept departmental line such as 12366.
    #[arg(long, value_name = "NUMBER", default_value = "12345")]
    line: String,
    #[command(flatten)]
    files: RuleFileArgs,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    json: bool,
}

pub fn classify(args: ClassifyArgs) -> anyhow::Result<()> {
    if args.categories {
        return print_taxonomy(args.json);
    }
    let text = read_text(args.text.unwrap_or_default())?;
    decide(&args.files, &args.title, &text, "", "", args.json)
}

pub fn route(args: RouteArgs) -> anyhow::Result<()> {
    let text = read_text(args.text)?;
    decide(
        &args.files,
        &args.title,
        &text,
        &args.region,
        &args.line,
        args.json,
    )
}

fn read_text(text: String) -> anyhow::Result<String> {
    if text != "-" {
        return Ok(text);
    }
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    Ok(input)
}

fn decide(
    files: &RuleFileArgs,
    title: &str,
    text: &str,
    region: &str,
    line: &str,
    json: bool,
) -> anyhow::Result<()> {
    let paths = files.clone().paths(&Default::default());
    let rules = crate::config::load_rule_set(&paths)?;
    if !region.is_empty()
        && !rules.units.is_known_region(region)
        && rules.units.partner_for_region(region).is_none()
    {
        anyhow::bail!(
            "--region {region}: not a district or street of the unit catalogue, nor a partner centre's region"
        );
    }
    let triage = triage::triage(
        &rules,
        &triage::Request {
            title,
            description: text,
            line,
            region,
        },
    );
    if json {
        say!("{}", serde_json::to_string(&triage.to_json())?);
    } else {
        print_tables(&triage);
    }
    Ok(())
}

fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(header);
    table
}

fn print_tables(triage: &Triage) {
    let c = &triage.classification;
    let name = |id: &str, found: Option<&'static str>| match found {
        Some(name) => format!("{id} ({name})"),
        None => id.to_string(),
    };
    let mut summary = table(&["", ""]);
    summary.add_row(["outcome", triage.disposition.code()]);
    summary.add_row(["target", &triage::target(&triage.disposition)]);
    summary.add_row(["request type", c.request_type.code()]);
    summary.add_row(["domain", c.domain.code()]);
    summary.add_row([
        "category",
        &name(c.category, taxonomy::category(c.category).map(|x| x.name)),
    ]);
    summary.add_row([
        "topic",
        &name(c.topic, taxonomy::topic(c.topic).map(|x| x.name)),
    ]);
    summary.add_row(["urgency", c.urgency.code()]);
    if !triage.advice().is_empty() {
        summary.add_row(["tell the caller", triage.advice()]);
    }
    summary.add_row(["rules", &c.rules_version]);
    say!("{summary}");

    let mut matches = table(&[
        "rule",
        "family",
        "priority",
        "matched",
        "effect",
        "suppressed",
    ]);
    for m in &c.explanation {
        matches.add_row([
            m.rule.clone(),
            m.family.clone(),
            m.priority.to_string(),
            format!("{} [{}:{}..{}]", m.text, m.field, m.start, m.end),
            m.effect.clone(),
            m.suppressed.clone().unwrap_or_default(),
        ]);
    }
    say!("{matches}");

    if let Some(route) = &triage.route {
        let mut routing = table(&["lead", "co-units", "copy to", "how"]);
        routing.add_row([
            route
                .lead
                .clone()
                .unwrap_or_else(|| "(centre's queue)".into()),
            route.co_units.join(", "),
            route.copy_to.join(", "),
            route.explanation.join("; "),
        ]);
        say!("{routing}");
    }
}

fn print_taxonomy(json: bool) -> anyhow::Result<()> {
    if json {
        let categories: Vec<_> = taxonomy::CATEGORIES
            .iter()
            .map(|c| {
                serde_json::json!({
                    "id": c.id,
                    "name": c.name,
                    "domain": c.domain,
                    "topics": taxonomy::topics_of(c.id)
                        .map(|t| serde_json::json!({ "id": t.id, "name": t.name }))
                        .collect::<Vec<_>>(),
                })
            })
            .collect();
        say!("{}", serde_json::to_string(&categories)?);
        return Ok(());
    }
    let mut t = table(&["category", "name", "topic", "name"]);
    for c in taxonomy::CATEGORIES {
        for topic in taxonomy::topics_of(c.id) {
            t.add_row([c.id, c.name, topic.id, topic.name]);
        }
    }
    say!("{t}");
    Ok(())
}
