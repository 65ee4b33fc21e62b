//! Every operation through the generated client.

use futures::TryStreamExt as _;
use leads_client::types;
use serde_json::json;

use super::{client, serve_memory, EMAIL, OTHER_PROJECT, PASSWORD, PROJECT};

fn body<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("a valid body")
}

#[tokio::test]
async fn every_operation_round_trips() {
    let base = serve_memory().await;
    let client = client(&base);

    let signed_in = leads_client::Client::anonymous(&base)
        .signin()
        .body(body::<types::SigninRequest>(
            json!({"email": EMAIL, "password": PASSWORD}),
        ))
        .send()
        .await
        .expect("signin")
        .into_inner();
    assert!(signed_in.success);
    let jwt = leads_client::Client::with_jwt(&base, &signed_in.token).expect("jwt client");

    let created = client
        .create_lead()
        .project_id(PROJECT)
        .body(body::<types::LeadCreate>(json!({
            "lead_id": "ext-1",
            "fullname": "Andrea Leo",
            "email": "andrea@example.com",
            "zipcode": "00144",
            "tags": ["vip", "vip", "newsletter"],
            "attributes": {"departmentId": "d1"}
        })))
        .send()
        .await
        .expect("create")
        .into_inner();
    assert_eq!(created.lead_id, "ext-1");
    assert_eq!(created.tags, ["vip", "newsletter"]);
    assert_eq!(created.zipcode.as_deref(), Some("00144"));
    let id = created.id.to_string();

    let second = client
        .create_lead()
        .project_id(PROJECT)
        .body(body::<types::LeadCreate>(
            json!({"lead_id": "ext-2", "tags": ["newsletter"]}),
        ))
        .send()
        .await
        .expect("create")
        .into_inner();

    let fetched = jwt
        .get_lead()
        .project_id(PROJECT)
        .id(&*id)
        .send()
        .await
        .expect("get")
        .into_inner();
    assert_eq!(fetched, created);

    let page = client
        .list_leads()
        .project_id(PROJECT)
        .tags(vec![
            body::<types::Tag>(json!("vip")),
            body::<types::Tag>(json!("newsletter")),
        ])
        .limit(std::num::NonZeroU32::new(10).expect("10"))
        .send()
        .await
        .expect("list")
        .into_inner();
    assert_eq!(page.count, 1, "only the first lead carries both tags");
    assert_eq!(page.per_page.get(), 10);
    assert_eq!(page.leads[0].id, created.id);
    let page = client
        .list_leads()
        .project_id(PROJECT)
        .send()
        .await
        .expect("list")
        .into_inner();
    assert_eq!(
        (page.count, page.per_page.get()),
        (2, 40),
        "default limit is the spec's 40"
    );

    let updated = client
        .update_lead()
        .project_id(PROJECT)
        .id(&*id)
        .body(body::<types::LeadUpdate>(
            json!({"fullname": "Andrea", "zipcode": "00100"}),
        ))
        .send()
        .await
        .expect("update")
        .into_inner();
    assert_eq!(
        (
            updated.fullname.as_deref(),
            updated.zipcode.as_deref(),
            updated.v
        ),
        (Some("Andrea"), Some("00100"), 1)
    );

    let tagged = client
        .add_lead_tags()
        .project_id(PROJECT)
        .id(&*id)
        .body(body::<types::TagList>(json!(["new", "vip"])))
        .send()
        .await
        .expect("tags")
        .into_inner();
    assert_eq!(tagged.tags, ["vip", "newsletter", "new"]);

    let untagged = client
        .remove_lead_tag()
        .project_id(PROJECT)
        .id(&*id)
        .tag("news letter/1")
        .send()
        .await
        .expect("remove an absent tag")
        .into_inner();
    assert_eq!(untagged.tags, ["vip", "newsletter", "new"]);
    let untagged = client
        .remove_lead_tag()
        .project_id(PROJECT)
        .id(&*id)
        .tag("vip")
        .send()
        .await
        .expect("remove")
        .into_inner();
    assert_eq!(untagged.tags, ["newsletter", "new"]);

    let merged = client
        .merge_lead_attributes()
        .project_id(PROJECT)
        .id(&*id)
        .body(body::<types::FreeForm>(
            json!({"plan": "premium", "nested": {"a": [1, 2]}}),
        ))
        .send()
        .await
        .expect("attributes")
        .into_inner();
    assert_eq!(merged.attributes["departmentId"], "d1");
    assert_eq!(merged.attributes["nested"], json!({"a": [1, 2]}));

    let merged = client
        .merge_lead_properties()
        .project_id(PROJECT)
        .id(&*id)
        .body(body::<types::FreeForm>(json!({"source": "landing"})))
        .send()
        .await
        .expect("properties")
        .into_inner();
    assert_eq!(merged.properties["source"], "landing");
    let merged = client
        .add_lead_properties()
        .project_id(PROJECT)
        .id(&*id)
        .body(body::<types::FreeForm>(json!({"campaign": 7})))
        .send()
        .await
        .expect("properties (POST)")
        .into_inner();
    assert_eq!(
        (
            merged.properties["source"].clone(),
            merged.properties["campaign"].clone()
        ),
        (json!("landing"), json!(7))
    );

    let csv = client
        .export_leads_csv()
        .project_id(PROJECT)
        .send()
        .await
        .expect("csv");
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        csv.headers()["content-disposition"],
        "attachment; filename=\"leads.csv\""
    );
    let chunks: Vec<bytes::Bytes> = csv
        .into_inner()
        .into_inner()
        .try_collect()
        .await
        .expect("csv body");
    let text = String::from_utf8(chunks.concat()).expect("utf-8");
    assert_eq!(
        text,
        format!("_id;lead_id\r\n{id};ext-1\r\n{};ext-2\r\n", &*second.id)
    );

    let deleted = client
        .delete_lead()
        .project_id(PROJECT)
        .id(&*id)
        .send()
        .await
        .expect("delete")
        .into_inner();
    assert_eq!(deleted.status.as_deref(), Some(&1000));
    let page = client
        .list_leads()
        .project_id(PROJECT)
        .send()
        .await
        .expect("list")
        .into_inner();
    assert_eq!(page.count, 1, "a soft-deleted lead leaves the default list");

    let gone = client
        .delete_lead_physically()
        .project_id(PROJECT)
        .id(&*id)
        .send()
        .await
        .expect("hard delete")
        .into_inner();
    assert_eq!(gone.id, created.id);
    let missing = client
        .get_lead()
        .project_id(PROJECT)
        .id(&*id)
        .send()
        .await
        .expect_err("gone");
    assert_eq!(missing.status().map(|s| s.as_u16()), Some(404));
}

