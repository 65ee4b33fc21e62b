//! The server over a socket, driven through the generated client: every operation, the
//! project scoping, roles, authentication, the tag scenarios, lists and the CSV format.

#[path = "api/harness.rs"]
mod harness;

use futures::TryStreamExt;
use harness::{body, ok, status, TestServer, PASSWORD, SECRET};
use leads_client::{types, Client};
use leads_server::store::Role;
use serde_json::json;
use std::num::NonZeroU32;

/// Calls every operation that names one lead, with valid inputs; answers the statuses.
async fn id_operations(c: &Client, project: &str, id: &str) -> Vec<(&'static str, u16)> {
    vec![
        (
            "getLead",
            status(c.get_lead().project_id(project).id(id).send().await),
        ),
        (
            "updateLead",
            status(
                c.update_lead()
                    .project_id(project)
                    .id(id)
                    .body(body::<types::LeadUpdate>(json!({"fullname": "Mallory"})))
                    .send()
                    .await,
            ),
        ),
        (
            "addLeadTags",
            status(
                c.add_lead_tags()
                    .project_id(project)
                    .id(id)
                    .body(body::<types::TagList>(json!(["stolen"])))
                    .send()
                    .await,
            ),
        ),
        (
            "removeLeadTag",
            status(
                c.remove_lead_tag()
                    .project_id(project)
                    .id(id)
                    .tag("vip")
                    .send()
                    .await,
            ),
        ),
        (
            "mergeLeadAttributes",
            status(
                c.merge_lead_attributes()
                    .project_id(project)
                    .id(id)
                    .body(body::<types::FreeForm>(json!({"x": 1})))
                    .send()
                    .await,
            ),
        ),
        (
            "mergeLeadProperties",
            status(
                c.merge_lead_properties()
                    .project_id(project)
                    .id(id)
                    .body(body::<types::FreeForm>(json!({"x": 1})))
                    .send()
                    .await,
            ),
        ),
        (
            "addLeadProperties",
            status(
                c.add_lead_properties()
                    .project_id(project)
                    .id(id)
                    .body(body::<types::FreeForm>(json!({"x": 1})))
                    .send()
                    .await,
            ),
        ),
        (
            "deleteLead",
            status(c.delete_lead().project_id(project).id(id).send().await),
        ),
        (
            "deleteLeadPhysically",
            status(
                c.delete_lead_physically()
                    .project_id(project)
                    .id(id)
                    .send()
                    .await,
            ),
        ),
    ]
}

/// Calls the operations on the whole project; answers the statuses.
async fn project_operations(c: &Client, project: &str) -> Vec<(&'static str, u16)> {
    vec![
        (
            "listLeads",
            status(c.list_leads().project_id(project).send().await),
        ),
        (
            "createLead",
            status(
                c.create_lead()
                    .project_id(project)
                    .body(body::<types::LeadCreate>(json!({"lead_id": "intruder"})))
                    .send()
                    .await,
            ),
        ),
        (
            "exportLeadsCsv",
            status(c.export_leads_csv().project_id(project).send().await),
        ),
    ]
}

/// Two projects, a lead in the first, and members of every role.
struct World {
    server: TestServer,
    a: String,
    b: String,
    lead: types::Lead,
}

impl World {
    async fn new() -> Self {
        let server = TestServer::start().await;
        let a = server.project().await;
        let b = server.project().await;
        for role in Role::ALL {
            server
                .user(&format!("{role}@a.example"), Some((&a, role)))
                .await;
        }
        server
            .user("owner@b.example", Some((&b, Role::Owner)))
            .await;
        server.user("nobody@example.com", None).await;
        let lead = ok(server
            .basic("agent@a.example")
            .create_lead()
            .project_id(a.as_str())
            .body(body::<types::LeadCreate>(json!({
                "lead_id": "ext-1",
                "fullname": "Andrea Leo",
                "email": "andrea@f21.it",
                "tags": ["vip"],
                "attributes": {"departmentId": "d1"}
            })))
            .send()
            .await);
        World { server, a, b, lead }
    }

    fn client(&self, email: &str) -> Client {
        self.server.basic(email)
    }

    async fn current(&self) -> types::Lead {
        ok(self
            .client("owner@a.example")
            .get_lead()
            .project_id(self.a.as_str())
            .id(self.lead.id.as_str())
            .send()
            .await)
    }
}

