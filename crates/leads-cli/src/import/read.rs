//! Reading an import file into rows: each one a lead to create, or why it cannot be.

use std::path::Path;

use leads_client::types::LeadCreate;
use serde_json::{Map, Value};

use crate::body;
use crate::cli::InputFormat;
use crate::csv_format::{self, DELIMITER, ERROR_COLUMN, SERVER_COLUMNS, TEXT_FIELDS};
use crate::error::CliError;

/// A row of the input, as read and as understood.
#[derive(Debug, Clone)]
pub struct Row {
    /// Its line in the file (the first line of a multi-line CSV record), from 1.
    pub line: u64,
    /// Its text, to write back into the report unchanged.
    pub source: Source,
    /// What to send, or why the row is bad.
    pub plan: Result<Plan, String>,
}

/// A row as it was in the file.
#[derive(Debug, Clone)]
pub enum Source {
    /// CSV cells, as read (formula guards kept).
    Csv(Vec<String>),
    /// A JSON Lines object.
    Json(Map<String, Value>),
    /// A line that is not a JSON object.
    Raw(String),
}

/// The requests that recreate a row.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The body of `createLead`.
    pub create: LeadCreate,
    /// A status to set afterwards: a new lead is always created with 100.
    pub status: Option<i32>,
}

/// What was read: the CSV header (for the report) and the rows.
#[derive(Debug, Clone)]
pub struct Input {
    /// The format.
    pub format: InputFormat,
    /// The CSV header, without a report's `error` column; empty for JSON Lines.
    pub header: Vec<String>,
    /// Every row, in file order.
    pub rows: Vec<Row>,
}

/// The format `--format` names, else the one the file's extension suggests.
pub fn detect(path: &Path, format: Option<InputFormat>) -> InputFormat {
    format.unwrap_or_else(|| {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("jsonl" | "ndjson" | "json") => InputFormat::Jsonl,
            _ => InputFormat::Csv,
        }
    })
}

/// Reads the whole file.
pub fn read(path: &Path, format: InputFormat) -> Result<Input, CliError> {
    match format {
        InputFormat::Csv => read_csv(&std::fs::read(path).map_err(CliError::file(path))?, path),
        InputFormat::Jsonl => {
            let file = std::fs::File::open(path).map_err(CliError::file(path))?;
            read_jsonl(std::io::BufReader::new(file), path)
        }
    }
}

/// The line (from 1) at byte `offset` of `data`. The csv crate's own line numbers lag
/// by one after `\r\n`, the export's line end, so they are recomputed from the offset.
fn line_at(data: &[u8], line_starts: &[usize], offset: u64) -> u64 {
    let mut offset = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(data.len());
    if data.get(offset) == Some(&b'\n') {
        offset += 1;
    }
    line_starts.partition_point(|start| *start <= offset) as u64
}

fn read_csv(data: &[u8], path: &Path) -> Result<Input, CliError> {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(
            data.iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    let line = |position: Option<&csv::Position>| {
        position.map_or(0, |p| line_at(data, &line_starts, p.byte()))
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(DELIMITER)
        .flexible(true)
        .from_reader(data);
    let mut header: Vec<String> = reader
        .headers()
        .map_err(|e| bad_file(path, &e.to_string()))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    let error_column = header.iter().position(|h| h == ERROR_COLUMN);
    if let Some(i) = error_column {
        header.remove(i);
    }
    let known = |h: &String| csv_format::COLUMNS.contains(&h.as_str());
    if !header.iter().any(|h| h == "lead_id") {
        return Err(bad_file(
            path,
            "no `lead_id` column: expected the CSV of `leads export` (`;`-separated)",
        ));
    }
    if let Some(unknown) = header.iter().find(|h| !known(h)) {
        return Err(bad_file(path, &format!("unknown column {unknown:?}")));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                return Err(bad_file(path, &e.to_string()))
            }
            Err(e) => {
                let line = line(e.position());
                rows.push(Row {
                    line,
                    source: Source::Csv(Vec::new()),
                    plan: Err(e.to_string()),
                });
                continue;
            }
        };
        let line = line(record.position());
        let mut cells: Vec<String> = record.iter().map(str::to_owned).collect();
        if let Some(i) = error_column {
            if i < cells.len() {
                cells.remove(i);
            }
        }
        let plan = if cells.len() == header.len() {
            csv_plan(&header, &cells)
        } else {
            Err(format!(
                "{} cells where the header has {}",
                cells.len(),
                header.len()
            ))
        };
        rows.push(Row {
            line,
            source: Source::Csv(cells),
            plan,
        });
    }
    Ok(Input {
        format: InputFormat::Csv,
        header,
        rows,
    })
}

