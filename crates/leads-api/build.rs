//! Generates the server trait, models and router from `openapi/` into `OUT_DIR/leads_api.rs`.

use std::path::{Path, PathBuf};

fn main() {
    if let Err(error) = generate() {
        eprintln!("error: cannot generate the leads API: {error}");
        std::process::exit(1);
    }
}

fn generate() -> Result<(), Box<dyn std::error::Error>> {
    let spec_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={}", spec_dir.display());
    for file in leads_codegen::spec::files(&spec_dir)? {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    let spec = leads_codegen::spec::load(&leads_codegen::spec::root_document(&spec_dir))?;
    let code = leads_codegen::server::generate(&spec)?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("leads_api.rs");
    std::fs::write(out, code)?;
    Ok(())
}