#[tokio::test]
async fn every_operation_succeeds() {
    let w = World::new().await;
    let c = w.client("owner@a.example");
    let (a, id) = (w.a.as_str(), w.lead.id.to_string());
    assert_eq!(w.lead.v, 0);
    assert_eq!(w.lead.status.as_ref().map(|s| **s), Some(100));
    assert_eq!(&*w.lead.id_project, a);

    let got = ok(c.get_lead().project_id(a).id(id.as_str()).send().await);
    assert_eq!(got, w.lead);

    let updated = ok(c
        .update_lead()
        .project_id(a)
        .id(id.as_str())
        .body(body::<types::LeadUpdate>(
            json!({"company": "Frontiere21", "zipcode": "00144"}),
        ))
        .send()
        .await);
    assert_eq!(updated.company.as_deref(), Some("Frontiere21"));
    assert_eq!(updated.zipcode.as_deref(), Some("00144"));
    assert_eq!(updated.fullname.as_deref(), Some("Andrea Leo"));
    assert_eq!(updated.v, 1);

    let list = ok(c.list_leads().project_id(a).send().await);
    assert_eq!(list.count, 1);
    assert_eq!(list.per_page.get(), 40);
    assert_eq!(list.leads, vec![updated.clone()]);

    let tagged = ok(c
        .add_lead_tags()
        .project_id(a)
        .id(id.as_str())
        .body(body::<types::TagList>(json!(["news"])))
        .send()
        .await);
    assert_eq!(tagged.tags, ["vip", "news"]);
    let untagged = ok(c
        .remove_lead_tag()
        .project_id(a)
        .id(id.as_str())
        .tag("vip")
        .send()
        .await);
    assert_eq!(untagged.tags, ["news"]);

    let merged = ok(c
        .merge_lead_attributes()
        .project_id(a)
        .id(id.as_str())
        .body(body::<types::FreeForm>(json!({"plan": "premium"})))
        .send()
        .await);
    assert_eq!(
        serde_json::Value::Object(merged.attributes.clone()),
        json!({"departmentId": "d1", "plan": "premium"})
    );
    let posted = ok(c
        .add_lead_properties()
        .project_id(a)
        .id(id.as_str())
        .body(body::<types::FreeForm>(json!({"source": "landing"})))
        .send()
        .await);
    assert_eq!(
        serde_json::Value::Object(posted.properties.clone()),
        json!({"source": "landing"})
    );
    let patched = ok(c
        .merge_lead_properties()
        .project_id(a)
        .id(id.as_str())
        .body(body::<types::FreeForm>(json!({"campaign": 7})))
        .send()
        .await);
    assert_eq!(
        serde_json::Value::Object(patched.properties.clone()),
        json!({"source": "landing", "campaign": 7})
    );
    assert_eq!(patched.v, 6);

    let csv = csv_text(&c, a).await;
    assert_eq!(csv.lines().count(), 2);

    let deleted = ok(c.delete_lead().project_id(a).id(id.as_str()).send().await);
    assert_eq!(deleted.status.as_ref().map(|s| **s), Some(1000));
    assert_eq!(ok(c.list_leads().project_id(a).send().await).count, 0);
    let restored = ok(c
        .update_lead()
        .project_id(a)
        .id(id.as_str())
        .body(body::<types::LeadUpdate>(json!({"status": 100})))
        .send()
        .await);
    assert_eq!(restored.status.as_ref().map(|s| **s), Some(100));
    assert_eq!(ok(c.list_leads().project_id(a).send().await).count, 1);

    let removed = ok(c
        .delete_lead_physically()
        .project_id(a)
        .id(id.as_str())
        .send()
        .await);
    assert_eq!(removed, restored);
    assert_eq!(
        status(c.get_lead().project_id(a).id(id.as_str()).send().await),
        404
    );

    // signin, then the token under both schemes.
    let signed = ok(w
        .server
        .anonymous()
        .signin()
        .body(body::<types::SigninRequest>(
            json!({"email": "OWNER@A.example", "password": PASSWORD}),
        ))
        .send()
        .await);
    assert!(signed.success);
    assert!(signed.token.starts_with("JWT "));
    assert_eq!(signed.user.email, "owner@a.example");
    assert_eq!(signed.user.projects.len(), 1);
    assert_eq!(&*signed.user.projects[0].id_project, a);
    let jwt = Client::with_jwt(&w.server.base, &signed.token).unwrap();
    assert_eq!(status(jwt.list_leads().project_id(a).send().await), 200);
    let bare = signed.token.trim_start_matches("JWT ");
    let bearer = raw(
        &w.server,
        &format!("/{a}/leads"),
        Some(&format!("Bearer {bare}")),
    )
    .await;
    assert_eq!(bearer, 200);
    let lower = raw(
        &w.server,
        &format!("/{a}/leads"),
        Some(&format!("jwt {bare}")),
    )
    .await;
    assert_eq!(lower, 200);
    w.server.stop().await;
}

