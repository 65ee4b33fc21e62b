//! `cargo xtask docs`: the published docs, offline, into the target directory.
//!
//! Writes the API reference site (`leads_docs::write_site`) to `<target>/docs/` and runs
//! `cargo doc --workspace --no-deps`, so the landing page's links to `../doc/<crate>/`
//! resolve. `--update-renderer` refreshes the vendored Redoc bundle from the npm registry.

use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::{project, XtaskError};

/// Why the docs could not be built; printed, then reported as one problem.
#[derive(Debug, thiserror::Error)]
enum DocsError {
    #[error(transparent)]
    Site(#[from] leads_docs::WriteError),
    #[error("`{command}` failed ({status})")]
    Command { command: String, status: String },
    #[error("cannot run `{command}`: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the written site loads from the network: {0}")]
    Online(String),
    #[error("redoc@{version}: {source}")]
    Patch {
        version: &'static str,
        source: leads_docs::PatchError,
    },
}

/// Builds the docs, or with `update_renderer` refreshes the vendored Redoc bundle.
pub fn run(update_renderer: bool) -> Result<(), XtaskError> {
    let result = if update_renderer {
        update_renderer_bundle()
    } else {
        build()
    };
    result.map_err(|error| {
        eprintln!("error: {error}");
        XtaskError::Problems(1)
    })
}

/// `CARGO_TARGET_DIR` if set, else the workspace's `target/`.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => project::root().join(dir),
        None => project::root().join("target"),
    }
}

fn build() -> Result<(), DocsError> {
    let site = target_dir().join("docs");
    let written = leads_docs::write_site(&site)?;
    for file in &written {
        let text = std::fs::read_to_string(file).map_err(|source| DocsError::Io {
            path: file.clone(),
            source,
        })?;
        if let Some(load) = leads_docs::remote_loads(&text).first() {
            return Err(DocsError::Online(format!(
                "{}: …{}…",
                file.display(),
                load.excerpt
            )));
        }
    }
    println!(
        "API reference: {} files in {}",
        written.len(),
        site.display()
    );

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut doc = Command::new(cargo);
    doc.current_dir(project::root())
        .args(["doc", "--workspace", "--no-deps"]);
    run_command(doc, "cargo doc --workspace --no-deps")?;
    for (name, _) in leads_docs::CRATE_DOCS {
        let index = target_dir().join("doc").join(name).join("index.html");
        if !index.is_file() {
            eprintln!(
                "warning: the landing page links {}, which cargo doc did not write",
                index.display()
            );
        }
    }
    println!("open {}", site.join("index.html").display());
    Ok(())
}

fn run_command(mut command: Command, shown: &str) -> Result<(), DocsError> {
    let status = command.status().map_err(|source| DocsError::Spawn {
        command: shown.to_owned(),
        source,
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(DocsError::Command {
            command: shown.to_owned(),
            status: status.to_string(),
        })
    }
}

/// Fetches `redoc@REDOC_VERSION` with `npm pack` (no install scripts run) into a scratch
/// folder, checks that the offline patch still applies, and replaces the vendored files.
fn update_renderer_bundle() -> Result<(), DocsError> {
    let version = leads_docs::REDOC_VERSION;
    let scratch = target_dir().join(format!("xtask-redoc-{}", std::process::id()));
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| DocsError::Io { path, source }
    };
    std::fs::create_dir_all(&scratch).map_err(io(&scratch))?;
    let result = (|| {
        let spec = format!("redoc@{version}");
        let mut pack = Command::new("npm");
        pack.current_dir(&scratch)
            .args(["pack", "--silent", "--ignore-scripts", &spec]);
        run_command(pack, &format!("npm pack {spec}"))?;
        let tarball = scratch.join(format!("redoc-{version}.tgz"));
        let mut untar = Command::new("tar");
        untar.current_dir(&scratch).arg("xzf").arg(&tarball);
        run_command(untar, &format!("tar xzf {}", tarball.display()))?;

        let package = scratch.join("package");
        let bundle_path = package.join("bundles/redoc.standalone.js");
        let bundle = std::fs::read_to_string(&bundle_path).map_err(io(&bundle_path))?;
        leads_docs::offline_bundle(&bundle)
            .map_err(|source| DocsError::Patch { version, source })?;

        let assets = project::root().join("crates/leads-docs/assets");
        for (from, to) in [
            ("bundles/redoc.standalone.js", "redoc.standalone.js"),
            (
                "bundles/redoc.standalone.js.LICENSE.txt",
                "redoc.standalone.js.LICENSE.txt",
            ),
            ("LICENSE", "redoc.LICENSE"),
        ] {
            let (from, to) = (package.join(from), assets.join(to));
            std::fs::copy(&from, &to).map_err(io(&from))?;
            println!("{} <- redoc@{version}", project::relative(&to));
        }
        println!(
            "now: update the version and sha256 in crates/leads-docs/README.md, \
             run `cargo xtask docs` and `cargo test -p leads-docs`, and review the diff"
        );
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    result
}
