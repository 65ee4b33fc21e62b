//! The worked example of a backend, `leads-api`'s in-memory `memory` example, keeps the
//! live contract and survives the fuzzer, run as a backend author runs them against a
//! deployment of their own: through `--base-url`, with the credentials it prints.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use xtask::contract::{self, fuzz::Budget, Options, Plan};

/// The running example, killed when dropped.
struct Example(Child);

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Builds the example and returns its executable, as cargo reports it.
fn example_binary() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .current_dir(leads_e2e_tests::workspace_root())
        .args([
            "build",
            "--quiet",
            "--package",
            "leads-api",
            "--example",
            "memory",
            "--message-format=json-render-diagnostics",
        ])
        .stderr(Stdio::inherit())
        .output()
        .expect("cargo runs");
    assert!(output.status.success(), "the memory example builds");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["target"]["name"] == "memory")
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .expect("cargo reports the example's executable")
}

/// Starts the example on a free port; returns it with the `name: value` lines it printed.
fn start() -> (Example, HashMap<String, String>) {
    let mut child = Command::new(example_binary())
        .args(["--addr", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the example starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let example = Example(child);
    let mut printed = HashMap::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("the example's output is UTF-8");
        let (name, value) = line.split_once(": ").expect("a `name: value` line");
        printed.insert(name.to_owned(), value.to_owned());
        // The base URL comes last, once the listener is open.
        if name == "base-url" {
            return (example, printed);
        }
    }
    panic!("the example exited without printing its base URL: {printed:?}");
}

#[test]
fn the_in_memory_example_keeps_the_live_contract_and_survives_fuzzing() {
    let (_example, printed) = start();
    let get = |name: &str| {
        printed
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("the example prints `{name}`: {printed:?}"))
    };
    let options = Options {
        base_url: Some(get("base-url")),
        email: Some(get("email")),
        password: Some(get("password")),
        token: None,
        project: Some(get("project")),
        owner: Some((get("owner-email"), get("owner-password"))),
        low_role: Some((get("low-role-email"), get("low-role-password"))),
        outsider: Some((
            get("outsider-email"),
            get("outsider-password"),
            get("outsider-project"),
        )),
    };
    let plan = Plan {
        contract: true,
        fuzz: Some(Budget::default()),
    };
    let outcome = contract::execute(&options, plan).expect("the contract runs");
    let problems: Vec<String> = outcome.problems().iter().map(ToString::to_string).collect();
    assert!(
        problems.is_empty(),
        "the in-memory example breaks the contract:\n{}",
        problems.join("\n")
    );
    let run = &outcome.runs[0];
    let report = run.contract.as_ref().expect("the contract ran");
    assert!(
        report.skipped.is_empty(),
        "every fixture was given, yet cases were skipped: {:?}",
        report.skipped
    );
    assert!(report.cases > 100, "only {} cases ran", report.cases);
    let fuzz = run.fuzz.as_ref().expect("the fuzzer ran");
    assert!(!fuzz.timed_out, "the fuzzer ran out of time");
}
