//! Generates the server trait, models and router from the spec shipped in this package,
//! `openapi/leads.yaml`, into `OUT_DIR/leads_api.rs`.

fn main() {
    leads_codegen::build::generate(
        "the leads API",
        &[(leads_codegen::server::generate, "leads_api.rs")],
    );
}
