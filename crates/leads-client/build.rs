//! Generates the client from the spec shipped in this package, `openapi/leads.yaml`, into
//! `OUT_DIR/leads_client.rs`.

fn main() {
    leads_codegen::build::generate(
        "the leads client",
        leads_codegen::client::generate,
        "leads_client.rs",
    );
}