#[tokio::test]
async fn another_projects_member_gets_404_and_changes_nothing() {
    let w = World::new().await;
    let before = w.current().await;
    let intruder = w.client("owner@b.example");
    for (operation, code) in id_operations(&intruder, &w.b, &w.lead.id).await {
        assert_eq!(code, 404, "{operation} across projects");
    }
    // Their own list and export do not show it either.
    let list = ok(intruder.list_leads().project_id(w.b.as_str()).send().await);
    assert_eq!(list.count, 0);
    assert_eq!(csv_text(&intruder, &w.b).await.lines().count(), 1);
    assert_eq!(w.current().await, before, "nothing changed");
    w.server.stop().await;
}

#[tokio::test]
async fn non_members_and_roles_below_agent_get_403() {
    let w = World::new().await;
    let before = w.current().await;
    for email in [
        "owner@b.example",
        "nobody@example.com",
        "guest@a.example",
        "user@a.example",
        "teammate@a.example",
    ] {
        let c = w.client(email);
        let mut all = project_operations(&c, &w.a).await;
        all.extend(id_operations(&c, &w.a, &w.lead.id).await);
        for (operation, code) in all {
            assert_eq!(code, 403, "{operation} by {email}");
        }
    }
    assert_eq!(w.current().await, before, "nothing changed");
    let list = ok(w
        .client("owner@a.example")
        .list_leads()
        .project_id(w.a.as_str())
        .send()
        .await);
    assert_eq!(list.count, 1, "no lead was created");
    for email in ["agent@a.example", "supervisor@a.example", "admin@a.example"] {
        let c = w.client(email);
        for (operation, code) in project_operations(&c, &w.a).await {
            assert_eq!(code, 200, "{operation} by {email}");
        }
    }
    w.server.stop().await;
}

#[tokio::test]
async fn physical_delete_needs_the_owner() {
    let w = World::new().await;
    for email in ["agent@a.example", "supervisor@a.example", "admin@a.example"] {
        let c = w.client(email);
        let code = status(
            c.delete_lead_physically()
                .project_id(w.a.as_str())
                .id(w.lead.id.as_str())
                .send()
                .await,
        );
        assert_eq!(code, 403, "{email}");
    }
    let owner = w.client("owner@a.example");
    let code = status(
        owner
            .delete_lead_physically()
            .project_id(w.a.as_str())
            .id(w.lead.id.as_str())
            .send()
            .await,
    );
    assert_eq!(code, 200);
    w.server.stop().await;
}

