//! Proof that the trait follows the spec: generated from a fixture spec, a complete backend
//! compiles; generated from the same spec plus one operation, that backend no longer does,
//! and the compiler names the missing method.
//!
//! The fixtures live in `crates/leads-codegen/tests/fixtures`; the `ui` cases `include!`
//! their committed output, which this test first checks is what the generator writes now.

use std::path::Path;

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../leads-codegen/tests/fixtures")
}

#[test]
fn the_ui_cases_use_the_current_generator_output() {
    for name in ["small", "small_extra", "every_construct"] {
        let spec =
            leads_codegen::spec::load(&fixtures().join(format!("{name}.yaml"))).expect("fixture");
        let generated = leads_codegen::server::generate(&spec).expect("generates");
        let committed =
            std::fs::read_to_string(fixtures().join(format!("{name}.rs"))).unwrap_or_default();
        assert!(
            committed == generated,
            "crates/leads-codegen/tests/fixtures/{name}.rs is stale; run \
             `UPDATE_SNAPSHOTS=1 cargo test -p leads-codegen --test server_snapshots`"
        );
    }
}

#[test]
fn an_implementation_must_have_every_operation() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/small_complete.rs");
    cases.pass("tests/ui/every_construct_complete.rs");
    cases.compile_fail("tests/ui/small_missing_new_operation.rs");
}
