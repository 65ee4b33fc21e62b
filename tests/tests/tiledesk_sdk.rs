//! Tiledesk's own JavaScript SDK, `@tiledesk/tiledesk-client` 0.10.13 (pinned by
//! `tests/sdk/package-lock.json`), works unchanged against the reference server: sign-in,
//! `getLeadById`, `updateLeadData` and `updateLead` with native fields, attributes and
//! tags, including `[]` and `null` as callers pass them. `tests/sdk/drive.mjs` makes the
//! calls and checks each answer; this test serves it a real server on each backend and
//! reads the final state back through the generated client.

use std::path::{Path, PathBuf};
use std::process::Command;

use leads_e2e_tests::{seed_world, workspace_root, Backend, Database, Server};
use serde_json::{json, Value};

fn sdk_dir() -> PathBuf {
    workspace_root().join("tests/sdk")
}

/// Installs the pinned SDK when it is not installed yet (`.ci/run` installs it first).
fn install(dir: &Path) {
    if dir.join("node_modules/@tiledesk/tiledesk-client").is_dir() {
        return;
    }
    let status = Command::new("npm")
        .current_dir(dir)
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
        .status()
        .expect("npm runs");
    assert!(
        status.success(),
        "`npm ci` in tests/sdk failed; it needs the npm registry once"
    );
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(leads_node_tests),
    ignore = "Node.js and npm are not installed; Tiledesk's JavaScript SDK cannot run"
)]
async fn tiledesk_javascript_sdk_calls_work_unchanged_on_sqlite() {
    sdk_calls_work_unchanged(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(all(leads_node_tests, leads_postgres_tests)),
    ignore = "needs Node.js and npm, and LEADS_TEST_POSTGRES_URL set for PostgreSQL"
)]
async fn tiledesk_javascript_sdk_calls_work_unchanged_on_postgres() {
    sdk_calls_work_unchanged(Backend::Postgres).await;
}

async fn sdk_calls_work_unchanged(backend: Backend) {
    let dir = sdk_dir();
    install(&dir);
    let database = Database::create(backend).expect("a database");
    let world = seed_world(&database).expect("seeded");
    let server = Server::start(&database, &[]).expect("the server starts");
    let agent = server.client(world.agent.basic());
    let body: leads_client::types::LeadCreate = serde_json::from_value(json!({
        "lead_id": "sdk-1", "fullname": "Andrea", "tags": ["old"], "attributes": {"a": 1}
    }))
    .expect("a lead");
    let lead = agent
        .create_lead()
        .project_id(&*world.project)
        .body(body)
        .send()
        .await
        .expect("created")
        .into_inner();

    let output = Command::new("node")
        .current_dir(&dir)
        .arg("drive.mjs")
        .env("LEADS_BASE_URL", &server.base_url)
        .env("LEADS_EMAIL", &world.agent.email)
        .env("LEADS_PASSWORD", &world.agent.password)
        .env("LEADS_PROJECT", &world.project)
        .env("LEADS_LEAD_ID", lead.id.as_str())
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "{backend:?}: the SDK's calls did not work:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen_by_sdk: Value =
        serde_json::from_slice(&output.stdout).expect("drive.mjs prints the lead");

    let stored = agent
        .get_lead()
        .project_id(&*world.project)
        .id(lead.id.as_str())
        .send()
        .await
        .expect("read back")
        .into_inner();
    assert_eq!(stored.phone, None, "{backend:?}: null cleared the phone");
    assert_eq!(stored.company, None, "{backend:?}");
    assert!(stored.tags.is_empty(), "{backend:?}: null emptied the tags");
    assert!(stored.attributes.is_empty(), "{backend:?}");
    assert_eq!(
        stored.fullname.as_deref(),
        Some("Andrea SDK"),
        "{backend:?}"
    );
    assert_eq!(
        stored.email.as_deref(),
        Some("andrea@sdk.example"),
        "{backend:?}"
    );
    assert_eq!(stored.zipcode.as_deref(), Some("00144"), "{backend:?}");
    assert_eq!(
        seen_by_sdk["__v"],
        json!(stored.v),
        "{backend:?}: the SDK saw the stored revision"
    );
}
