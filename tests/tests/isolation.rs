//! Isolation: a member of project B, aimed at project A's leads by id, by filter and by
//! export, gets 404 or an empty result, and A's lead does not change.

use futures::TryStreamExt;
use leads_e2e_tests::{seed_world, Backend, Database, Server};
use serde_json::{json, Value};

leads_e2e_tests::on_each_backend!(another_projects_member_sees_and_changes_nothing);

async fn another_projects_member_sees_and_changes_nothing(backend: Backend) {
    let database = Database::create(backend).expect("a database");
    let world = seed_world(&database).expect("seeded");
    let server = Server::start(&database, &[]).expect("the server starts");
    let agent = server.client(world.agent.basic());
    let body: leads_client::types::LeadCreate = serde_json::from_value(json!({
        "lead_id": "secret", "fullname": "Secret Person", "email": "secret@alpha.test",
        "tags": ["vip"], "attributes": {"plan": "gold"}
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
    let id = lead.id.to_string();

    // By id, through the outsider's own project: every operation is 404.
    let http = reqwest::Client::new();
    let base = format!("{}/{}/leads/{id}", server.base_url, world.other_project);
    let attempts: [(&str, String, Option<Value>); 9] = [
        ("GET", base.clone(), None),
        ("PUT", base.clone(), Some(json!({"fullname": "stolen"}))),
        ("DELETE", base.clone(), None),
        ("DELETE", format!("{base}/physical"), None),
        ("PUT", format!("{base}/tag"), Some(json!(["stolen"]))),
        ("DELETE", format!("{base}/tag/vip"), None),
        (
            "PATCH",
            format!("{base}/attributes"),
            Some(json!({"plan": "free"})),
        ),
        ("PATCH", format!("{base}/properties"), Some(json!({"x": 1}))),
        ("POST", format!("{base}/properties"), Some(json!({"x": 1}))),
    ];
    for (method, url, body) in attempts {
        let mut request = http
            .request(method.parse().expect("a method"), &url)
            .basic_auth(&world.outsider.email, Some(&world.outsider.password));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = request.send().await.expect("answers");
        assert_eq!(answer.status(), 404, "{backend:?}: {method} {url}");
    }

    // By filter and export, in the outsider's project: nothing of A's.
    let outsider = server.client(world.outsider.basic());
    let found = outsider
        .list_leads()
        .project_id(&*world.other_project)
        .email("secret@alpha.test")
        .send()
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(found.count, 0, "{backend:?}: a filter crossed projects");
    let found = outsider
        .list_leads()
        .project_id(&*world.other_project)
        .full_text("secret")
        .send()
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(
        found.count, 0,
        "{backend:?}: full-text search crossed projects"
    );
    let csv: Vec<bytes::Bytes> = outsider
        .export_leads_csv()
        .project_id(&*world.other_project)
        .send()
        .await
        .expect("exported")
        .into_inner()
        .into_inner()
        .try_collect()
        .await
        .expect("the export streams");
    let csv = String::from_utf8(csv.concat()).expect("UTF-8");
    assert!(
        !csv.contains("secret"),
        "{backend:?}: the export crossed projects: {csv}"
    );
    assert_eq!(
        csv.lines().count(),
        1,
        "{backend:?}: only the header: {csv}"
    );

    // And A's lead is exactly as it was.
    let after = agent
        .get_lead()
        .project_id(&*world.project)
        .id(&*id)
        .send()
        .await
        .expect("still there")
        .into_inner();
    assert_eq!(
        after, lead,
        "{backend:?}: cross-project calls changed the lead"
    );
}
