//! The `leads` binary against typed mocks of the API: the requests it sends, checked
//! parameter by parameter, and answers the reference server does not give on demand.

use leads_client::types;
use leads_client_mock::httpmock::MockServer;
use leads_client_mock::MockServerExt;
use predicates::prelude::*;
use serde_json::json;

const PROJECT: &str = "5b55e806c93dde00143163dd";
const LEAD: &str = "5c81593adf767b0017d1aa66";

/// The `leads` binary pointed at `server`, with credentials and a config dir of its own.
fn leads(server: &MockServer, config: &tempfile::TempDir) -> assert_cmd::Command {
    let mut command = assert_cmd::Command::cargo_bin("leads").expect("leads binary");
    command
        .env("LEADS_BASE_URL", server.base_url())
        .env("LEADS_PROJECT", PROJECT)
        .env("LEADS_EMAIL", "agent@example.com")
        .env("LEADS_PASSWORD", "secret")
        .env("LEADS_CONFIG_DIR", config.path())
        .env_remove("LEADS_TOKEN");
    command
}

fn id(text: &str) -> types::ObjectId {
    text.parse().expect("an ObjectId")
}

fn error(msg: &str) -> types::Error {
    types::Error {
        success: false,
        msg: msg.to_owned(),
    }
}

#[test]
fn list_sends_each_filter_as_the_spec_names_it() {
    let server = MockServer::start();
    let config = tempfile::tempdir().expect("temp dir");
    let lead: types::Lead = serde_json::from_value(json!({
        "_id": LEAD, "lead_id": "a", "id_project": PROJECT, "createdBy": "system",
        "attributes": {}, "createdAt": "2019-03-07T17:47:38.393Z",
        "updatedAt": "2019-03-07T17:47:38.393Z", "__v": 0
    }))
    .expect("a lead");
    let tags: Vec<types::Tag> = ["vip", "news"].map(|t| t.parse().expect("a tag")).into();
    let full_text: types::ListLeadsFullText = "andrea leo".parse().expect("words");
    let list = server.list_leads(|when, then| {
        when.project_id(&id(PROJECT))
            .tags(&tags)
            .full_text(&full_text)
            .with_email(true)
            .with_fullname(None)
            .email(None)
            .status(&types::LeadStatus::try_from(1000).expect("a status"))
            .sort(types::SortField::LeadId)
            .sort_field(None)
            .direction(&types::Direction::try_from(1).expect("a direction"))
            .page(2)
            .limit(std::num::NonZeroU32::new(10));
        then.ok(&types::LeadList {
            count: 21,
            leads: vec![lead],
            per_page: std::num::NonZeroU32::new(10).expect("not zero"),
            next: None,
        });
    });
    leads(&server, &config)
        .args(["--json", "list", "--tag", "vip", "--tag", "news"])
        .args(["--full-text", "andrea leo", "--with-email", "true"])
        .args([
            "--status",
            "deleted",
            "--sort",
            "lead_id",
            "--direction",
            "asc",
        ])
        .args(["--page", "2", "--limit", "10"])
        .assert()
        .success()
        .stdout(predicate::str::contains(LEAD));
    list.assert();
}

#[test]
fn list_all_follows_each_next_cursor_with_the_same_filters() {
    let server = MockServer::start();
    let config = tempfile::tempdir().expect("temp dir");
    let lead = |id: &str, lead_id: &str| -> types::Lead {
        serde_json::from_value(json!({
            "_id": id, "lead_id": lead_id, "id_project": PROJECT, "createdBy": "system",
            "attributes": {}, "createdAt": "2019-03-07T17:47:38.393Z",
            "updatedAt": "2019-03-07T17:47:38.393Z", "__v": 0
        }))
        .expect("a lead")
    };
    let cursor: types::Cursor = "AQ3vbpb2ESsAw9jJ1rBJzhIBAAABl4x3VkDkRPfj3sW3MSC2oUYLUuvx"
        .parse()
        .expect("a cursor");
    let tags: Vec<types::Tag> = vec!["vip".parse().expect("a tag")];
    let limit = std::num::NonZeroU32::new(1);
    let first = server.list_leads(|when, then| {
        when.project_id(&id(PROJECT))
            .tags(&tags)
            .limit(limit)
            .page(None)
            .cursor(None);
        then.ok(&types::LeadList {
            count: 2,
            leads: vec![lead(LEAD, "first")],
            per_page: std::num::NonZeroU32::new(1).expect("not zero"),
            next: Some(cursor.clone()),
        });
    });
    let second = server.list_leads(|when, then| {
        when.project_id(&id(PROJECT))
            .tags(&tags)
            .limit(limit)
            .page(None)
            .cursor(&cursor);
        then.ok(&types::LeadList {
            count: 2,
            leads: vec![lead("5c81593adf767b0017d1aa67", "second")],
            per_page: std::num::NonZeroU32::new(1).expect("not zero"),
            next: None,
        });
    });
    let output = leads(&server, &config)
        .args(["--json", "list", "--all", "--tag", "vip", "--limit", "1"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let document: serde_json::Value = serde_json::from_slice(&output).expect("JSON");
    let lead_ids: Vec<&str> = document["leads"]
        .as_array()
        .expect("leads")
        .iter()
        .filter_map(|lead| lead["lead_id"].as_str())
        .collect();
    assert_eq!(lead_ids, ["first", "second"]);
    assert_eq!(document["count"], 2);
    first.assert();
    second.assert();
}

#[test]
fn a_missing_lead_is_one_line_with_the_servers_message() {
    let server = MockServer::start();
    let config = tempfile::tempdir().expect("temp dir");
    let get = server.get_lead(|when, then| {
        when.project_id(&id(PROJECT)).id(&id(LEAD));
        then.not_found(&error("Object not found."));
    });
    leads(&server, &config)
        .args(["get", LEAD])
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty())
        .stderr("error: Object not found. (HTTP 404)\n");
    get.assert();
}

#[test]
fn a_server_fault_is_reported_once_and_not_retried() {
    let server = MockServer::start();
    let config = tempfile::tempdir().expect("temp dir");
    let get = server.get_lead(|when, then| {
        when.id(&id(LEAD));
        then.internal_server_error(&error("internal error"));
    });
    leads(&server, &config)
        .args(["get", LEAD])
        .assert()
        .code(1)
        .stderr("error: internal error (HTTP 500)\n");
    // A 500 is a fault, not a transient failure: the client does not ask again.
    get.assert_calls(1);
}
