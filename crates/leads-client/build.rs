//! Generates, from the spec shipped in this package (`openapi/leads.yaml`), the client into
//! `OUT_DIR/leads_client.rs` and the request schemas it checks requests against into
//! `OUT_DIR/request_schemas.json`.

fn main() {
    leads_codegen::build::generate(
        "the leads client",
        &[
            (leads_codegen::client::generate, "leads_client.rs"),
            (leads_codegen::requests::generate, "request_schemas.json"),
        ],
    );
}
