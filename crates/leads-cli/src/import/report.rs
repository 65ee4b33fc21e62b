//! The report of failed rows: the input's own format plus the reason, so that after a
//! fix it can be imported as it is.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::read::{Input, Source, ERROR_KEY, RAW_KEY};
use crate::cli::InputFormat;
use crate::csv_format::{DELIMITER, ERROR_COLUMN};
use crate::error::CliError;

/// A row that failed, and why.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The row's index in [`Input::rows`].
    pub index: usize,
    /// Why it failed.
    pub reason: String,
}

/// `FILE.failed.EXT` beside the input.
pub fn default_path(input: &Path) -> PathBuf {
    let stem = input.file_stem().unwrap_or_default().to_string_lossy();
    let name = match input.extension() {
        Some(ext) => format!("{stem}.failed.{}", ext.to_string_lossy()),
        None => format!("{stem}.failed"),
    };
    input.with_file_name(name)
}

/// Writes the failed rows, in file order, to `path`.
pub fn write(path: &Path, input: &Input, failures: &[Failure]) -> Result<(), CliError> {
    let mut failures = failures.to_vec();
    failures.sort_by_key(|f| f.index);
    match input.format {
        InputFormat::Csv => write_csv(path, input, &failures),
        InputFormat::Jsonl => write_jsonl(path, input, &failures),
    }
}

fn write_csv(path: &Path, input: &Input, failures: &[Failure]) -> Result<(), CliError> {
    let io = |e: csv::Error| CliError::File {
        path: path.to_owned(),
        source: std::io::Error::other(e),
    };
    let mut writer = csv::WriterBuilder::new()
        .delimiter(DELIMITER)
        .terminator(csv::Terminator::CRLF)
        .from_path(path)
        .map_err(io)?;
    let mut header = input.header.clone();
    header.push(ERROR_COLUMN.to_owned());
    writer.write_record(&header).map_err(io)?;
    let width = input.header.len();
    for failure in failures {
        let row = &input.rows[failure.index];
        let cells = match &row.source {
            Source::Csv(cells) => cells.clone(),
            _ => Vec::new(),
        };
        let mut reason = format!("line {}: {}", row.line, failure.reason);
        // A row of the wrong width cannot be lined up with the header: its cells go into
        // the reason, and its data cells stay empty, so it fails again until it is fixed.
        let record_cells = if cells.len() == width {
            cells
        } else {
            reason.push_str(&format!("; the row was: {}", cells.join(";")));
            vec![String::new(); width]
        };
        let mut record = record_cells;
        record.push(reason);
        writer.write_record(&record).map_err(io)?;
    }
    writer.flush().map_err(CliError::file(path))
}

fn write_jsonl(path: &Path, input: &Input, failures: &[Failure]) -> Result<(), CliError> {
    let mut text = String::new();
    for failure in failures {
        let row = &input.rows[failure.index];
        let mut object = match &row.source {
            Source::Json(object) => object.clone(),
            Source::Raw(line) => {
                let mut object = serde_json::Map::new();
                object.insert(RAW_KEY.to_owned(), Value::String(line.clone()));
                object
            }
            Source::Csv(_) => serde_json::Map::new(),
        };
        object.insert(
            ERROR_KEY.to_owned(),
            Value::String(format!("line {}: {}", row.line, failure.reason)),
        );
        text.push_str(&Value::Object(object).to_string());
        text.push('\n');
    }
    std::fs::write(path, text).map_err(CliError::file(path))
}

#[cfg(test)]
mod tests {
    use super::super::read;
    use super::*;

    #[test]
    fn the_report_names_files_beside_the_input() {
        assert_eq!(
            default_path(Path::new("/x/leads.csv")),
            Path::new("/x/leads.failed.csv")
        );
        assert_eq!(
            default_path(Path::new("a.jsonl")),
            Path::new("a.failed.jsonl")
        );
        assert_eq!(default_path(Path::new("data")), Path::new("data.failed"));
    }

    #[test]
    fn a_csv_report_reads_back_with_the_same_rows() {
        let dir = tempfile::tempdir().expect("dir");
        let input_path = dir.path().join("in.csv");
        std::fs::write(
            &input_path,
            "lead_id;fullname;status\r\n;nameless;100\r\nok;Fine;100\r\nz;'=x;7\r\nshort\r\n",
        )
        .expect("written");
        let input = read::read(&input_path, InputFormat::Csv).expect("reads");
        let failures: Vec<Failure> = input
            .rows
            .iter()
            .enumerate()
            .filter_map(|(index, row)| {
                row.plan.as_ref().err().map(|reason| Failure {
                    index,
                    reason: reason.clone(),
                })
            })
            .collect();
        assert_eq!(failures.len(), 3);
        let report = dir.path().join("in.failed.csv");
        write(&report, &input, &failures).expect("written");
        let text = std::fs::read_to_string(&report).expect("report");
        assert!(
            text.starts_with("lead_id;fullname;status;error\r\n"),
            "{text}"
        );
        assert!(
            text.contains("'=x"),
            "cells are written back as they were read"
        );
        assert!(text.contains("line 2: lead_id: missing"), "{text}");

        let again = read::read(&report, InputFormat::Csv).expect("the report is input");
        assert_eq!(again.header, input.header, "the error column is not data");
        assert_eq!(again.rows.len(), 3);
        assert!(
            again.rows.iter().all(|row| row.plan.is_err()),
            "still bad until fixed"
        );

        let fixed = text
            .replace(";nameless;", "fixed;nameless;")
            .replace(";7;", ";100;");
        std::fs::write(&report, fixed).expect("fixed");
        let fixed = read::read(&report, InputFormat::Csv).expect("reads");
        assert_eq!(fixed.rows.iter().filter(|row| row.plan.is_ok()).count(), 2);
    }

    #[test]
    fn a_jsonl_report_keeps_the_objects() {
        let dir = tempfile::tempdir().expect("dir");
        let input_path = dir.path().join("in.jsonl");
        std::fs::write(&input_path, "{\"lead_id\":\"\"}\n{oops\n").expect("written");
        let input = read::read(&input_path, InputFormat::Jsonl).expect("reads");
        let failures = vec![
            Failure {
                index: 0,
                reason: "lead_id: too short".into(),
            },
            Failure {
                index: 1,
                reason: "not JSON".into(),
            },
        ];
        let report = dir.path().join("in.failed.jsonl");
        write(&report, &input, &failures).expect("written");
        let lines: Vec<Value> = std::fs::read_to_string(&report)
            .expect("report")
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect();
        assert_eq!(lines[0]["lead_id"], "");
        assert_eq!(lines[0][ERROR_KEY], "line 1: lead_id: too short");
        assert_eq!(lines[1][RAW_KEY], "{oops");
    }
}
