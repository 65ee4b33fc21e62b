//! `leads list`: one page, or every page with `--all`.

use std::num::NonZeroU32;

use leads_client::types::{Lead, LeadList};

use super::apply_filters;
use crate::body;
use crate::cli::ListArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::{self, Format};

/// The largest page the API serves; `--all` asks for it unless `--limit` says otherwise.
const MAX_LIMIT: u32 = 100;

/// Lists one page or, with `--all`, follows the pages to the end.
pub async fn run(ctx: &Context, args: &ListArgs) -> Result<(), CliError> {
    let project = body::object_id("project", ctx.project()?)?;
    let limit = args.limit.unwrap_or(if args.all { MAX_LIMIT } else { 40 });
    let limit = NonZeroU32::new(limit).ok_or_else(|| CliError::Usage("--limit 0".into()))?;
    let mut page = args.page;
    let mut collected: Vec<Lead> = Vec::new();
    let mut last: LeadList;
    loop {
        let request = ctx
            .client
            .list_leads()
            .project_id(project.clone())
            .limit(limit)
            .page(i32::try_from(page).map_err(|_| CliError::Usage("--page too large".into()))?);
        let request = apply_filters!(request, &args.filters);
        last = request.send().await?.into_inner();
        let fetched = last.leads.len();
        if ctx.output.format == Format::Jsonl {
            for lead in &last.leads {
                ctx.output.json_line(lead)?;
            }
        } else {
            collected.append(&mut last.leads);
        }
        let seen = u64::from(page + 1) * u64::from(last.per_page.get());
        if !args.all || fetched == 0 || seen >= last.count {
            break;
        }
        page += 1;
    }
    match ctx.output.format {
        Format::Jsonl => Ok(()),
        Format::Json => {
            last.leads = collected;
            ctx.output.json_document(&last)
        }
        Format::Table => {
            output::print_leads_table(&collected)?;
            let first = u64::from(args.page) * u64::from(limit.get());
            if args.all {
                eprintln!("{} lead(s)", collected.len());
            } else if collected.is_empty() {
                eprintln!("no leads on page {} ({} match)", args.page, last.count);
            } else {
                let more = if first + (collected.len() as u64) < last.count {
                    format!("; --page {} for more, --all for every page", args.page + 1)
                } else {
                    String::new()
                };
                eprintln!(
                    "leads {}-{} of {}{more}",
                    first + 1,
                    first + collected.len() as u64,
                    last.count
                );
            }
            Ok(())
        }
    }
}
