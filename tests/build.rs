//! Marks the suites that need Node.js (Tiledesk's own JavaScript SDK) as ignored, with a
//! reason that shows in `cargo test`'s output, where `node` and `npm` cannot run.

use std::process::Command;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rustc-check-cfg=cfg(leads_node_tests)");
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
