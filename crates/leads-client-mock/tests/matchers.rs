//! What the generator adds to progenitor's mocks holds: an array query parameter matches
//! each value sent, a path parameter matches literally, and a CSV answer is CSV.

use leads_client::{types, Client};
use leads_client_mock::httpmock::MockServer;
use leads_client_mock::MockServerExt;

const PROJECT: &str = "5b55e806c93dde00143163dd";
const LEAD: &str = "5c81593adf767b0017d1aa66";

fn client(server: &MockServer) -> Client {
    Client::with_basic_auth(&server.base_url(), "agent@example.com", "secret").expect("client")
}

fn tags(names: &[&str]) -> Vec<types::Tag> {
    names.iter().map(|n| n.parse().expect("a tag")).collect()
}

#[tokio::test]
async fn a_tags_matcher_requires_every_tag_sent() {
    let server = MockServer::start_async().await;
    let project: types::ObjectId = PROJECT.parse().expect("id");
    let both = server.list_leads(|when, then| {
        when.project_id(&project).tags(&tags(&["vip", "news"]));
        then.ok(&types::LeadList {
            count: 0,
            leads: Vec::new(),
            per_page: std::num::NonZeroU32::new(40).expect("not zero"),
            next: None,
        });
    });
    let client = client(&server);
    let page = client
        .list_leads()
        .project_id(PROJECT)
        .tags(tags(&["news", "vip"]))
        .send()
        .await
        .expect("the mock answers both tags");
    assert_eq!(page.count, 0);
    both.assert_async().await;

    let one = client
        .list_leads()
        .project_id(PROJECT)
        .tags(tags(&["vip"]))
        .send()
        .await;
    assert!(one.is_err(), "one tag of two does not match");
    both.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_path_parameter_matches_literally() {
    let server = MockServer::start_async().await;
    let tag: types::Tag = "v.p".parse().expect("a tag");
    let removed = server.remove_lead_tag(|when, then| {
        when.tag(&tag);
        then.not_found(&types::Error {
            success: false,
            msg: "Object not found.".to_owned(),
        });
    });
    let client = client(&server);
    for other in ["vip", "v.p"] {
        let _ = client
            .remove_lead_tag()
            .project_id(PROJECT)
            .id(LEAD)
            .tag(other)
            .send()
            .await;
    }
    // `.` in the tag is a dot, not any character: only `v.p` matched.
    removed.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_csv_answer_is_served_as_csv() {
    let server = MockServer::start_async().await;
    let csv = "_id;lead_id\r\n5c81593adf767b0017d1aa66;a\r\n";
    server.export_leads_csv(|_, then| {
        then.ok(csv);
    });
    let response = client(&server)
        .export_leads_csv()
        .project_id(PROJECT)
        .send()
        .await
        .expect("the export");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut body = Vec::new();
    let mut stream = response.into_inner();
    while let Some(chunk) = futures_next(&mut stream).await {
        body.extend_from_slice(&chunk);
    }
    assert_eq!(content_type.as_deref(), Some("text/csv"));
    assert_eq!(String::from_utf8(body).expect("UTF-8"), csv);
}

/// The next chunk of a streamed body.
async fn futures_next(stream: &mut leads_client::ByteStream) -> Option<bytes::Bytes> {
    use futures::StreamExt;
    stream.next().await.and_then(Result::ok)
}
