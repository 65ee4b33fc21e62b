//! `leads import`: read every row, create the good ones with bounded concurrency, and
//! report the bad ones in a file that can be fixed and imported again.

pub mod read;
pub mod report;

use std::path::PathBuf;

use futures::StreamExt as _;
use indicatif::{ProgressBar, ProgressStyle};
use leads_client::types::{self, ObjectId};

use crate::cli::ImportArgs;
use crate::context::Context;
use crate::error::CliError;
use read::{Input, Plan};
use report::Failure;

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Rows read.
    pub total: usize,
    /// Leads created (or, with `--dry-run`, rows that would be).
    pub created: usize,
    /// Rows that failed.
    pub failed: usize,
    /// Where the failed rows went, if any failed.
    pub report: Option<PathBuf>,
}

/// Reads the file, then creates (or with `dry_run` only checks) a lead per row.
pub async fn run(ctx: Option<&Context>, args: &ImportArgs) -> Result<Summary, CliError> {
    let format = read::detect(&args.file, args.format);
    let input = read::read(&args.file, format)?;
    let mut failures: Vec<Failure> = input
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
    let valid = input.rows.len() - failures.len();

    let created = match ctx {
        None => valid,
        Some(ctx) => {
            let project = crate::body::object_id("project", ctx.project()?)?;
            let (created, mut failed) = create_all(ctx, &project, &input, args.concurrency).await;
            failures.append(&mut failed);
            created
        }
    };

    let report = if failures.is_empty() {
        None
    } else {
        let path = args
            .report
            .clone()
            .unwrap_or_else(|| report::default_path(&args.file));
        report::write(&path, &input, &failures)?;
        Some(path)
    };
    Ok(Summary {
        total: input.rows.len(),
        created,
        failed: failures.len(),
        report,
    })
}

/// Sends the valid rows, at most `concurrency` at a time, with a progress bar.
async fn create_all(
    ctx: &Context,
    project: &ObjectId,
    input: &Input,
    concurrency: u16,
) -> (usize, Vec<Failure>) {
    let jobs: Vec<(usize, &Plan)> = input
        .rows
        .iter()
        .enumerate()
        .filter_map(|(index, row)| row.plan.as_ref().ok().map(|plan| (index, plan)))
        .collect();
    let bar = ProgressBar::new(jobs.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} leads, {rate}, ETA {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key(
                "rate",
                |state: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| {
                    let _ = write!(out, "{:.0}/s", state.per_sec());
                },
            ),
    );
    let mut created = 0;
    let mut failures = Vec::new();
    let mut results = futures::stream::iter(jobs)
        .map(|(index, plan)| async move { (index, create_one(ctx, project, plan).await) })
        .buffer_unordered(usize::from(concurrency));
    while let Some((index, result)) = results.next().await {
        match result {
            Ok(()) => created += 1,
            Err(reason) => {
                failures.push(Failure { index, reason });
                bar.set_message(format!("({} failed)", failures.len()));
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    (created, failures)
}

/// Creates one lead, then sets its status when the row's is not 100.
async fn create_one(ctx: &Context, project: &ObjectId, plan: &Plan) -> Result<(), String> {
    let lead = ctx
        .client
        .create_lead()
        .project_id(project.clone())
        .body(plan.create.clone())
        .send()
        .await
        .map_err(|e| CliError::from(e).to_string())?
        .into_inner();
    if let Some(status) = plan.status {
        let update: types::LeadUpdate =
            serde_json::from_value(serde_json::json!({ "status": status }))
                .map_err(|e| e.to_string())?;
        ctx.client
            .update_lead()
            .project_id(project.clone())
            .id(lead.id.clone())
            .body(update)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "created as {} but its status could not be set: {}",
                    &*lead.id,
                    CliError::from(e)
                )
            })?;
    }
    Ok(())
}