/// One CSV row's lead: text fields unguarded, tags split at `,`, the server's columns left out.
pub fn csv_plan(header: &[String], cells: &[String]) -> Result<Plan, String> {
    let mut map = Map::new();
    let mut status = None;
    for (name, cell) in header.iter().zip(cells) {
        let value = csv_format::unguard(cell);
        if value.is_empty() || SERVER_COLUMNS.contains(&name.as_str()) {
            continue;
        }
        match name.as_str() {
            "tags" => {
                let tags: Vec<Value> = value
                    .split(leads_client::csv::TAG_SEPARATOR)
                    .filter(|t| !t.is_empty())
                    .map(|t| Value::String(t.to_owned()))
                    .collect();
                map.insert("tags".to_owned(), Value::Array(tags));
            }
            "status" => status = Some(parse_status(value)?),
            field if TEXT_FIELDS.contains(&field) => {
                map.insert(field.to_owned(), Value::String(value.to_owned()));
            }
            other => return Err(format!("unknown column {other:?}")),
        }
    }
    plan(map, status)
}

fn parse_status(text: &str) -> Result<i32, String> {
    match text.trim().parse::<i32>() {
        Ok(code @ (50 | 100 | 1000)) => Ok(code),
        _ => Err(format!("status: {text:?} is not 50, 100 or 1000")),
    }
}

fn plan(map: Map<String, Value>, status: Option<i32>) -> Result<Plan, String> {
    let create = body::lead_create(map)?;
    Ok(Plan {
        create,
        status: status.filter(|s| *s != 100),
    })
}

/// Keys of a lead as the API returns it that a new lead does not take.
const SERVER_KEYS: [&str; 6] = [
    "_id",
    "id_project",
    "createdBy",
    "createdAt",
    "updatedAt",
    "__v",
];

/// The key a JSON Lines report adds, holding why the line failed.
pub const ERROR_KEY: &str = "_error";

/// The key a JSON Lines report uses for a line that was not a JSON object.
pub const RAW_KEY: &str = "_raw";

fn read_jsonl(reader: impl std::io::BufRead, path: &Path) -> Result<Input, CliError> {
    let mut rows = Vec::new();
    for (index, line) in reader.lines().enumerate() {
        let text = line.map_err(CliError::file(path))?;
        let line = index as u64 + 1;
        if text.trim().is_empty() {
            continue;
        }
        let row = match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(object)) => {
                let plan = json_plan(&object);
                Row {
                    line,
                    source: Source::Json(object),
                    plan,
                }
            }
            Ok(_) => Row {
                line,
                source: Source::Raw(text),
                plan: Err("not a JSON object".to_owned()),
            },
            Err(e) => Row {
                line,
                source: Source::Raw(text),
                plan: Err(format!("not JSON: {e}")),
            },
        };
        rows.push(row);
    }
    Ok(Input {
        format: InputFormat::Jsonl,
        header: Vec::new(),
        rows,
    })
}

/// One JSON object's lead: the API's field names; the server's keys and a report's
/// `_error` are left out; `tags` may be an array or a `,`-joined string.
pub fn json_plan(object: &Map<String, Value>) -> Result<Plan, String> {
    if let Some(raw) = object.get(RAW_KEY) {
        return Err(format!("fix this line first: {raw}"));
    }
    let mut map = Map::new();
    let mut status = None;
    for (key, value) in object {
        match key.as_str() {
            k if SERVER_KEYS.contains(&k) || k == ERROR_KEY => {}
            "status" => match value {
                Value::Null => {}
                Value::Number(n) => status = Some(parse_status(&n.to_string())?),
                Value::String(s) => status = Some(parse_status(s)?),
                other => return Err(format!("status: {other} is not 50, 100 or 1000")),
            },
            "tags" => {
                let tags = match value {
                    Value::String(s) => s
                        .split(leads_client::csv::TAG_SEPARATOR)
                        .filter(|t| !t.is_empty())
                        .map(|t| Value::String(t.to_owned()))
                        .collect(),
                    other => other.clone(),
                };
                map.insert("tags".to_owned(), tags);
            }
            _ => {
                map.insert(key.clone(), value.clone());
            }
        }
    }
    plan(map, status)
}

