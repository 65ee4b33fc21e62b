//! The reference server as a contract target: built, seeded and started on a temporary
//! database of either backend on 127.0.0.1, port 0, and stopped when dropped.
//!
//! The end-to-end harness (`leads-e2e-tests`) does the work, through the `leads-server`
//! binary's own commands (`admin …`, `serve`), so the target is exactly what a user runs.

use leads_e2e_tests::{seed_world, Backend, Database, Server};

use super::cases::Fixture;
use crate::XtaskError;

/// A running reference server and the fixture seeded into it.
#[derive(Debug)]
pub struct ReferenceServer {
    /// The API's base URL, e.g. `http://127.0.0.1:41234/v1`.
    pub base_url: String,
    /// Who the contract runs as.
    pub fixture: Fixture,
    // Declared before the database, so the server stops before its data is removed.
    _server: Server,
    _database: Database,
}

fn harness(error: leads_e2e_tests::HarnessError) -> XtaskError {
    XtaskError::Reference(error.to_string())
}

impl ReferenceServer {
    /// Builds, seeds and starts the reference server: an owner, an agent and a member below
    /// agent in one project, and the owner of another project.
    pub fn start(backend: Backend) -> Result<Self, XtaskError> {
        let database = Database::create(backend).map_err(harness)?;
        let world = seed_world(&database).map_err(harness)?;
        let server = Server::start(&database, &[]).map_err(harness)?;
        let fixture = Fixture {
            project: world.project.clone(),
            agent: world.agent.basic(),
            signin: Some((world.agent.email.clone(), world.agent.password.clone())),
            owner: Some(world.owner.basic()),
            low_role: Some(world.low.basic()),
            outsider: Some((world.outsider.basic(), world.other_project.clone())),
        };
        Ok(Self {
            base_url: server.base_url.clone(),
            fixture,
            _server: server,
            _database: database,
        })
    }
}

/// The backend's name, for reports.
pub fn name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}
