//! A reference server for the CLI's tests: the real `leads-server` binary, seeded through
//! its own `admin` commands into a temporary SQLite database and serving on 127.0.0.1:0,
//! by the workspace's end-to-end harness.

#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use leads_e2e_tests::{admin, Backend, Database};

/// The password every seeded user has.
pub const PASSWORD: &str = "correct horse battery staple";
/// The owner of both projects.
pub const OWNER: &str = "owner@cli.test";
/// An agent of the first project: enough for everything but physical deletion.
pub const AGENT: &str = "agent@cli.test";

/// A running reference server with two projects.
pub struct Server {
    /// `http://127.0.0.1:<port>/v1`.
    pub base_url: String,
    /// The project most tests work in.
    pub project: String,
    /// An empty project, e.g. to import into.
    pub other_project: String,
    // Declared before the database, so the server stops before its data is removed.
    server: leads_e2e_tests::Server,
    database: Database,
    dir: tempfile::TempDir,
}

impl Server {
    /// Seeds the users and projects and starts serving.
    pub fn start() -> Self {
        let database = Database::create(Backend::Sqlite).expect("a database");
        let run = |args: &[&str]| admin(&database, args).expect("leads-server admin");
        for email in [OWNER, AGENT] {
            run(&["user", "add", email, "--password", PASSWORD]);
        }
        let project = run(&["project", "add", "CLI"]);
        let other_project = run(&["project", "add", "CLI import"]);
        for (project, email, role) in [
            (&project, OWNER, "owner"),
            (&project, AGENT, "agent"),
            (&other_project, OWNER, "owner"),
        ] {
            run(&["member", "add", project, email, "--role", role]);
        }
        let server = leads_e2e_tests::Server::start(&database, &[]).expect("leads-server starts");
        Self {
            base_url: server.base_url.clone(),
            project,
            other_project,
            server,
            database,
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The `leads` binary, pointed at this server as `email`, with its own config dir.
    pub fn leads_as(&self, email: &str) -> assert_cmd::Command {
        let mut command = assert_cmd::Command::cargo_bin("leads").expect("leads binary");
        command
            .env("LEADS_BASE_URL", &self.base_url)
            .env("LEADS_PROJECT", &self.project)
            .env("LEADS_EMAIL", email)
            .env("LEADS_PASSWORD", PASSWORD)
            .env("LEADS_CONFIG_DIR", self.dir.path().join("config"))
            .env_remove("LEADS_TOKEN")
            .timeout(Duration::from_secs(300));
        command
    }

    /// The `leads` binary as the project's owner.
    pub fn leads(&self) -> assert_cmd::Command {
        self.leads_as(OWNER)
    }

    /// A scratch folder that lives as long as the server.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Parses the CSV of an export into rows of cells, header first.
pub fn csv_rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|record| {
            record
                .expect("valid CSV")
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}
