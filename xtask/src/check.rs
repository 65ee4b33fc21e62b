//! `cargo xtask check`: every agreement check in one run.

use crate::{agreement, codegen, contract, problem::Problem, release, XtaskError};

/// One step of the check, with its name for progress output.
type Step = (&'static str, fn() -> Result<Vec<Problem>, XtaskError>);

/// The steps, cheapest first.
pub const STEPS: &[Step] = &[
    ("spec rules", lint_problems),
    ("generated snapshots", codegen::problems),
    ("released contract", release::check),
    ("type agreement", agreement::problems),
    ("live contract and fuzzing", live_problems),
];

/// The live contract and the fuzzer, against a fresh reference server.
fn live_problems() -> Result<Vec<Problem>, XtaskError> {
    let plan = contract::Plan {
        contract: true,
        fuzz: Some(contract::fuzz::Budget::default()),
    };
    let outcome = contract::execute(&contract::Options::default(), plan)?;
    Ok(outcome.problems())
}

fn lint_problems() -> Result<Vec<Problem>, XtaskError> {
    let problems = leads_codegen::lint::lint_file(&crate::project::spec_file())?;
    Ok(problems.into_iter().map(Problem::Lint).collect())
}

/// Runs every step and collects the problems.
pub fn problems(mut progress: impl FnMut(&str, usize)) -> Result<Vec<Problem>, XtaskError> {
    let mut all = Vec::new();
    for (name, step) in STEPS {
        let found = step()?;
        progress(name, found.len());
        all.extend(found);
    }
    Ok(all)
}

/// Prints the problems as lines or as JSON; fails when there is any.
pub fn run(json: bool) -> Result<(), XtaskError> {
    let problems = problems(|name, count| {
        if !json {
            let verdict = if count == 0 {
                "ok".to_owned()
            } else {
                format!("{count} problem(s)")
            };
            eprintln!("check: {name}: {verdict}");
        }
    })?;
    if json {
        let list: Vec<_> = problems.iter().map(Problem::to_json).collect();
        println!("{}", serde_json::Value::Array(list));
    } else {
        for problem in &problems {
            println!("{problem}");
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(XtaskError::Problems(problems.len()))
    }
}
