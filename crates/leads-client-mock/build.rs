//! Generates, from the spec shipped in this package (`openapi/leads.yaml`), the typed mocks
//! into `OUT_DIR/leads_client_mock.rs`.

fn main() {
    leads_codegen::build::generate(
        "the leads client mocks",
        &[(leads_codegen::mock::generate, "leads_client_mock.rs")],
    );
}
