//! The server generator's output for each fixture spec in `tests/fixtures/*.yaml` is the
//! committed `tests/fixtures/<name>.rs`. Refresh them with
//! `UPDATE_SNAPSHOTS=1 cargo test -p leads-codegen --test server_snapshots`.

use std::path::{Path, PathBuf};

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut specs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/fixtures exists")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    specs.sort();
    specs
}

#[test]
fn generated_servers_match_their_snapshots() {
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1");
    let specs = fixtures();
    assert!(specs.len() >= 3, "the fixtures are missing: {specs:?}");
    let mut stale = Vec::new();
    for spec_path in specs {
        let spec = leads_codegen::spec::load(&spec_path).expect("the fixture parses");
        let generated = leads_codegen::server::generate(&spec)
            .unwrap_or_else(|e| panic!("{}: {e}", spec_path.display()));
        let snapshot = spec_path.with_extension("rs");
        if update {
            std::fs::write(&snapshot, &generated).expect("write the snapshot");
            continue;
        }
        let committed = std::fs::read_to_string(&snapshot).unwrap_or_default();
        if committed != generated {
            let line = committed
                .lines()
                .zip(generated.lines())
                .position(|(a, b)| a != b)
                .map_or_else(|| "the end".to_owned(), |n| format!("line {}", n + 1));
            stale.push(format!(
                "{} (first difference at {line})",
                snapshot.display()
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "the generated server differs from these snapshots:\n  {}\nIf the change is intended, run \
         `UPDATE_SNAPSHOTS=1 cargo test -p leads-codegen --test server_snapshots`, review the \
         diff and commit it.",
        stale.join("\n  ")
    );
}

/// The leads spec itself generates, and every trait method is there.
#[test]
fn the_leads_spec_generates_one_method_per_operation() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi");
    let spec = leads_codegen::spec::load(&leads_codegen::spec::root_document(&root)).expect("spec");
    let code = leads_codegen::server::generate(&spec).expect("generates");
    for method in [
        "signin",
        "list_leads",
        "create_lead",
        "export_leads_csv",
        "get_lead",
        "update_lead",
        "delete_lead",
        "delete_lead_physically",
        "add_lead_tags",
        "remove_lead_tag",
        "merge_lead_attributes",
        "merge_lead_properties",
        "add_lead_properties",
    ] {
        assert!(
            code.contains(&format!("async fn {method}(")),
            "no method `{method}`"
        );
    }
    assert!(
        code.contains("async fn signin(&self, body: types::SigninRequest) -> responses::Signin;")
    );
    assert!(
        !code.contains("HeaderMap,\n    ) -> responses"),
        "no transport types in signatures"
    );
}
