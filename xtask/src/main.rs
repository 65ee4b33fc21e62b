//! Project automation, run as `cargo xtask <task>`.
//!
//! Each task is one module with a `run` function. Every check here is also a `#[test]`
//! somewhere in the workspace, so `cargo test --workspace` alone catches what the tasks catch.

mod codegen;
mod error;
mod lint;
mod project;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use error::XtaskError;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Codegen { check } => codegen::run(check),
        Task::Lint => lint::run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