/// A GET with a raw `Authorization` header; answers the status.
async fn raw(server: &TestServer, path: &str, authorization: Option<&str>) -> u16 {
    let mut request = reqwest::Client::new().get(format!("{}{path}", server.base));
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    let response = request.send().await.unwrap();
    let code = response.status().as_u16();
    if code == 401 {
        assert!(response.headers().contains_key("www-authenticate"));
        let error: serde_json::Value = response.json().await.unwrap();
        assert_eq!(error["success"], json!(false));
    }
    code
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn every_authentication_failure_is_401() {
    let w = World::new().await;
    let path = format!("/{}/leads", w.a);
    let keys =
        leads_server::auth::TokenKeys::new(SECRET.as_bytes(), std::time::Duration::from_secs(60));
    let owner = w
        .server
        .store
        .user_by_email("owner@a.example")
        .await
        .unwrap()
        .unwrap();
    let good = keys.issue(&owner.id, owner.credential_version).unwrap();
    assert_eq!(
        raw(&w.server, &path, Some(&format!("JWT {good}"))).await,
        200
    );

    let other_key = leads_server::auth::TokenKeys::new(
        b"some other secret, long enough for HS256",
        std::time::Duration::from_secs(60),
    )
    .issue(&owner.id, owner.credential_version)
    .unwrap();
    let parts: Vec<&str> = good.split('.').collect();
    let now = jsonwebtoken::get_current_timestamp();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(format!(
            r#"{{"sub":"{}","iat":{now},"exp":{}}}"#,
            owner.id,
            now + 999_999
        )
        .as_bytes()),
        parts[2]
    );
    let none = format!("{}.{}.", b64(br#"{"alg":"none","typ":"JWT"}"#), parts[1]);
    let expired = keys
        .sign(&leads_server::auth::Claims {
            sub: owner.id.clone(),
            iat: now - 7200,
            exp: now - 3600,
            ver: owner.credential_version,
        })
        .unwrap();
    let unknown_user = keys.issue("5b55e806c93dde00143163dc", 0).unwrap();
    let other_version = keys.issue(&owner.id, owner.credential_version + 1).unwrap();
    let basic = |user: &str, pw: &str| format!("Basic {}", base64_std(&format!("{user}:{pw}")));
    let cases = [
        ("no credentials", None),
        ("wrong password", Some(basic("owner@a.example", "wrong"))),
        ("unknown email", Some(basic("ghost@a.example", PASSWORD))),
        ("malformed basic", Some("Basic !!!".to_owned())),
        (
            "basic without colon",
            Some(format!("Basic {}", base64_std("owner@a.example"))),
        ),
        ("unknown scheme", Some(format!("Token {good}"))),
        ("empty", Some(String::new())),
        ("wrong key", Some(format!("JWT {other_key}"))),
        ("tampered", Some(format!("JWT {tampered}"))),
        ("alg none", Some(format!("JWT {none}"))),
        (
            "truncated",
            Some(format!("JWT {}", &good[..good.len() - 5])),
        ),
        ("expired", Some(format!("Bearer {expired}"))),
        ("garbage token", Some("JWT not.a.token".to_owned())),
        ("user gone", Some(format!("JWT {unknown_user}"))),
        (
            "another credential version",
            Some(format!("JWT {other_version}")),
        ),
    ];
    for (case, header) in cases {
        assert_eq!(
            raw(&w.server, &path, header.as_deref()).await,
            401,
            "{case}"
        );
    }
    // Through the client too, and on signin.
    let wrong = Client::with_basic_auth(&w.server.base, "owner@a.example", "nope").unwrap();
    assert_eq!(
        status(
            wrong
                .get_lead()
                .project_id(w.a.as_str())
                .id(w.lead.id.as_str())
                .send()
                .await
        ),
        401
    );
    assert_eq!(
        status(
            w.server
                .anonymous()
                .list_leads()
                .project_id(w.a.as_str())
                .send()
                .await
        ),
        401
    );
    for (email, password) in [("owner@a.example", "nope"), ("ghost@example.com", PASSWORD)] {
        let signin = w
            .server
            .anonymous()
            .signin()
            .body(body::<types::SigninRequest>(
                json!({"email": email, "password": password}),
            ))
            .send()
            .await;
        assert_eq!(status(signin), 401, "signin as {email}");
    }
    w.server.stop().await;
}

fn base64_std(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// A password change revokes the tokens and cached Basic verifications issued before it
/// at the next request; a removed or lowered member is refused at the next request.
#[tokio::test]
async fn credentials_and_memberships_are_revoked_at_the_next_request() {
    let w = World::new().await;
    let (a, lead) = (w.a.as_str(), w.lead.id.as_str());
    let signin = ok(w
        .server
        .anonymous()
        .signin()
        .body(body::<types::SigninRequest>(
            json!({"email": "agent@a.example", "password": PASSWORD}),
        ))
        .send()
        .await);
    let by_token = Client::with_jwt(&w.server.base, &signin.token).unwrap();
    let by_basic = w.client("agent@a.example");
    for client in [&by_token, &by_basic] {
        assert_eq!(status(client.list_leads().project_id(a).send().await), 200);
        assert_eq!(
            status(client.get_lead().project_id(a).id(lead).send().await),
            200
        );
    }
    let agent = w
        .server
        .store
        .user_by_email("agent@a.example")
        .await
        .unwrap()
        .unwrap();
    let hash = leads_server::auth::password::hash("another password".to_owned())
        .await
        .unwrap();
    assert!(w
        .server
        .store
        .set_password_hash(&agent.id, &hash)
        .await
        .unwrap());
    for (what, client) in [("token", &by_token), ("Basic", &by_basic)] {
        assert_eq!(
            status(client.list_leads().project_id(a).send().await),
            401,
            "{what}"
        );
        assert_eq!(
            status(client.get_lead().project_id(a).id(lead).send().await),
            401,
            "{what} on a read by id"
        );
    }
    let renewed =
        Client::with_basic_auth(&w.server.base, "agent@a.example", "another password").unwrap();
    assert_eq!(status(renewed.list_leads().project_id(a).send().await), 200);

    w.server
        .store
        .change_role(a, &agent.id, Role::User)
        .await
        .unwrap();
    assert_eq!(status(renewed.list_leads().project_id(a).send().await), 403);
    w.server
        .store
        .change_role(a, &agent.id, Role::Agent)
        .await
        .unwrap();
    assert_eq!(
        status(renewed.get_lead().project_id(a).id(lead).send().await),
        200
    );
    w.server
        .store
        .remove_membership(a, &agent.id)
        .await
        .unwrap();
    assert_eq!(
        status(renewed.get_lead().project_id(a).id(lead).send().await),
        403
    );
    w.server.stop().await;
}

#[tokio::test]
async fn tiledesk_tag_scenarios() {
    let w = World::new().await;
    let c = w.client("agent@a.example");
    let a = w.a.as_str();
    let new = |lead_id: &str| body::<types::LeadCreate>(json!({"lead_id": lead_id}));
    let lead = ok(c.create_lead().project_id(a).body(new("t1")).send().await);
    let tags = |v: serde_json::Value| body::<types::TagList>(v);
    ok(c.add_lead_tags()
        .project_id(a)
        .id(lead.id.as_str())
        .body(tags(json!(["tag1", "tag2"])))
        .send()
        .await);
    let after = ok(c
        .add_lead_tags()
        .project_id(a)
        .id(lead.id.as_str())
        .body(tags(json!(["tag2", "tag3"])))
        .send()
        .await);
    assert_eq!(after.tags, ["tag1", "tag2", "tag3"]);

    let lead = ok(c.create_lead().project_id(a).body(new("t2")).send().await);
    ok(c.add_lead_tags()
        .project_id(a)
        .id(lead.id.as_str())
        .body(tags(json!(["tag1", "tag2"])))
        .send()
        .await);
    let after = ok(c
        .remove_lead_tag()
        .project_id(a)
        .id(lead.id.as_str())
        .tag("tag2")
        .send()
        .await);
    assert_eq!(after.tags, ["tag1"]);
    // Removing an absent tag is fine and changes nothing.
    let again = ok(c
        .remove_lead_tag()
        .project_id(a)
        .id(lead.id.as_str())
        .tag("tag2")
        .send()
        .await);
    assert_eq!(again, after);

    // An empty list is a bad request, checked before anything runs.
    let response = reqwest::Client::new()
        .put(format!(
            "{}/{a}/leads/{}/tag",
            w.server.base,
            lead.id.as_str()
        ))
        .basic_auth("agent@a.example", Some(PASSWORD))
        .json(&json!([]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    w.server.stop().await;
}

/// Creates leads for the list tests; answers their ids in creation order.
async fn populate(c: &Client, project: &str) -> Vec<types::Lead> {
    let rows = [
        json!({"lead_id": "c", "fullname": "Carla Verdi", "email": "carla@example.com", "tags": ["vip", "news"]}),
        json!({"lead_id": "a", "fullname": "Andrea Leo", "email": "Leo@F21.it", "tags": ["vip"]}),
        json!({"lead_id": "e", "email": "anna@example.com"}),
        json!({"lead_id": "b", "fullname": "Bruno Andreas", "tags": ["news"]}),
        json!({"lead_id": "d", "fullname": "Dario", "email": "dario@example.com"}),
        json!({"lead_id": "f", "fullname": "Zed"}),
        json!({"lead_id": "g", "fullname": "Gino", "email": "gino@example.com", "tags": ["vip", "news", "x"]}),
    ];
    let mut leads = Vec::new();
    for row in rows {
        leads.push(ok(c
            .create_lead()
            .project_id(project)
            .body(body::<types::LeadCreate>(row))
            .send()
            .await));
    }
    leads
}

fn lead_ids(list: &types::LeadList) -> Vec<&str> {
    list.leads.iter().map(|l| l.lead_id.as_str()).collect()
}

#[tokio::test]
async fn pagination_and_sorting() {
    let w = World::new().await;
    let p = w.server.project().await;
    w.server
        .store
        .set_membership(
            &p,
            &w.server
                .store
                .user_by_email("agent@a.example")
                .await
                .unwrap()
                .unwrap()
                .id,
            Role::Agent,
        )
        .await
        .unwrap();
    let c = w.client("agent@a.example");
    populate(&c, &p).await;
    let limit = NonZeroU32::new(3).unwrap();

    // Default: newest first.
    let first = ok(c.list_leads().project_id(p.as_str()).send().await);
    assert_eq!(lead_ids(&first), ["g", "f", "d", "b", "e", "a", "c"]);

    let mut seen = Vec::new();
    for page in 0..3 {
        let list = ok(c
            .list_leads()
            .project_id(p.as_str())
            .sort_field(types::SortField::LeadId)
            .direction(1)
            .page(page)
            .limit(limit)
            .send()
            .await);
        assert_eq!(list.count, 7);
        assert_eq!(list.per_page.get(), 3);
        seen.extend(lead_ids(&list).into_iter().map(str::to_owned));
    }
    assert_eq!(seen, ["a", "b", "c", "d", "e", "f", "g"]);

    let by_sort = ok(c
        .list_leads()
        .project_id(p.as_str())
        .sort(types::SortField::LeadId)
        .direction(-1)
        .send()
        .await);
    assert_eq!(lead_ids(&by_sort), ["g", "f", "e", "d", "c", "b", "a"]);
    let by_name = ok(c
        .list_leads()
        .project_id(p.as_str())
        .sort(types::SortField::Fullname)
        .direction(1)
        .send()
        .await);
    assert_eq!(lead_ids(&by_name), ["e", "a", "b", "c", "d", "g", "f"]);
    let by_email = ok(c
        .list_leads()
        .project_id(p.as_str())
        .sort_field(types::SortField::Email)
        .direction(-1)
        .send()
        .await);
    assert_eq!(&lead_ids(&by_email)[..5], ["g", "d", "c", "e", "a"]);
    let by_created = ok(c
        .list_leads()
        .project_id(p.as_str())
        .sort(types::SortField::CreatedAt)
        .direction(1)
        .send()
        .await);
    assert_eq!(lead_ids(&by_created), ["c", "a", "e", "b", "d", "f", "g"]);
    let by_updated = ok(c
        .list_leads()
        .project_id(p.as_str())
        .sort(types::SortField::UpdatedAt)
        .sort_field(types::SortField::UpdatedAt)
        .send()
        .await);
    assert_eq!(lead_ids(&by_updated), ["g", "f", "d", "b", "e", "a", "c"]);
    // Two names for one parameter: when they disagree, `sort` wins, as on Tiledesk.
    let disagreeing = ok(c
        .list_leads()
        .project_id(p.as_str())
        .sort(types::SortField::CreatedAt)
        .sort_field(types::SortField::Email)
        .direction(1)
        .send()
        .await);
    assert_eq!(lead_ids(&disagreeing), lead_ids(&by_created));

    // Out of range parameters are 400.
    let base = format!("{}/{p}/leads", w.server.base);
    for query in [
        "limit=0",
        "limit=101",
        "page=-1",
        "page=x",
        "direction=2",
        "sort=password",
        "status[$gte]=0",
        "status=1",
        "unknown=1",
    ] {
        let response = reqwest::Client::new()
            .get(format!("{base}?{query}"))
            .basic_auth("agent@a.example", Some(PASSWORD))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{query}");
    }
    w.server.stop().await;
}

#[tokio::test]
async fn every_filter() {
    let w = World::new().await;
    let p = w.server.project().await;
    let agent = w
        .server
        .store
        .user_by_email("agent@a.example")
        .await
        .unwrap()
        .unwrap();
    w.server
        .store
        .set_membership(&p, &agent.id, Role::Agent)
        .await
        .unwrap();
    let c = w.client("agent@a.example");
    let leads = populate(&c, &p).await;
    let ids = |list: types::LeadList| {
        let mut ids: Vec<String> = list.leads.iter().map(|l| l.lead_id.clone()).collect();
        ids.sort();
        assert_eq!(list.count as usize, ids.len());
        ids
    };
    let l = || c.list_leads().project_id(p.as_str());
    assert_eq!(ids(ok(l().email("leo@f21.IT").send().await)), ["a"]);
    assert_eq!(ids(ok(l().full_text("andrea leo").send().await)), ["a"]);
    assert_eq!(
        ids(ok(l().full_text("ANDREAS carla").send().await)),
        ["b", "c"]
    );
    assert!(ids(ok(l().full_text("andr").send().await)).is_empty());
    assert_eq!(
        ids(ok(l().full_text("example").send().await)),
        ["c", "d", "e", "g"]
    );
    assert_eq!(
        ids(ok(l().with_email(true).send().await)),
        ["a", "c", "d", "e", "g"]
    );
    assert_eq!(ids(ok(l().with_email(false).send().await)), ["b", "f"]);
    assert_eq!(ids(ok(l().with_fullname(false).send().await)), ["e"]);
    assert_eq!(
        ids(ok(l().with_fullname(true).with_email(false).send().await)),
        ["b", "f"]
    );
    let tag = |t: &str| types::Tag::try_from(t).unwrap();
    assert_eq!(
        ids(ok(l().tags(vec![tag("vip")]).send().await)),
        ["a", "c", "g"]
    );
    assert_eq!(
        ids(ok(l().tags(vec![tag("vip"), tag("news")]).send().await)),
        ["c", "g"]
    );
    assert_eq!(
        ids(ok(l()
            .tags(vec![tag("vip"), tag("news")])
            .full_text("gino")
            .with_email(true)
            .send()
            .await)),
        ["g"]
    );
    // Status: 100 by default; deleted and temporary only when asked.
    ok(c.delete_lead()
        .project_id(p.as_str())
        .id(leads[0].id.as_str())
        .send()
        .await);
    ok(c.update_lead()
        .project_id(p.as_str())
        .id(leads[1].id.as_str())
        .body(body::<types::LeadUpdate>(json!({"status": 50})))
        .send()
        .await);
    assert_eq!(ids(ok(l().send().await)), ["b", "d", "e", "f", "g"]);
    let status = |s: i32| types::LeadStatus::try_from(s).unwrap();
    assert_eq!(ids(ok(l().status(status(1000)).send().await)), ["c"]);
    assert_eq!(ids(ok(l().status(status(50)).send().await)), ["a"]);
    assert_eq!(
        ids(ok(l()
            .status(status(100))
            .tags(vec![tag("vip")])
            .send()
            .await)),
        ["g"]
    );
    w.server.stop().await;
}

/// The export's body as text.
async fn csv_text(c: &Client, project: &str) -> String {
    let response = c
        .export_leads_csv()
        .project_id(project)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let chunks: Vec<bytes::Bytes> = response
        .into_inner()
        .into_inner()
        .try_collect()
        .await
        .unwrap();
    String::from_utf8(chunks.concat()).unwrap()
}

#[tokio::test]
async fn csv_format_cell_by_cell() {
    let w = World::new().await;
    let c = w.client("agent@a.example");
    let a = w.a.as_str();
    let tricky = ok(c
        .create_lead()
        .project_id(a)
        .body(body::<types::LeadCreate>(json!({
            "lead_id": "=1+1",
            "fullname": "Rossi; \"Andrea\"",
            "email": "@evil.example",
            "phone": "+39 06 1234",
            "company": "-minus",
            "note": "two\r\nlines",
            "streetAddress": "\tTabbed",
            "city": "Roma",
            "region": "Lazio",
            "zipcode": "00144",
            "country": "IT",
            "tags": ["vip", "news"],
            "attributes": {"secret": "not exported"}
        })))
        .send()
        .await);
    let deleted = ok(c
        .create_lead()
        .project_id(a)
        .body(body::<types::LeadCreate>(json!({"lead_id": "gone"})))
        .send()
        .await);
    ok(c.delete_lead()
        .project_id(a)
        .id(deleted.id.as_str())
        .send()
        .await);

    let response = c
        .export_leads_csv()
        .project_id(a)
        .sort(types::SortField::LeadId)
        .direction(1)
        .send()
        .await
        .unwrap();
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"leads.csv\""
    );
    let chunks: Vec<bytes::Bytes> = response
        .into_inner()
        .into_inner()
        .try_collect()
        .await
        .unwrap();
    let text = String::from_utf8(chunks.concat()).unwrap();
    assert!(text.starts_with(
        "_id;lead_id;fullname;email;phone;company;note;streetAddress;city;region;zipcode;country;tags;status;createdBy;createdAt;updatedAt\r\n"
    ));
    assert!(text.ends_with("\r\n"));
    assert!(!text.contains("not exported"));

    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().unwrap();
    // The deleted lead is left out; the original lead and the tricky one remain.
    assert_eq!(rows.len(), 2);
    let row = rows
        .iter()
        .find(|r| r[0] == *tricky.id)
        .expect("the tricky lead");
    let created = tricky
        .created_at
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    let expected = [
        tricky.id.to_string(),
        "'=1+1".into(),
        "Rossi; \"Andrea\"".into(),
        "'@evil.example".into(),
        "'+39 06 1234".into(),
        "'-minus".into(),
        "two\r\nlines".into(),
        "'\tTabbed".into(),
        "Roma".into(),
        "Lazio".into(),
        "00144".into(),
        "IT".into(),
        "vip,news".into(),
        "100".into(),
        tricky.created_by.clone(),
        created.clone(),
        created,
    ];
    assert_eq!(
        row.iter().collect::<Vec<_>>(),
        expected.iter().map(String::as_str).collect::<Vec<_>>()
    );
    // Quoting is RFC 4180: quotes doubled, fields with ; or line breaks quoted.
    assert!(text.contains("\"Rossi; \"\"Andrea\"\"\""));
    assert!(text.contains("\"two\r\nlines\""));
    // The other lead's empty cells are empty.
    let plain = rows.iter().find(|r| &r[1] == "ext-1").unwrap();
    assert_eq!(&plain[4], "");
    assert_eq!(&plain[12], "vip");
    w.server.stop().await;
}

#[tokio::test]
async fn oversized_bodies_get_413_with_the_error_body() {
    let w = World::new().await;
    let big = format!(
        r#"{{"lead_id":"x","note":"{}"}}"#,
        "a".repeat(2 * 1024 * 1024)
    );
    let response = reqwest::Client::new()
        .post(format!("{}/{}/leads", w.server.base, w.a))
        .basic_auth("agent@a.example", Some(PASSWORD))
        .header("Content-Type", "application/json")
        .body(big)
        .send()
        .await
        .expect("the answer is readable");
    assert_eq!(response.status().as_u16(), 413);
    let error: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error["success"], json!(false));
    assert_eq!(
        error["msg"],
        json!("request body is larger than 1048576 bytes")
    );
    w.server.stop().await;
}

/// Sends `body` with `method` to `path` as the owner; answers the status and the JSON.
async fn send_json(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .request(method, format!("{}{path}", server.base))
        .basic_auth("owner@a.example", Some(PASSWORD))
        .json(&body)
        .send()
        .await
        .unwrap();
    let code = response.status().as_u16();
    (code, response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn absent_null_and_empty_are_three_states() {
    let w = World::new().await;
    let (a, id) = (w.a.as_str(), w.lead.id.to_string());
    let lead_path = format!("/{a}/leads/{id}");
    let (code, _) = send_json(
        &w.server,
        reqwest::Method::PUT,
        &lead_path,
        json!({"phone": "+39 06 1", "company": "F21", "note": "keep me"}),
    )
    .await;
    assert_eq!(code, 200);

    // `null` clears a text field and empties tags and attributes; a left-out field stays.
    let (code, cleared) = send_json(
        &w.server,
        reqwest::Method::PUT,
        &lead_path,
        json!({"phone": null, "company": null, "tags": null, "attributes": null}),
    )
    .await;
    assert_eq!(code, 200, "{cleared}");
    for gone in ["phone", "company"] {
        assert!(cleared.get(gone).is_none(), "{gone} cleared: {cleared}");
    }
    assert_eq!(cleared["note"], "keep me");
    assert_eq!(cleared["fullname"], "Andrea Leo");
    assert!(
        cleared.get("tags").is_none_or(|t| t == &json!([])),
        "{cleared}"
    );
    assert_eq!(cleared["attributes"], json!({}));
    assert_eq!(w.current().await.phone, None, "the clear is stored");

    // `[]` and `{}` empty them too.
    send_json(
        &w.server,
        reqwest::Method::PUT,
        &lead_path,
        json!({"tags": ["a", "b"], "attributes": {"k": 1}}),
    )
    .await;
    let (code, emptied) = send_json(
        &w.server,
        reqwest::Method::PUT,
        &lead_path,
        json!({"tags": [], "attributes": {}}),
    )
    .await;
    assert_eq!(code, 200);
    assert!(w.current().await.tags.is_empty(), "{emptied}");
    assert!(w.current().await.attributes.is_empty(), "{emptied}");

    // Where the spec does not allow `null`, it is a 400 with the error body, and nothing
    // changes.
    let before = w.current().await;
    for (method, path, body) in [
        (
            reqwest::Method::PUT,
            lead_path.clone(),
            json!({"status": null}),
        ),
        (
            reqwest::Method::POST,
            format!("/{a}/leads"),
            json!({"lead_id": "n", "country": null}),
        ),
        (
            reqwest::Method::POST,
            format!("/{a}/leads"),
            json!({"lead_id": "n", "tags": null}),
        ),
        (
            reqwest::Method::POST,
            format!("/{a}/leads"),
            json!({"lead_id": "n", "attributes": null}),
        ),
        (
            reqwest::Method::POST,
            format!("/{a}/leads"),
            json!({"lead_id": null}),
        ),
        (
            reqwest::Method::PATCH,
            format!("{lead_path}/attributes"),
            json!(null),
        ),
    ] {
        let (code, error) = send_json(&w.server, method.clone(), &path, body.clone()).await;
        assert_eq!(code, 400, "{method} {path} {body}: {error}");
        assert_eq!(error["success"], json!(false));
    }
    assert_eq!(w.current().await, before);
    let list = ok(w
        .client("owner@a.example")
        .list_leads()
        .project_id(a)
        .send()
        .await);
    assert_eq!(list.count, 1, "no create went through");

    // Merges follow JSON Merge Patch: `null` removes a key.
    send_json(
        &w.server,
        reqwest::Method::PATCH,
        &format!("{lead_path}/attributes"),
        json!({"a": 1, "b": {"c": 2, "d": 3}}),
    )
    .await;
    let (code, merged) = send_json(
        &w.server,
        reqwest::Method::PATCH,
        &format!("{lead_path}/attributes"),
        json!({"a": null, "b": {"c": null}}),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(merged["attributes"], json!({"b": {"d": 3}}));
    w.server.stop().await;
}

#[tokio::test]
async fn text_refuses_nul_and_free_form_keeps_it() {
    let w = World::new().await;
    let a = w.a.as_str();
    let (code, error) = send_json(
        &w.server,
        reqwest::Method::POST,
        &format!("/{a}/leads"),
        json!({"lead_id": "x", "fullname": "a\u{0}b"}),
    )
    .await;
    assert_eq!(code, 400, "{error}");
    let (code, lead) = send_json(
        &w.server,
        reqwest::Method::POST,
        &format!("/{a}/leads"),
        json!({"lead_id": "x", "attributes": {"k\u{0}": "v\u{0}"}}),
    )
    .await;
    assert_eq!(code, 200, "{lead}");
    let id = lead["_id"].as_str().unwrap();
    let stored = ok(w
        .client("owner@a.example")
        .get_lead()
        .project_id(a)
        .id(id)
        .send()
        .await);
    assert_eq!(
        serde_json::Value::Object(stored.attributes),
        json!({"k\u{0}": "v\u{0}"})
    );
    let response = reqwest::Client::new()
        .get(format!("{}/{a}/leads?email=a%00b", w.server.base))
        .basic_auth("owner@a.example", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    w.server.stop().await;
}