#[tokio::test]
async fn another_projects_lead_is_not_found() {
    let base = serve_memory().await;
    let client = client(&base);
    let created = client
        .create_lead()
        .project_id(PROJECT)
        .body(body::<types::LeadCreate>(json!({"lead_id": "x"})))
        .send()
        .await
        .expect("create")
        .into_inner();
    let error = client
        .get_lead()
        .project_id(OTHER_PROJECT)
        .id(created.id.as_str())
        .send()
        .await
        .expect_err("404");
    match error {
        leads_client::Error::ErrorResponse(response) => {
            assert_eq!(response.status().as_u16(), 404);
            assert_eq!(response.into_inner().msg, "Object not found.");
        }
        other => panic!("expected the documented 404, got {other:?}"),
    }
}

#[tokio::test]
async fn signin_with_a_wrong_password_is_a_documented_401() {
    let base = serve_memory().await;
    let error = leads_client::Client::anonymous(&base)
        .signin()
        .body(body::<types::SigninRequest>(
            json!({"email": EMAIL, "password": "nope"}),
        ))
        .send()
        .await
        .expect_err("401");
    match error {
        leads_client::Error::ErrorResponse(response) => {
            assert_eq!(response.status().as_u16(), 401);
            assert!(response.headers().contains_key("www-authenticate"));
            assert_eq!(response.into_inner().msg, "wrong email or password");
        }
        other => panic!("expected the documented 401, got {other:?}"),
    }
}
