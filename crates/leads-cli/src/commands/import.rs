//! `leads import FILE`.

use crate::cli::{Global, ImportArgs};
use crate::context;
use crate::error::CliError;
use crate::import;
use crate::output::Format;

/// Imports, prints a summary, and fails (exit 1) when any row failed.
pub async fn run(global: &Global, args: &ImportArgs) -> Result<(), CliError> {
    // A dry run checks the file only: it needs neither credentials nor a server.
    let ctx = if args.dry_run {
        None
    } else {
        Some(context::connect(global, false)?)
    };
    let summary = import::run(ctx.as_ref(), args).await?;
    let output = crate::output::Output::new(global);
    if output.format == Format::Table {
        let verb = if args.dry_run { "valid" } else { "imported" };
        eprintln!(
            "{verb}: {} of {} row(s); failed: {}",
            summary.created, summary.total, summary.failed
        );
    } else {
        output.json_line(&serde_json::json!({
            "dry_run": args.dry_run,
            "rows": summary.total,
            // Created leads, or with --dry-run the rows that would be created.
            "ok": summary.created,
            "failed": summary.failed,
            "report": summary.report,
        }))?;
    }
    match summary.report {
        Some(report) => Err(CliError::ImportIncomplete {
            failed: summary.failed,
            total: summary.total,
            report,
        }),
        None => Ok(()),
    }
}
