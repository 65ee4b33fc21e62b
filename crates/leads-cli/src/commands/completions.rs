//! `leads completions SHELL`.

use clap::CommandFactory as _;

use crate::cli::{Cli, CompletionsArgs};
use crate::error::CliError;

/// Prints the completion script for the shell.
pub fn run(args: &CompletionsArgs) -> Result<(), CliError> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "leads", &mut std::io::stdout());
    Ok(())
}
