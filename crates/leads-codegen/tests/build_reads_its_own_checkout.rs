//! A build generates from the spec of the checkout it builds, even when two checkouts
//! share one target directory (git worktrees with a global `CARGO_TARGET_DIR`).
//!
//! Two copies of a small crate whose build script calls `leads_codegen::build` share a
//! target directory. Cargo reuses one compiled build script for both (their paths relative
//! to their workspaces are equal), so a script that baked its package path in at compile
//! time, or watched absolute paths, would generate the second from the first's spec.
//!
//! Cargo decides freshness by modification time: an edit is seen when it is newer than the
//! other checkout's last build. Each edit below is made after the other checkout built.

use std::path::{Path, PathBuf};
use std::process::Command;

const SPEC: &str = include_str!("fixtures/small.yaml");

/// Writes a checkout of the probe crate into `dir`.
fn checkout(dir: &Path, codegen: &Path, lock: &str) {
    std::fs::create_dir_all(dir.join("src")).expect("src");
    std::fs::create_dir_all(dir.join("openapi")).expect("openapi");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"probe\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [build-dependencies]\nleads-codegen = {{ path = {:?} }}\n\n[workspace]\n",
            codegen.display().to_string()
        ),
    )
    .expect("manifest");
    std::fs::write(dir.join("Cargo.lock"), lock).expect("lock");
    std::fs::write(
        dir.join("build.rs"),
        "fn main() {\n    leads_codegen::build::generate(\"the probe\", &[(leads_codegen::client::generate, \"client.rs\")]);\n}\n",
    )
    .expect("build.rs");
    std::fs::write(dir.join("src/lib.rs"), "").expect("lib.rs");
    rename_operation(dir, "getItem");
}

fn rename_operation(dir: &Path, id: &str) {
    std::fs::write(
        dir.join("openapi/leads.yaml"),
        SPEC.replace("operationId: getItem", &format!("operationId: {id}")),
    )
    .expect("spec");
}

/// Builds the checkout in `dir` into `target`; answers the generated client.
fn build(dir: &Path, target: &Path) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .args(["build", "--quiet", "--message-format=json"])
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "building {} failed:\n{}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let out_dir = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "build-script-executed")
        .filter(|message| {
            message["package_id"]
                .as_str()
                .is_some_and(|id| id.contains("probe"))
        })
        .find_map(|message| message["out_dir"].as_str().map(PathBuf::from))
        .expect("cargo reports the build script's OUT_DIR");
    std::fs::read_to_string(out_dir.join("client.rs")).expect("the generated client")
}

#[test]
fn each_checkout_generates_from_its_own_spec() {
    let codegen = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = codegen.join("../..");
    let lock = std::fs::read_to_string(workspace.join("Cargo.lock")).expect("Cargo.lock");
    // Kept between runs, so the generators' dependencies build once.
    let target = workspace.join("target/two-checkouts");
    let root = std::env::temp_dir().join(format!("leads-two-checkouts-{}", std::process::id()));
    let (a, b) = (root.join("a"), root.join("b"));
    checkout(&a, codegen, &lock);
    checkout(&b, codegen, &lock);

    let first = build(&a, &target);
    assert!(
        first.contains("pub fn get_item("),
        "A generates from its spec"
    );

    rename_operation(&b, "fetchItem");
    let second = build(&b, &target);
    assert!(
        second.contains("pub fn fetch_item(") && !second.contains("pub fn get_item("),
        "B generates from B's spec, not A's"
    );

    rename_operation(&a, "readItem");
    let third = build(&a, &target);
    assert!(
        third.contains("pub fn read_item(") && !third.contains("pub fn fetch_item("),
        "A generates from A's spec, not B's"
    );
    std::fs::remove_dir_all(root).ok();
}
