//! Each step of `cargo xtask check` as a test, so `cargo test --workspace` is the one gate.

use xtask::check::STEPS;

fn run_step(name: &str) {
    let (_, step) = STEPS
        .iter()
        .find(|(step_name, _)| *step_name == name)
        .unwrap_or_else(|| panic!("`cargo xtask check` has a step named {name}"));
    let problems = step().unwrap_or_else(|e| panic!("{name}: {e}"));
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        problems.is_empty(),
        "`cargo xtask check` step `{name}` found problems:\n{}",
        lines.join("\n")
    );
}

#[test]
fn spec_rules() {
    run_step("spec rules");
}

#[test]
fn generated_snapshots_are_fresh() {
    run_step("generated snapshots");
}

#[test]
fn released_contract_is_kept() {
    run_step("released contract");
}

#[test]
fn types_agree_with_the_spec() {
    run_step("type agreement");
}

#[test]
fn the_reference_server_keeps_the_live_contract_and_survives_fuzzing() {
    run_step("live contract and fuzzing");
}
