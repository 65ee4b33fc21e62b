//! One module per group of subcommands; each turns arguments into client calls.

mod completions;
mod export;
mod import;
mod lead;
mod list;
mod login;

use crate::cli::{Cli, Command, Filters};
use crate::context;
use crate::error::CliError;

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let global = &cli.global;
    match &cli.command {
        Command::Completions(args) => completions::run(args),
        Command::Login(args) => login::login(global, args).await,
        Command::Logout => login::logout(),
        Command::List(args) => list::run(&context::connect(global, false)?, args).await,
        Command::Get(args) => lead::get(&context::connect(global, false)?, args).await,
        Command::Create(args) => lead::create(&context::connect(global, false)?, args).await,
        Command::Update(args) => lead::update(&context::connect(global, false)?, args).await,
        Command::Delete(args) => lead::delete(&context::connect(global, false)?, args).await,
        Command::Restore(args) => lead::restore(&context::connect(global, false)?, args).await,
        Command::Tag(command) => lead::tag(&context::connect(global, false)?, command).await,
        Command::Attributes(command) => {
            lead::merge(
                &context::connect(global, false)?,
                command,
                lead::Target::Attributes,
            )
            .await
        }
        Command::Properties(command) => {
            lead::merge(
                &context::connect(global, false)?,
                command,
                lead::Target::Properties,
            )
            .await
        }
        Command::Export(args) => export::run(&context::connect(global, true)?, args).await,
        Command::Import(args) => import::run(global, args).await,
    }
}

/// The tags of a filter, checked against the spec's tag rule.
fn tags(filters: &Filters) -> Result<Vec<leads_client::types::Tag>, CliError> {
    filters
        .tags
        .iter()
        .map(|tag| {
            leads_client::types::Tag::try_from(tag.as_str())
                .map_err(|e| CliError::Usage(format!("--tag {tag:?}: {e}")))
        })
        .collect()
}

/// Applies the shared filters to a `list_leads` or `export_leads_csv` builder: the two
/// builders are distinct generated types with the same setters.
macro_rules! apply_filters {
    ($builder:expr, $filters:expr) => {{
        let filters: &$crate::cli::Filters = $filters;
        let mut builder = $builder;
        if let Some(email) = &filters.email {
            builder = builder.email(email.as_str());
        }
        if let Some(words) = &filters.full_text {
            builder = builder.full_text(words.as_str());
        }
        if let Some(with) = filters.with_email {
            builder = builder.with_email(with);
        }
        if let Some(with) = filters.with_fullname {
            builder = builder.with_fullname(with);
        }
        if !filters.tags.is_empty() {
            builder = builder.tags($crate::commands::tags(filters)?);
        }
        if let Some(status) = filters.status {
            builder = builder.status(status.code());
        }
        if let Some(sort) = filters.sort {
            builder = builder.sort(sort.api_name());
        }
        if let Some(direction) = filters.direction {
            builder = builder.direction(match direction {
                $crate::cli::Direction::Asc => 1,
                $crate::cli::Direction::Desc => -1,
            });
        }
        builder
    }};
}
pub(crate) use apply_filters;
