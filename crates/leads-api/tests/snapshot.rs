//! The committed snapshot of the generated server code is what the build generates today.

#[test]
fn committed_snapshot_matches_the_generated_api() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/leads_api.rs"));
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/generated.rs");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()))
            + 1;
        panic!(
            "crates/leads-api/generated.rs is stale: it differs from the code generated \
             from openapi/leads.yaml at line {line}. Run `cargo xtask codegen` and commit the result."
        );
    }
}
