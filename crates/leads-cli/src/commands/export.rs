//! `leads export [-o FILE]`.

use super::apply_filters;
use crate::body;
use crate::cli::ExportArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::export;

/// Streams the CSV to the file (with a progress bar) or to standard output.
pub async fn run(ctx: &Context, args: &ExportArgs) -> Result<(), CliError> {
    let project = body::object_id("project", ctx.project()?)?;
    let request = ctx.client.export_leads_csv().project_id(project);
    let request = apply_filters!(request, &args.filters);
    let body = request.send().await?.into_inner();
    match &args.output {
        Some(path) => {
            let written = export::to_file(body, path).await?;
            eprintln!(
                "exported {} lead(s), {} bytes, to {}",
                written.rows,
                written.bytes,
                path.display()
            );
        }
        None => {
            export::to_stdout(body).await?;
        }
    }
    Ok(())
}
