//! `cargo xtask contract`: the live contract, against the reference server or any deployment.
//!
//! Without `--base-url` the reference server is built, seeded with an owner, an agent, a
//! member below agent and a member of another project, and started on a temporary SQLite
//! database. With `--base-url` the cases run against a deployment someone else runs, as the
//! given caller; cases that need a fixture it lacks are skipped, and say so.

pub mod cases;
pub mod proxy;
pub mod reference;
pub mod spec;

use leads_client::Auth;
use serde_json::Value;

use crate::{project, Problem, XtaskError};
pub use cases::{Failure, Fixture, Report};
pub use proxy::{Exchange, Mutation, Proxy};
pub use spec::SpecIndex;

/// Where the contract runs.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// A deployment's base URL, e.g. `https://api.example.com/v1`; none starts the
    /// reference server.
    pub base_url: Option<String>,
    /// The caller's email, with `password`.
    pub email: Option<String>,
    /// The caller's password.
    pub password: Option<String>,
    /// A token instead of email and password.
    pub token: Option<String>,
    /// The project to test in.
    pub project: Option<String>,
}

/// Loads the spec and indexes it.
pub fn spec_index() -> Result<SpecIndex, XtaskError> {
    let text =
        std::fs::read_to_string(project::spec_file()).map_err(|source| XtaskError::Read {
            path: "openapi/leads.yaml".to_owned(),
            source,
        })?;
    let doc: Value = serde_yaml_ng::from_str(&text).map_err(|e| XtaskError::Spec(e.to_string()))?;
    Ok(SpecIndex::new(&doc))
}

/// Runs every case against `upstream` as `fixture`, optionally through a seeded fault.
pub async fn run_cases(
    spec: &SpecIndex,
    upstream: &str,
    fixture: Fixture,
    mutation: Option<Mutation>,
) -> Result<Report, XtaskError> {
    let proxy = Proxy::start(upstream, mutation)
        .await
        .map_err(|e| XtaskError::Reference(format!("cannot start the recording proxy: {e}")))?;
    Ok(cases::Runner::new(spec, &proxy, fixture).run().await)
}

/// The failures of a report as problems.
pub fn problems(report: &Report) -> Vec<Problem> {
    report
        .failures
        .iter()
        .cloned()
        .map(Problem::Contract)
        .collect()
}

fn fixture_from(options: &Options) -> Result<Fixture, XtaskError> {
    let project = options
        .project
        .clone()
        .ok_or_else(|| XtaskError::Usage("--base-url needs --project".to_owned()))?;
    let (agent, signin) = match (&options.token, &options.email, &options.password) {
        (Some(token), _, _) => (Auth::jwt(token), None),
        (None, Some(email), Some(password)) => (
            Auth::basic(email, password),
            Some((email.clone(), password.clone())),
        ),
        _ => {
            return Err(XtaskError::Usage(
                "--base-url needs --email and --password, or --token".to_owned(),
            ))
        }
    };
    Ok(Fixture {
        project,
        agent,
        signin,
        owner: None,
        low_role: None,
        outsider: None,
    })
}

/// Runs the contract as `options` say, and returns its problems.
pub fn contract_problems(options: &Options) -> Result<(Report, Vec<Problem>), XtaskError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| XtaskError::Reference(format!("cannot start a runtime: {e}")))?;
    let spec = spec_index()?;
    let report = match &options.base_url {
        Some(base_url) => {
            let fixture = fixture_from(options)?;
            runtime.block_on(run_cases(&spec, base_url, fixture, None))?
        }
        None => {
            let server = reference::ReferenceServer::start()?;
            runtime.block_on(run_cases(
                &spec,
                &server.base_url,
                server.fixture.clone(),
                None,
            ))?
        }
    };
    let problems = problems(&report);
    Ok((report, problems))
}

/// `cargo xtask contract`: prints every failure and a summary; fails on any failure.
pub fn run(options: &Options) -> Result<(), XtaskError> {
    let (report, problems) = contract_problems(options)?;
    for skipped in &report.skipped {
        eprintln!("skipped: {skipped}");
    }
    for problem in &problems {
        println!("{problem}");
    }
    eprintln!(
        "contract: {} cases, {} (operation, status) pairs reached, {} failure(s)",
        report.cases,
        report.covered.len(),
        problems.len()
    );
    if problems.is_empty() {
        Ok(())
    } else {
        Err(XtaskError::Problems(problems.len()))
    }
}
