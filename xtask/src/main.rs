//! `cargo xtask`: see the crate docs of `xtask` for the tasks.

mod docs;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use xtask::{check, codegen, lint, release};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Automation for the leads workspace")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Regenerate the committed snapshots of the generated client and server code.
    Codegen {
        /// Only report stale snapshots; write nothing.
        #[arg(long)]
        check: bool,
    },
    /// Check openapi/leads.yaml against the project's spec rules.
    Lint,
    /// Prove that spec, generated code and released contract agree; non-zero on any problem.
    Check {
        /// How to print the problems.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Record the current spec as the released baseline of its version.
    Release,
    /// Write the offline API reference to target/docs/ and the crate docs to target/doc/.
    Docs {
        /// Instead, refresh the vendored Redoc bundle from the npm registry (needs npm).
        #[arg(long)]
        update_renderer: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// One line per problem.
    Text,
    /// A JSON array of problems.
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Codegen { check } => codegen::run(check),
        Task::Lint => lint::run(),
        Task::Check { format } => check::run(matches!(format, Format::Json)),
        Task::Release => release::run(),
        Task::Docs { update_renderer } => docs::run(update_renderer),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
