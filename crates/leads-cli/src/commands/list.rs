//! `leads list`: one page, or every page with `--all`.

use std::num::NonZeroU32;

use futures::TryStreamExt as _;
use leads_client::types::{self, Lead, LeadList};

use super::apply_filters;
use crate::body;
use crate::cli::ListArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::{self, Format};

/// The largest page the API serves; `--all` asks for it unless `--limit` says otherwise.
const MAX_LIMIT: u32 = 100;

/// Lists one page or, with `--all`, every page through the client's cursor stream.
pub async fn run(ctx: &Context, args: &ListArgs) -> Result<(), CliError> {
    let project = body::object_id("project", ctx.project()?)?;
    let limit = args.limit.unwrap_or(if args.all { MAX_LIMIT } else { 40 });
    let limit = NonZeroU32::new(limit).ok_or_else(|| CliError::Usage("--limit 0".into()))?;
    let request = ctx
        .client
        .list_leads()
        .project_id(project.clone())
        .limit(limit);
    let request = apply_filters!(request, &args.filters);
    if args.all {
        return all(ctx, request.stream(), limit).await;
    }
    let page = i32::try_from(args.page).map_err(|_| CliError::Usage("--page too large".into()))?;
    let list = request.page(page).send().await?.into_inner();
    match ctx.output.format {
        Format::Jsonl => {
            for lead in &list.leads {
                ctx.output.json_line(lead)?;
            }
            Ok(())
        }
        Format::Json => ctx.output.json_document(&list),
        Format::Table => {
            output::print_leads_table(&list.leads)?;
            let first = u64::from(args.page) * u64::from(limit.get());
            let shown = list.leads.len() as u64;
            if list.leads.is_empty() {
                eprintln!("no leads on page {} ({} match)", args.page, list.count);
            } else {
                let more = if first + shown < list.count {
                    format!("; --page {} for more, --all for every page", args.page + 1)
                } else {
                    String::new()
                };
                eprintln!(
                    "leads {}-{} of {}{more}",
                    first + 1,
                    first + shown,
                    list.count
                );
            }
            Ok(())
        }
    }
}

/// Every page: JSON Lines are printed as they arrive; a JSON document or a table once
/// the walk is done, the document's `count` being the number of leads walked.
async fn all(
    ctx: &Context,
    mut leads: futures::stream::BoxStream<'_, Result<Lead, leads_client::Error<types::Error>>>,
    limit: NonZeroU32,
) -> Result<(), CliError> {
    let mut collected: Vec<Lead> = Vec::new();
    while let Some(lead) = leads.try_next().await? {
        if ctx.output.format == Format::Jsonl {
            ctx.output.json_line(&lead)?;
        } else {
            collected.push(lead);
        }
    }
    match ctx.output.format {
        Format::Jsonl => Ok(()),
        Format::Json => ctx.output.json_document(&LeadList {
            per_page: limit,
            count: collected.len() as u64,
            leads: collected,
            next: None,
        }),
        Format::Table => {
            output::print_leads_table(&collected)?;
            eprintln!("{} lead(s)", collected.len());
            Ok(())
        }
    }
}
