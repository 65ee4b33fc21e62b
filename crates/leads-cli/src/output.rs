//! Printing results: a table for people, `--json` (one document) or `--jsonl` (a stream).

use std::io::{IsTerminal as _, Write};

use comfy_table::{ContentArrangement, Table};
use leads_client::types::Lead;
use serde::Serialize;

use crate::cli::Global;
use crate::error::CliError;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A table (the default).
    Table,
    /// One JSON document.
    Json,
    /// One JSON document per line.
    Jsonl,
}

/// Standard output in the chosen format.
pub struct Output {
    /// The format.
    pub format: Format,
}

impl Output {
    /// The format the global flags ask for.
    pub fn new(global: &Global) -> Self {
        let format = if global.json {
            Format::Json
        } else if global.jsonl {
            Format::Jsonl
        } else {
            Format::Table
        };
        Self { format }
    }

    /// Prints one lead: field by field as a table, else as JSON.
    pub fn lead(&self, lead: &Lead) -> Result<(), CliError> {
        match self.format {
            Format::Table => print(&lead_table(lead)),
            Format::Json | Format::Jsonl => self.json_line(lead),
        }
    }

    /// Prints a value as one JSON line (`--json` and `--jsonl` agree for single values).
    pub fn json_line<T: Serialize>(&self, value: &T) -> Result<(), CliError> {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer(&mut out, value).map_err(std::io::Error::from)?;
        out.write_all(b"\n")?;
        Ok(())
    }

    /// Prints a value as an indented JSON document.
    pub fn json_document<T: Serialize>(&self, value: &T) -> Result<(), CliError> {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, value).map_err(std::io::Error::from)?;
        out.write_all(b"\n")?;
        Ok(())
    }

    /// Prints a line of text for people (table mode), e.g. a confirmation.
    pub fn message(&self, text: &str) -> Result<(), CliError> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{text}")?;
        Ok(())
    }
}

fn print(table: &Table) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{table}")?;
    Ok(())
}

/// A line under the header and nothing else: compact, and easy to read and to `grep`.
/// (comfy-table's 19 style characters; 5 and 6 draw the header line.)
const HEADER_LINE_UTF8: &str = "     ──            ";
const HEADER_LINE_ASCII: &str = "     --            ";

fn new_table() -> Table {
    let mut table = Table::new();
    table
        .load_preset(if std::io::stdout().is_terminal() {
            HEADER_LINE_UTF8
        } else {
            HEADER_LINE_ASCII
        })
        .set_content_arrangement(ContentArrangement::Dynamic);
    table
}

/// The list columns: enough to recognise a lead and pick its id.
pub fn leads_table(leads: &[Lead]) -> Table {
    let mut table = new_table();
    table.set_header([
        "_id",
        "lead_id",
        "fullname",
        "email",
        "status",
        "tags",
        "createdAt",
    ]);
    for lead in leads {
        table.add_row([
            lead.id.to_string(),
            lead.lead_id.clone(),
            lead.fullname.clone().unwrap_or_default(),
            lead.email.clone().unwrap_or_default(),
            lead.status
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_default(),
            lead.tags.join(","),
            date(&lead.created_at),
        ]);
    }
    table
}

/// Prints a list of leads as a table.
pub fn print_leads_table(leads: &[Lead]) -> Result<(), CliError> {
    print(&leads_table(leads))
}

/// The fields of one lead that have a value, one per row, in the API's names.
pub fn lead_table(lead: &Lead) -> Table {
    let mut table = new_table();
    table.set_header(["field", "value"]);
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let rows: Vec<(&str, String)> = vec![
        ("_id", lead.id.to_string()),
        ("lead_id", lead.lead_id.clone()),
        ("fullname", text(&lead.fullname)),
        ("email", text(&lead.email)),
        ("phone", text(&lead.phone)),
        ("company", text(&lead.company)),
        ("note", text(&lead.note)),
        ("streetAddress", text(&lead.street_address)),
        ("city", text(&lead.city)),
        ("region", text(&lead.region)),
        ("zipcode", text(&lead.zipcode)),
        ("country", text(&lead.country)),
        ("tags", lead.tags.join(",")),
        (
            "status",
            lead.status
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_default(),
        ),
        ("attributes", object(&lead.attributes)),
        ("properties", object(&lead.properties)),
        ("id_project", lead.id_project.to_string()),
        ("createdBy", lead.created_by.clone()),
        ("createdAt", date(&lead.created_at)),
        ("updatedAt", date(&lead.updated_at)),
        ("__v", lead.v.to_string()),
    ];
    for (field, value) in rows.into_iter().filter(|(_, value)| !value.is_empty()) {
        table.add_row([field.to_owned(), value]);
    }
    table
}

fn object(map: &serde_json::Map<String, serde_json::Value>) -> String {
    if map.is_empty() {
        String::new()
    } else {
        serde_json::Value::Object(map.clone()).to_string()
    }
}

/// ISO-8601 in UTC with milliseconds, as the API and the CSV write dates.
pub fn date(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
