//! Marks suites as ignored, with a reason that shows in `cargo test`'s output, where what
//! they need is missing: the PostgreSQL suites when `LEADS_TEST_POSTGRES_URL` is not set at
//! build time, and the suites that need Node.js (Tiledesk's own JavaScript SDK) where `node`
//! and `npm` cannot run.

use std::process::Command;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-env-changed=LEADS_TEST_POSTGRES_URL");
    println!("cargo::rustc-check-cfg=cfg(leads_node_tests)");
    println!("cargo::rustc-check-cfg=cfg(leads_postgres_tests)");
    if std::env::var_os("LEADS_TEST_POSTGRES_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=leads_postgres_tests");
    }
    let runs = |program: &str| {
        Command::new(program)
            .arg("--version")
            .output()
            .is_ok_and(|output| output.status.success())
    };
    if runs("node") && runs("npm") {
        println!("cargo::rustc-cfg=leads_node_tests");
    }
}
