//! Converts the spec shipped in this package, `openapi/leads.yaml`, to JSON and makes
//! Redoc's bundle offline at build time, so the crate embeds a spec known to parse and
//! serving the pages can never fail at run time. Paths are read from the environment when
//! the script runs and watched relative to the package, so a build always reads the
//! checkout it builds.

use std::path::PathBuf;

#[path = "src/patch.rs"]
#[allow(dead_code)]
mod patch;

fn main() {
    if let Err(error) = convert() {
        eprintln!("error: cannot embed the leads OpenAPI document: {error}");
        std::process::exit(1);
    }
}

fn convert() -> Result<(), Box<dyn std::error::Error>> {
    let package = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let spec_file = package.join("openapi/leads.yaml");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=openapi");
    println!("cargo:rerun-if-changed=openapi/leads.yaml");
    println!("cargo:rerun-if-changed=assets");
    println!("cargo:rerun-if-changed=assets/redoc.standalone.js");
    println!("cargo:rerun-if-changed=src/patch.rs");
    let yaml =
        std::fs::read_to_string(&spec_file).map_err(|e| format!("{}: {e}", spec_file.display()))?;
    // `serde_yaml_ng::Value` keeps the document's key order, so paths and schemas appear
    // in the reference in the order the spec's authors chose.
    let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(&yaml)?;
    let json = serde_json::to_string_pretty(&value)?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("openapi.yaml"), &yaml)?;
    std::fs::write(out.join("openapi.json"), json)?;
    std::fs::write(out.join("info.rs"), info_consts(&value))?;
    let upstream = std::fs::read_to_string(package.join("assets/redoc.standalone.js"))?;
    std::fs::write(
        out.join("redoc.offline.js"),
        patch::offline_bundle(&upstream)?,
    )?;
    Ok(())
}

/// The `info` fields the landing page shows, as Rust constants.
fn info_consts(spec: &serde_yaml_ng::Value) -> String {
    let text = |key: &str| {
        spec.get("info")
            .and_then(|info| info.get(key))
            .and_then(serde_yaml_ng::Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let description = text("description");
    let summary = description
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "/// `info.title`.\npub const TITLE: &str = {:?};\n\
         /// `info.version`.\npub const VERSION: &str = {:?};\n\
         /// The first paragraph of `info.description`.\npub const SUMMARY: &str = {:?};\n",
        text("title"),
        text("version"),
        summary
    )
}
