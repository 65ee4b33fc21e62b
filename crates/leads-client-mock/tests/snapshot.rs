//! The committed snapshot of the generated mocks, and the spec this crate ships, are what
//! the build uses today.

#[test]
fn committed_snapshot_and_packaged_spec_are_fresh() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/leads_client_mock.rs"));
    let crate_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    if let Err(stale) = leads_codegen::snapshot::check(crate_dir, generated) {
        panic!("{stale}");
    }
}
