//! `cargo xtask contract`: the live contract, against the reference server or any deployment.
//!
//! Without `--base-url` the reference server is built, seeded with an owner, an agent, a
//! member below agent and a member of another project, and started on a temporary SQLite
//! database, and on a fresh PostgreSQL database when `LEADS_TEST_POSTGRES_URL` is set: a
//! difference between the backends is a failure of one of them. With `--base-url` the cases run against a deployment someone else runs, as the
//! given caller; cases that need a fixture it lacks (an owner, a member below agent, a
//! member of another project) are skipped, and say so, unless their credentials are given.

pub mod cases;
pub mod fuzz;
pub mod proxy;
pub mod reference;
pub mod spec;

use leads_client::Auth;
use serde_json::Value;

use leads_e2e_tests::{Backend, POSTGRES_ENV};

use crate::{project, Problem, XtaskError};
pub use cases::{Failure, Fixture, Report};
pub use proxy::{Exchange, Fault, Mutation, Proxy, Rewrite};
pub use spec::SpecIndex;

/// The fields of a lead that writes store and reads must give back unchanged; timestamps
/// and revisions are the server's.
const STORED_FIELDS: &[&str] = &[
    "lead_id",
    "fullname",
    "email",
    "phone",
    "company",
    "note",
    "street_address",
    "city",
    "region",
    "zipcode",
    "country",
    "tags",
    "status",
    "attributes",
    "properties",
];

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
    /// The project's owner, as email and password, for physical deletion.
    pub owner: Option<(String, String)>,
    /// A member of the project below `agent`, as email and password, for 403.
    pub low_role: Option<(String, String)>,
    /// A member of another project only, as email, password and that project's id.
    pub outsider: Option<(String, String, String)>,
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
    fault: Option<Fault>,
) -> Result<Report, XtaskError> {
    let proxy = Proxy::start_with(upstream, fault.unwrap_or_default())
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
        owner: options.owner.as_ref().map(|(e, p)| Auth::basic(e, p)),
        low_role: options.low_role.as_ref().map(|(e, p)| Auth::basic(e, p)),
        outsider: options
            .outsider
            .as_ref()
            .map(|(e, p, project)| (Auth::basic(e, p), project.clone())),
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

/// What one target answered: the reference server on one backend, or a deployment.
#[derive(Debug)]
pub struct Run {
    /// Which target, e.g. `the reference server on PostgreSQL`.
    pub target: String,
    /// The contract's report, if it ran.
    pub contract: Option<Report>,
    /// The fuzzer's report, if it ran.
    pub fuzz: Option<fuzz::FuzzReport>,
}

/// Everything a run found, per target.
#[derive(Debug, Default)]
pub struct Outcome {
    /// One run per target.
    pub runs: Vec<Run>,
}

impl Outcome {
    /// Every failure as a problem, naming its target when there are several; a fuzz run
    /// cut short by its time limit is one too.
    pub fn problems(&self) -> Vec<Problem> {
        let several = self.runs.len() > 1;
        let mut all = Vec::new();
        for run in &self.runs {
            let on = |detail: &str| {
                if several {
                    format!("on {}: {detail}", run.target)
                } else {
                    detail.to_owned()
                }
            };
            for failure in run.contract.iter().flat_map(|r| r.failures.iter()) {
                let mut failure = failure.clone();
                failure.detail = on(&failure.detail);
                all.push(Problem::Contract(failure));
            }
            if let Some(report) = &run.fuzz {
                for failure in &report.failures {
                    let mut failure = failure.clone();
                    failure.detail = on(&failure.detail);
                    all.push(Problem::Fuzz(failure));
                }
                if !report.unfinished.is_empty() {
                    all.push(Problem::FuzzCutShort {
                        target: run.target.clone(),
                        unfinished: report.unfinished.clone(),
                    });
                }
            }
        }
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

/// Runs `plan` against the target `options` name: a deployment, or the reference server on
/// SQLite and, when `LEADS_TEST_POSTGRES_URL` is set, on PostgreSQL too.
pub fn execute(options: &Options, plan: Plan) -> Result<Outcome, XtaskError> {
    let runtime = runtime()?;
    let spec = spec_index()?;
    let mut outcome = Outcome::default();
    if let Some(base_url) = &options.base_url {
        let fixture = fixture_from(options)?;
        let run = runtime.block_on(run_plan(&spec, base_url, fixture, plan, base_url.clone()))?;
        outcome.runs.push(run);
        return Ok(outcome);
    }
    let backends = Backend::available();
    if !backends.contains(&Backend::Postgres) {
        eprintln!("contract: {POSTGRES_ENV} is not set; the reference server runs on SQLite only");
    }
    for backend in backends {
        let server = reference::ReferenceServer::start(backend)?;
        let target = format!("the reference server on {}", reference::name(backend));
        let run = runtime.block_on(run_plan(
            &spec,
            &server.base_url,
            server.fixture.clone(),
            plan,
            target,
        ))?;
        outcome.runs.push(run);
    }
    Ok(outcome)
}

async fn run_plan(
    spec: &SpecIndex,
    base_url: &str,
    fixture: Fixture,
    plan: Plan,
    target: String,
) -> Result<Run, XtaskError> {
    let contract = if plan.contract {
        Some(run_cases(spec, base_url, fixture.clone(), None).await?)
    } else {
        None
    };
    let fuzz = match plan.fuzz {
        Some(budget) => Some(run_fuzz(spec, base_url, fixture, budget).await),
        None => None,
    };
    Ok(Run {
        target,
        contract,
        fuzz,
    })
}

/// Prints what a run found, with a summary per part and target.
pub fn print(outcome: &Outcome) {
    for run in &outcome.runs {
        if let Some(report) = &run.contract {
            for skipped in &report.skipped {
                eprintln!("skipped on {}: {skipped}", run.target);
            }
            eprintln!(
                "contract on {}: {} cases, {} (operation, status) pairs reached, {} failure(s)",
                run.target,
                report.cases,
                report.covered.len(),
                report.failures.len()
            );
        }
        if let Some(report) = &run.fuzz {
            let cut = if report.timed_out {
                " (time limit reached)"
            } else {
                ""
            };
            eprintln!(
                "fuzz on {}: {} requests, {} failure(s){cut}",
                run.target,
                report.requests,
                report.failures.len()
            );
        }
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
