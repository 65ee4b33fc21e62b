//! Concurrency: appends and merges that race lose nothing, and `count` agrees with what a
//! list shows while creates run.

use std::collections::BTreeSet;

use futures::future::join_all;
use leads_e2e_tests::{seed_world, Backend, Database, Server};
use serde_json::{json, Value};

fn object(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

leads_e2e_tests::on_each_backend!(concurrent_tag_appends_and_merges_lose_nothing);

async fn concurrent_tag_appends_and_merges_lose_nothing(backend: Backend) {
    let database = Database::create(backend).expect("a database");
    let world = seed_world(&database).expect("seeded");
    let server = Server::start(&database, &[]).expect("the server starts");
    let client = server.client(world.agent.basic());
    let lead = client
        .create_lead()
        .project_id(&*world.project)
        .body(leads_client::types::LeadCreate::builder().lead_id("racy"))
        .send()
        .await
        .expect("created")
        .into_inner();

    let appends = (0..32).map(|i| {
        let client = client.clone();
        let (project, id) = (world.project.clone(), lead.id.to_string());
        async move {
            let tags: leads_client::types::TagList =
                serde_json::from_value(json!([format!("tag{i}"), "shared"])).expect("tags");
            client
                .add_lead_tags()
                .project_id(&*project)
                .id(&*id)
                .body(tags)
                .send()
                .await
                .map(|_| ())
        }
    });
    let merges = (0..32).map(|i| {
        let client = client.clone();
        let (project, id) = (world.project.clone(), lead.id.to_string());
        async move {
            let body = leads_client::types::FreeForm(object(json!({ format!("key{i}"): i })));
            client
                .merge_lead_attributes()
                .project_id(&*project)
                .id(&*id)
                .body(body)
                .send()
                .await
                .map(|_| ())
        }
    });
    let (appended, merged) = futures::join!(join_all(appends), join_all(merges));
    assert!(
        appended.iter().all(Result::is_ok),
        "{backend:?}: {appended:?}"
    );
    assert!(merged.iter().all(Result::is_ok), "{backend:?}: {merged:?}");

    let after = client
        .get_lead()
        .project_id(&*world.project)
        .id(lead.id.as_str())
        .send()
        .await
        .expect("read back")
        .into_inner();
    let tags: BTreeSet<&str> = after.tags.iter().map(String::as_str).collect();
    for i in 0..32 {
        assert!(
            tags.contains(format!("tag{i}").as_str()),
            "{backend:?}: tag{i} lost: {tags:?}"
        );
    }
    assert_eq!(
        after.tags.iter().filter(|t| *t == "shared").count(),
        1,
        "{backend:?}: `shared` duplicated: {:?}",
        after.tags
    );
    for i in 0..32 {
        assert_eq!(
            after.attributes.get(&format!("key{i}")),
            Some(&json!(i)),
            "{backend:?}: key{i} lost: {:?}",
            after.attributes
        );
    }
    assert_eq!(after.v, 64, "{backend:?}: every change counts once in __v");
}

leads_e2e_tests::on_each_backend!(count_stays_consistent_with_the_list_under_concurrent_creates);

async fn count_stays_consistent_with_the_list_under_concurrent_creates(backend: Backend) {
    let database = Database::create(backend).expect("a database");
    let world = seed_world(&database).expect("seeded");
    let server = Server::start(&database, &[]).expect("the server starts");
    let client = server.client(world.agent.basic());
    let writers = (0..8).map(|w| {
        let client = client.clone();
        let project = world.project.clone();
        async move {
            for i in 0..25 {
                client
                    .create_lead()
                    .project_id(&*project)
                    .body(leads_client::types::LeadCreate::builder().lead_id(format!("w{w}-{i}")))
                    .send()
                    .await
                    .expect("created");
            }
        }
    });
    let reader = {
        let client = client.clone();
        let project = world.project.clone();
        async move {
            let mut last = 0;
            for _ in 0..40 {
                let page = client
                    .list_leads()
                    .project_id(&*project)
                    .limit(std::num::NonZeroU32::new(100).expect("not zero"))
                    .send()
                    .await
                    .expect("listed")
                    .into_inner();
                let shown = i64::try_from(page.leads.len()).expect("small");
                let count = i64::try_from(page.count).expect("small");
                assert!(
                    count >= shown,
                    "count {count} below the {shown} leads shown"
                );
                assert!(count >= last, "count went back from {last} to {count}");
                if count <= 100 {
                    assert_eq!(
                        count, shown,
                        "a first page of everything must show count leads"
                    );
                }
                last = count;
            }
        }
    };
    futures::join!(join_all(writers), reader);
    let page = client
        .list_leads()
        .project_id(&*world.project)
        .send()
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(
        page.count, 200,
        "{backend:?}: every acknowledged create is counted"
    );
}
