//! Cursor pages over HTTP, against the server binary on each backend: the generated
//! client's `stream()` walks every lead once in order, and a cursor that was altered,
//! made up or issued for another list or project answers 400 with the spec's error body.

use futures::TryStreamExt;
use leads_client::types::{self, Direction, SortField};
use leads_client::Client;
use leads_e2e_tests::{admin, seed_world, Backend, Database, Server};
use serde_json::{json, Value};
use std::num::NonZeroU32;

leads_e2e_tests::on_each_backend!(the_client_stream_walks_every_lead_once);
leads_e2e_tests::on_each_backend!(foreign_and_altered_cursors_answer_400);

async fn create(client: &Client, project: &str, lead: Value) -> types::Lead {
    client
        .create_lead()
        .project_id(project)
        .body(serde_json::from_value::<types::LeadCreate>(lead).expect("a lead"))
        .send()
        .await
        .expect("created")
        .into_inner()
}

/// The whole list in one page of 100.
async fn one_page(
    client: &Client,
    project: &str,
    sort: SortField,
    direction: i32,
    tag: Option<&str>,
) -> Vec<String> {
    let mut request = client
        .list_leads()
        .project_id(project)
        .sort(sort)
        .direction(Direction::try_from(direction).expect("a direction"))
        .limit(NonZeroU32::new(100).expect("not zero"));
    if let Some(tag) = tag {
        request = request.tags(vec![tag.parse::<types::Tag>().expect("a tag")]);
    }
    let page = request.send().await.expect("listed").into_inner();
    assert_eq!(page.next, None, "one page holds them all");
    page.leads.into_iter().map(|l| l.id.to_string()).collect()
}

async fn the_client_stream_walks_every_lead_once(backend: Backend) {
    let database = Database::create(backend).expect("a database");
    let world = seed_world(&database).expect("seeded");
    let server = Server::start(&database, &[]).expect("the server starts");
    let agent = server.client(world.agent.basic());
    let project = world.project.as_str();
    for i in 0..23 {
        let mut lead = json!({"lead_id": format!("ext-{}", i % 4)});
        if i % 3 != 0 {
            lead["fullname"] = json!(format!("Name {}", i % 5));
        }
        if i % 4 != 0 {
            lead["email"] = json!(format!("n{}@example.com", i % 6));
        }
        if i % 2 == 0 {
            lead["tags"] = json!(["even"]);
        }
        create(&agent, project, lead).await;
    }
    for sort in [
        SortField::CreatedAt,
        SortField::UpdatedAt,
        SortField::Fullname,
        SortField::Email,
        SortField::LeadId,
    ] {
        for direction in [1, -1] {
            for tag in [None, Some("even")] {
                let expected = one_page(&agent, project, sort, direction, tag).await;
                let mut request = agent
                    .list_leads()
                    .project_id(project)
                    .sort(sort)
                    .direction(Direction::try_from(direction).expect("a direction"))
                    .limit(NonZeroU32::new(4).expect("not zero"));
                if let Some(tag) = tag {
                    request = request.tags(vec![tag.parse::<types::Tag>().expect("a tag")]);
                }
                let walked: Vec<String> = request
                    .stream()
                    .map_ok(|l| l.id.to_string())
                    .try_collect()
                    .await
                    .expect("walked");
                assert_eq!(walked, expected, "{sort:?} {direction} {tag:?}");
            }
        }
    }

    // Between two pages, a lead ahead is deleted and one is created: the walk skips
    // neither survivor nor repeats one.
    let first = agent
        .list_leads()
        .project_id(project)
        .limit(NonZeroU32::new(5).expect("not zero"))
        .send()
        .await
        .expect("listed")
        .into_inner();
    let before = one_page(&agent, project, SortField::CreatedAt, -1, None).await;
    let doomed = &before[7];
    agent
        .delete_lead()
        .project_id(project)
        .id(doomed.as_str())
        .send()
        .await
        .expect("deleted");
    create(&agent, project, json!({"lead_id": "late"})).await;
    let rest: Vec<String> = agent
        .list_leads()
        .project_id(project)
        .limit(NonZeroU32::new(5).expect("not zero"))
        .cursor(first.next.expect("more pages"))
        .stream()
        .map_ok(|l| l.id.to_string())
        .try_collect()
        .await
        .expect("walked");
    let survivors: Vec<String> = before[5..]
        .iter()
        .filter(|id| *id != doomed)
        .cloned()
        .collect();
    assert_eq!(rest, survivors);
}