fn bad_file(path: &Path, reason: &str) -> CliError {
    CliError::Usage(format!("{}: {reason}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Vec<String> {
        csv_format::COLUMNS
            .iter()
            .map(|c| (*c).to_owned())
            .collect()
    }

    const EXPORT: &str = "\
_id;lead_id;fullname;email;phone;company;note;streetAddress;city;region;zipcode;country;tags;status;createdBy;createdAt;updatedAt\r
5c81593adf767b0017d1aa66;SRbb2;Guest;;'+39 06 1234;'=cmd;\"two\r\nlines; and a \"\"quote\"\"\";;Roma;;00144;;vip,newsletter;100;system;2019-03-07T17:47:38.393Z;2019-03-07T17:47:38.393Z\r
5c81593adf767b0017d1aa67;T2;;a@b.c;;;;;;;;;;50;system;2019-03-07T17:47:38.393Z;2019-03-07T17:47:38.393Z\r
5c81593adf767b0017d1aa68;;no lead id;;;;;;;;;;;100;system;2019-03-07T17:47:38.393Z;2019-03-07T17:47:38.393Z\r
5c81593adf767b0017d1aa69;T4;too;few\r
";

    #[test]
    fn reads_the_export_format() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("leads.csv");
        std::fs::write(&path, EXPORT).expect("written");
        let input = read(&path, detect(&path, None)).expect("reads");
        assert_eq!(input.header, header());
        assert_eq!(input.rows.len(), 4);

        let first = input.rows[0].plan.as_ref().expect("valid");
        let body = serde_json::to_value(&first.create).expect("json");
        assert_eq!(body["lead_id"], "SRbb2");
        assert_eq!(body["phone"], "+39 06 1234", "formula guard stripped");
        assert_eq!(body["company"], "=cmd", "formula guard stripped");
        assert_eq!(body["note"], "two\r\nlines; and a \"quote\"");
        assert_eq!(body["zipcode"], "00144", "leading zeros kept");
        assert_eq!(body["tags"], serde_json::json!(["vip", "newsletter"]));
        assert!(body.get("email").is_none(), "empty cells are absent fields");
        assert!(body.get("_id").is_none() && body.get("createdBy").is_none());
        assert_eq!(first.status, None, "100 is what create sets anyway");

        let second = input.rows[1].plan.as_ref().expect("valid");
        assert_eq!(second.status, Some(50));

        assert_eq!(
            input.rows[2].plan.as_ref().expect_err("no lead_id"),
            "lead_id: missing"
        );
        assert_eq!(input.rows[0].line, 2);
        assert_eq!(
            input.rows[1].line, 4,
            "a quoted line break moves the next rows down"
        );
        assert_eq!(input.rows[2].line, 5);
        assert!(input.rows[3]
            .plan
            .as_ref()
            .expect_err("short")
            .contains("4 cells"));
    }

    #[test]
    fn rejects_files_that_are_not_an_export() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("x.csv");
        std::fs::write(&path, "a,b,c\n1,2,3\n").expect("written");
        assert!(matches!(
            read(&path, InputFormat::Csv),
            Err(CliError::Usage(_))
        ));
        std::fs::write(&path, "lead_id;shoe_size\n1;44\n").expect("written");
        let error = read(&path, InputFormat::Csv).expect_err("unknown column");
        assert!(error.to_string().contains("shoe_size"), "{error}");
    }

    #[test]
    fn a_bad_status_is_a_bad_row() {
        let mut cells = vec![String::new(); 17];
        cells[1] = "x".into();
        cells[13] = "7".into();
        assert!(csv_plan(&header(), &cells)
            .expect_err("bad")
            .starts_with("status:"));
    }

    #[test]
    fn reads_json_lines_as_the_api_writes_leads() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("leads.jsonl");
        std::fs::write(
            &path,
            concat!(
                r#"{"_id":"5c81593adf767b0017d1aa66","lead_id":"a","fullname":"A","attributes":{"x":1},"id_project":"5b55e806c93dde00143163dd","createdBy":"u","createdAt":"2019-03-07T17:47:38.393Z","updatedAt":"2019-03-07T17:47:38.393Z","__v":3,"status":1000,"tags":["t"]}"#,
                "\n\n",
                r#"{"lead_id":"b","fullanem":"typo"}"#,
                "\n",
                "[1,2]\n",
                "{not json\n",
                r#"{"lead_id":"c","tags":"x,y","_error":"an old reason"}"#,
                "\n",
            ),
        )
        .expect("written");
        let input = read(&path, detect(&path, None)).expect("reads");
        assert_eq!(input.format, InputFormat::Jsonl);
        assert_eq!(input.rows.len(), 5);
        let first = input.rows[0].plan.as_ref().expect("valid");
        assert_eq!(first.status, Some(1000));
        let body = serde_json::to_value(&first.create).expect("json");
        assert_eq!(body["attributes"]["x"], 1);
        assert!(input.rows[1]
            .plan
            .as_ref()
            .expect_err("typo")
            .contains("fullanem"));
        assert_eq!(input.rows[1].line, 3);
        assert!(input.rows[2].plan.is_err());
        assert!(input.rows[3]
            .plan
            .as_ref()
            .expect_err("bad")
            .starts_with("not JSON"));
        let last = input.rows[4]
            .plan
            .as_ref()
            .expect("report rows import again");
        assert_eq!(last.create.tags.len(), 2);
    }
}
