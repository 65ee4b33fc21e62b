//! `cargo xtask contract`: the live contract, against the reference server or any deployment.
//!
//! Without `--base-url` the reference server is built, seeded with an owner, an agent, a
//! member below agent and a member of another project, and started on a temporary SQLite
//! database. With `--base-url` the cases run against a deployment someone else runs, as the
//! given caller; cases that need a fixture it lacks are skipped, and say so.

pub mod cases;
pub mod fuzz;
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

/// Runs the fuzzer against `upstream` as `fixture`.
pub async fn run_fuzz(
    spec: &SpecIndex,
    upstream: &str,
    fixture: Fixture,
    budget: fuzz::Budget,
) -> fuzz::FuzzReport {
    fuzz::Fuzzer::new(spec, upstream, fixture).run(budget).await
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

/// What to run against a target.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Run the contract cases.
    pub contract: bool,
    /// Fuzz with this budget.
    pub fuzz: Option<fuzz::Budget>,
}

/// Everything a run found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The contract's report, if it ran.
    pub contract: Option<Report>,
    /// The fuzzer's report, if it ran.
    pub fuzz: Option<fuzz::FuzzReport>,
}

impl Outcome {
    /// Every failure as a problem.
    pub fn problems(&self) -> Vec<Problem> {
        let mut all: Vec<Problem> = self.contract.iter().flat_map(problems).collect();
        all.extend(
            self.fuzz
                .iter()
                .flat_map(|report| report.failures.iter().cloned().map(Problem::Fuzz)),
        );
        all
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, XtaskError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| XtaskError::Reference(format!("cannot start a runtime: {e}")))
}

/// Runs `plan` against the target `options` name: a deployment, or the reference server.
pub fn execute(options: &Options, plan: Plan) -> Result<Outcome, XtaskError> {
    let runtime = runtime()?;
    let spec = spec_index()?;
    let server;
    let (base_url, fixture) = match &options.base_url {
        Some(base_url) => (base_url.clone(), fixture_from(options)?),
        None => {
            server = reference::ReferenceServer::start()?;
            (server.base_url.clone(), server.fixture.clone())
        }
    };
    let mut outcome = Outcome::default();
    if plan.contract {
        let report = runtime.block_on(run_cases(&spec, &base_url, fixture.clone(), None))?;
        outcome.contract = Some(report);
    }
    if let Some(budget) = plan.fuzz {
        outcome.fuzz = Some(runtime.block_on(run_fuzz(&spec, &base_url, fixture, budget)));
    }
    Ok(outcome)
}

/// Prints what a run found, with a summary per part.
pub fn print(outcome: &Outcome) {
    if let Some(report) = &outcome.contract {
        for skipped in &report.skipped {
            eprintln!("skipped: {skipped}");
        }
        eprintln!(
            "contract: {} cases, {} (operation, status) pairs reached, {} failure(s)",
            report.cases,
            report.covered.len(),
            report.failures.len()
        );
    }
    if let Some(report) = &outcome.fuzz {
        let cut = if report.timed_out {
            " (time limit reached)"
        } else {
            ""
        };
        eprintln!(
            "fuzz: {} requests, {} failure(s){cut}",
            report.requests,
            report.failures.len()
        );
    }
}

/// `cargo xtask contract` / `fuzz`: prints every failure and a summary; fails on any.
pub fn run(options: &Options, plan: Plan) -> Result<(), XtaskError> {
    let outcome = execute(options, plan)?;
    let problems = outcome.problems();
    for problem in &problems {
        println!("{problem}");
    }
    print(&outcome);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(XtaskError::Problems(problems.len()))
    }
}
