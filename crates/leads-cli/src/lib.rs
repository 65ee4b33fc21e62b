//! `leads`, a command line for the Tiledesk leads API, built on the generated
//! [`leads_client`]: every request goes through it, so the CLI follows the spec.
//!
//! The binary is a thin `main` over [`main`]; the modules each have one job:
//! [`cli`] (arguments), `commands` (one module per group of subcommands), [`output`]
//! (table, JSON, JSON Lines), [`config`] (the stored token), [`export`] and [`import`]
//! (files), [`csv_format`] (the server's CSV format) and [`error`] (exit codes).

pub mod body;
pub mod cli;
mod commands;
pub mod config;
pub mod context;
pub mod csv_format;
pub mod error;
pub mod export;
pub mod import;
pub mod output;

use std::process::ExitCode;

use clap::Parser as _;

pub use error::CliError;

/// Parses the command line, runs the command, prints any error on one line of stderr,
/// and returns the exit code: 0 success, 1 API or I/O failure, 2 usage error.
pub fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints help and version to stdout (exit 0) and usage errors to stderr (2).
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        // `leads list | head`: the reader has had enough; that is not an error.
        Err(CliError::Output(error)) if error.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {}", one_line(&error.to_string()));
            ExitCode::from(error.exit_code())
        }
    }
}

/// Errors are printed on one line, whatever the server put in `msg`.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