async fn foreign_and_altered_cursors_answer_400(backend: Backend) {
    let database = Database::create(backend).expect("a database");
    let world = seed_world(&database).expect("seeded");
    // The agent of A is an agent of B too, so only the cursor can tell the projects apart.
    admin(
        &database,
        &[
            "member",
            "add",
            &world.other_project,
            &world.agent.email,
            "--role",
            "agent",
        ],
    )
    .expect("a member of both");
    let server = Server::start(&database, &[]).expect("the server starts");
    let agent = server.client(world.agent.basic());
    for project in [&world.project, &world.other_project] {
        for i in 0..3 {
            create(&agent, project, json!({"lead_id": format!("l{i}")})).await;
        }
    }
    let first = agent
        .list_leads()
        .project_id(&*world.project)
        .limit(NonZeroU32::new(1).expect("not zero"))
        .send()
        .await
        .expect("listed")
        .into_inner();
    let next = first.next.expect("more pages").to_string();

    let http = reqwest::Client::new();
    let get = |project: &str, query: String| {
        let request = http
            .get(format!("{}/{project}/leads?{query}", server.base_url))
            .basic_auth(&world.agent.email, Some(&world.agent.password));
        async move {
            let response = request.send().await.expect("an answer");
            let status = response.status().as_u16();
            let body: Value = response.json().await.expect("a JSON body");
            (status, body)
        }
    };

    // The cursor continues its own list, with `page` ignored beside it.
    let (status, body) = get(&world.project, format!("limit=1&cursor={next}")).await;
    assert_eq!(status, 200, "{body}");
    let second = body["leads"][0]["_id"].clone();
    assert_ne!(second, json!(first.leads[0].id.to_string()));
    let (status, body) = get(&world.project, format!("limit=1&page=7&cursor={next}")).await;
    assert_eq!((status, &body["leads"][0]["_id"]), (200, &second), "{body}");
    // Aliases and defaults are the same list.
    let (status, body) = get(
        &world.project,
        format!("limit=1&sortField=createdAt&direction=-1&status=100&cursor={next}"),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let mut altered = next.clone().into_bytes();
    let last = altered.len() - 5;
    altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).expect("ASCII");
    let refused = [
        (world.project.as_str(), format!("cursor={altered}")),
        (world.project.as_str(), format!("cursor={}", "A".repeat(60))),
        (world.project.as_str(), "cursor=not%20base64%21".to_owned()),
        (world.project.as_str(), "cursor=".to_owned()),
        (
            world.project.as_str(),
            format!("cursor={}", "A".repeat(3000)),
        ),
        (
            world.project.as_str(),
            format!("sort=fullname&cursor={next}"),
        ),
        (world.project.as_str(), format!("direction=1&cursor={next}")),
        (world.project.as_str(), format!("tags=vip&cursor={next}")),
        (world.project.as_str(), format!("status=1000&cursor={next}")),
        (world.other_project.as_str(), format!("cursor={next}")),
    ];
    for (project, query) in refused {
        let (status, body) = get(project, query.clone()).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["success"], json!(false), "{query}: {body}");
        assert!(
            body["msg"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
    }

    // The client refuses what the spec forbids before sending it.
    let refused = agent
        .list_leads()
        .project_id(&*world.project)
        .cursor("not a cursor")
        .send()
        .await;
    assert!(refused.is_err());
}
