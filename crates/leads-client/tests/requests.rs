//! The client against a local stand-in server that records what it receives.
//!
//! Every operation must send the method, path, query, headers and body the spec describes,
//! and a documented error must come back as a typed error carrying the server's `msg`.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use futures::TryStreamExt;
use leads_client::{types, Auth, Client, ClientBuilder, Error};
use serde_json::{json, Value};

const PROJECT: &str = "5b55e806c93dde00143163dd";
const LEAD: &str = "5c81593adf767b0017d1aa66";

/// What the stand-in saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
}

impl Seen {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the request body is JSON")
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("the request has a {name} header"))
            .to_str()
            .expect("the header is ASCII")
    }
}

/// A server on 127.0.0.1:0 that answers every request with one canned response.
struct StandIn {
    base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl StandIn {
    async fn start(status: StatusCode, content_type: &'static str, body: String) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let recorder = seen.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, request_body: Bytes| {
                let recorder = recorder.clone();
                let body = body.clone();
                async move {
                    recorder.lock().expect("not poisoned").push(Seen {
                        method,
                        path: uri.path().to_owned(),
                        query: uri.query().map(str::to_owned),
                        headers,
                        body: request_body,
                    });
                    (status, [("content-type", content_type)], body).into_response()
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port on loopback");
        let address = listener.local_addr().expect("a bound address");
        tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("the stand-in serves");
        });
        StandIn {
            base_url: format!("http://{address}/v1"),
            seen,
        }
    }

    /// A stand-in answering 200 with the spec's example lead.
    async fn answering_a_lead() -> Self {
        Self::start(StatusCode::OK, "application/json", lead_json().to_string()).await
    }

    fn client(&self) -> Client {
        Client::with_basic_auth(&self.base_url, "andrea.leo@f21.it", "123456")
            .expect("a client builds")
    }

    fn only_request(&self) -> Seen {
        let seen = self.seen.lock().expect("not poisoned");
        assert_eq!(seen.len(), 1, "exactly one request was sent: {seen:?}");
        seen[0].clone()
    }
}

fn lead_json() -> Value {
    json!({
        "_id": LEAD,
        "updatedAt": "2019-03-07T17:47:38.393Z",
        "createdAt": "2019-03-07T17:47:38.393Z",
        "lead_id": "SRbb2PfbSFcgICv9VQBcURZeloh1",
        "fullname": "Guest",
        "attributes": {"departmentId": "5b55e806c93dde00143163de"},
        "id_project": PROJECT,
        "createdBy": "system",
        "tags": ["tag1"],
        "status": 100,
        "__v": 0
    })
}

fn assert_request(seen: &Seen, method: Method, path: &str) {
    assert_eq!(seen.method, method);
    assert_eq!(seen.path, format!("/v1{path}"));
}

#[tokio::test]
async fn list_sends_every_filter_in_the_query() {
    let body = json!({"perPage": 40, "count": 1, "leads": [lead_json()]});
    let stand_in = StandIn::start(StatusCode::OK, "application/json", body.to_string()).await;
    let list = stand_in
        .client()
        .list_leads()
        .project_id(PROJECT)
        .sort_field(types::SortField::Fullname)
        .sort(types::SortField::Fullname)
        .direction(types::Direction::try_from(1).expect("1 is a direction"))
        .page(2)
        .limit(NonZeroU32::new(10).expect("not zero"))
        .email("andrea.leo@f21.it")
        .full_text("andrea leo")
        .with_email(true)
        .with_fullname(false)
        .tags(vec![
            "vip".parse::<types::Tag>().expect("a tag"),
            "b2b".parse().expect("a tag"),
        ])
        .status(types::LeadStatus::try_from(1000).expect("1000 is a status"))
        .send()
        .await
        .expect("the list succeeds")
        .into_inner();
    assert_eq!(list.count, 1);
    assert_eq!(&*list.leads[0].id, LEAD);

    let seen = stand_in.only_request();
    assert_request(&seen, Method::GET, &format!("/{PROJECT}/leads"));
    let mut pairs: Vec<(String, String)> =
        url_pairs(seen.query.as_deref().expect("a query string"));
    pairs.sort();
    let mut expected: Vec<(String, String)> = [
        ("direction", "1"),
        ("email", "andrea.leo@f21.it"),
        ("full_text", "andrea leo"),
        ("limit", "10"),
        ("page", "2"),
        ("sort", "fullname"),
        ("sortField", "fullname"),
        ("status", "1000"),
        ("tags", "b2b"),
        ("tags", "vip"),
        ("with_email", "true"),
        ("with_fullname", "false"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    expected.sort();
    assert_eq!(pairs, expected);
}

#[tokio::test]
async fn list_without_filters_sends_no_query() {
    let body = json!({"perPage": 40, "count": 0, "leads": []});
    let stand_in = StandIn::start(StatusCode::OK, "application/json", body.to_string()).await;
    stand_in
        .client()
        .list_leads()
        .project_id(PROJECT)
        .send()
        .await
        .expect("the list succeeds");
    let seen = stand_in.only_request();
    assert_eq!(seen.query.as_deref().unwrap_or(""), "");
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[tokio::test]
async fn create_posts_the_body_as_json() {
    let stand_in = StandIn::answering_a_lead().await;
    let body = types::LeadCreate::builder()
        .lead_id("123456".parse::<types::LeadCreateLeadId>().expect("an id"))
        .fullname(Some("andrea".parse().expect("a name")))
        .zipcode(Some("00144".parse().expect("a zip code")));
    stand_in
        .client()
        .create_lead()
        .project_id(PROJECT)
        .body(body)
        .send()
        .await
        .expect("the create succeeds");
    let seen = stand_in.only_request();
    assert_request(&seen, Method::POST, &format!("/{PROJECT}/leads"));
    assert_eq!(seen.header("content-type"), "application/json");
    let sent = seen.json();
    assert_eq!(sent["lead_id"], "123456");
    assert_eq!(sent["fullname"], "andrea");
    assert_eq!(sent["zipcode"], "00144", "zip codes stay strings");
}

#[tokio::test]
async fn get_update_and_deletes_address_the_lead() {
    let stand_in = StandIn::answering_a_lead().await;
    let lead = stand_in
        .client()
        .get_lead()
        .project_id(PROJECT)
        .id(LEAD)
        .send()
        .await
        .expect("the get succeeds")
        .into_inner();
    assert_eq!(lead.tags, vec!["tag1".to_owned()]);
    assert_request(
        &stand_in.only_request(),
        Method::GET,
        &format!("/{PROJECT}/leads/{LEAD}"),
    );

    let stand_in = StandIn::answering_a_lead().await;
    // Each nullable property in each of its three states: left out, `null`, a value.
    let update = types::LeadUpdate::builder()
        .status(Some(types::LeadStatus::try_from(100).expect("a status")))
        .company(
            "Frontiere21"
                .parse::<types::LeadUpdateCompany>()
                .expect("a company"),
        )
        .phone(types::Nullable::Null)
        .tags(Vec::<types::Tag>::new())
        .attributes(types::Nullable::Null);
    stand_in
        .client()
        .update_lead()
        .project_id(PROJECT)
        .id(LEAD)
        .body(update)
        .send()
        .await
        .expect("the update succeeds");
    let seen = stand_in.only_request();
    assert_request(&seen, Method::PUT, &format!("/{PROJECT}/leads/{LEAD}"));
    assert_eq!(
        seen.json(),
        json!({
            "status": 100,
            "company": "Frontiere21",
            "phone": null,
            "tags": [],
            "attributes": null,
        })
    );

    let stand_in = StandIn::answering_a_lead().await;
    stand_in
        .client()
        .delete_lead()
        .project_id(PROJECT)
        .id(LEAD)
        .send()
        .await
        .expect("the delete succeeds");
    let seen = stand_in.only_request();
    assert_request(&seen, Method::DELETE, &format!("/{PROJECT}/leads/{LEAD}"));
    assert!(seen.body.is_empty());

    let stand_in = StandIn::answering_a_lead().await;
    stand_in
        .client()
        .delete_lead_physically()
        .project_id(PROJECT)
        .id(LEAD)
        .send()
        .await
        .expect("the physical delete succeeds");
    assert_request(
        &stand_in.only_request(),
        Method::DELETE,
        &format!("/{PROJECT}/leads/{LEAD}/physical"),
    );
}

#[tokio::test]
async fn tag_operations_send_an_array_and_an_encoded_path() {
    let stand_in = StandIn::answering_a_lead().await;
    let tags = types::TagList(vec![
        "tag2".parse().expect("a tag"),
        "tag3".parse().expect("a tag"),
    ]);
    stand_in
        .client()
        .add_lead_tags()
        .project_id(PROJECT)
        .id(LEAD)
        .body(tags)
        .send()
        .await
        .expect("adding tags succeeds");
    let seen = stand_in.only_request();
    assert_request(&seen, Method::PUT, &format!("/{PROJECT}/leads/{LEAD}/tag"));
    assert_eq!(seen.json(), json!(["tag2", "tag3"]));

    let stand_in = StandIn::answering_a_lead().await;
    stand_in
        .client()
        .remove_lead_tag()
        .project_id(PROJECT)
        .id(LEAD)
        .tag("vip customer/2024".parse::<types::Tag>().expect("a tag"))
        .send()
        .await
        .expect("removing a tag succeeds");
    let seen = stand_in.only_request();
    assert_eq!(seen.method, Method::DELETE);
    assert_eq!(
        seen.path,
        format!("/v1/{PROJECT}/leads/{LEAD}/tag/vip%20customer%2F2024"),
        "the tag is one percent-encoded path segment"
    );
}

#[tokio::test]
async fn merges_send_the_free_form_object() {
    let object: serde_json::Map<String, Value> =
        serde_json::from_value(json!({"plan": "premium", "seats": 3})).expect("an object");
    for (method, suffix) in [
        (Method::PATCH, "attributes"),
        (Method::PATCH, "properties"),
        (Method::POST, "properties"),
    ] {
        let stand_in = StandIn::answering_a_lead().await;
        let client = stand_in.client();
        let body = types::FreeForm(object.clone());
        let sent = match (&method, suffix) {
            (&Method::PATCH, "attributes") => client
                .merge_lead_attributes()
                .project_id(PROJECT)
                .id(LEAD)
                .body(body)
                .send()
                .await
                .map(|_| ()),
            (&Method::PATCH, _) => client
                .merge_lead_properties()
                .project_id(PROJECT)
                .id(LEAD)
                .body(body)
                .send()
                .await
                .map(|_| ()),
            _ => client
                .add_lead_properties()
                .project_id(PROJECT)
                .id(LEAD)
                .body(body)
                .send()
                .await
                .map(|_| ()),
        };
        sent.expect("the merge succeeds");
        let seen = stand_in.only_request();
        assert_request(&seen, method, &format!("/{PROJECT}/leads/{LEAD}/{suffix}"));
        assert_eq!(seen.json(), json!({"plan": "premium", "seats": 3}));
    }
}

#[tokio::test]
async fn export_streams_the_csv_and_sends_its_filters() {
    let csv = "_id;lead_id\r\n5c81593adf767b0017d1aa66;123\r\n";
    let stand_in = StandIn::start(StatusCode::OK, "text/csv", csv.to_owned()).await;
    let response = stand_in
        .client()
        .export_leads_csv()
        .project_id(PROJECT)
        .email("andrea.leo@f21.it")
        .send()
        .await
        .expect("the export succeeds");
    let chunks: Vec<Bytes> = response
        .into_inner()
        .into_inner()
        .try_collect()
        .await
        .expect("the body streams");
    assert_eq!(chunks.concat(), csv.as_bytes());
    let seen = stand_in.only_request();
    assert_request(&seen, Method::GET, &format!("/{PROJECT}/leads/csv"));
    assert_eq!(seen.query.as_deref(), Some("email=andrea.leo%40f21.it"));
}

#[tokio::test]
async fn signin_posts_credentials_without_an_authorization_header() {
    let body = json!({
        "success": true,
        "token": "JWT abc.def.ghi",
        "user": {"_id": PROJECT, "email": "andrea.leo@f21.it", "projects": [
            {"id_project": PROJECT, "role": "owner"}
        ]}
    });
    let stand_in = StandIn::start(StatusCode::OK, "application/json", body.to_string()).await;
    let client = Client::anonymous(&stand_in.base_url);
    let answer = client
        .signin()
        .body(
            types::SigninRequest::builder()
                .email(
                    "andrea.leo@f21.it"
                        .parse::<types::SigninRequestEmail>()
                        .expect("an email"),
                )
                .password(
                    "123456"
                        .parse::<types::SigninRequestPassword>()
                        .expect("a password"),
                ),
        )
        .send()
        .await
        .expect("the signin succeeds")
        .into_inner();
    assert_eq!(answer.token, "JWT abc.def.ghi");
    assert_eq!(answer.user.projects[0].role, types::Role::Owner);
    let seen = stand_in.only_request();
    assert_request(&seen, Method::POST, "/auth/signin");
    assert!(seen.headers.get("authorization").is_none());
    // An anonymous client has the builder's defaults, its `User-Agent` among them.
    assert_eq!(
        seen.header("user-agent"),
        concat!("leads-client/", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        seen.json(),
        json!({"email": "andrea.leo@f21.it", "password": "123456"})
    );
}

#[tokio::test]
async fn basic_auth_header_is_exact() {
    let stand_in = StandIn::answering_a_lead().await;
    let client = Client::with_basic_auth(&stand_in.base_url, "andrea.leo@f21.it", "123456")
        .expect("a client builds");
    client
        .get_lead()
        .project_id(PROJECT)
        .id(LEAD)
        .send()
        .await
        .expect("ok");
    // base64("andrea.leo@f21.it:123456"), as curl -u sends it.
    assert_eq!(
        stand_in.only_request().header("authorization"),
        "Basic YW5kcmVhLmxlb0BmMjEuaXQ6MTIzNDU2"
    );
}

#[tokio::test]
async fn jwt_and_bearer_headers_are_exact() {
    for (auth, expected) in [
        (Auth::jwt("JWT eyJ.payload.sig"), "JWT eyJ.payload.sig"),
        (Auth::jwt("eyJ.payload.sig"), "JWT eyJ.payload.sig"),
        (
            Auth::bearer("JWT eyJ.payload.sig"),
            "Bearer eyJ.payload.sig",
        ),
    ] {
        let stand_in = StandIn::answering_a_lead().await;
        let client = ClientBuilder::new(&stand_in.base_url)
            .auth(auth)
            .build()
            .expect("a client builds");
        client
            .get_lead()
            .project_id(PROJECT)
            .id(LEAD)
            .send()
            .await
            .expect("ok");
        assert_eq!(stand_in.only_request().header("authorization"), expected);
    }

    let stand_in = StandIn::answering_a_lead().await;
    let client = Client::with_jwt(&stand_in.base_url, "JWT eyJ.payload.sig").expect("builds");
    client
        .get_lead()
        .project_id(PROJECT)
        .id(LEAD)
        .send()
        .await
        .expect("ok");
    assert_eq!(
        stand_in.only_request().header("authorization"),
        "JWT eyJ.payload.sig"
    );
}

#[tokio::test]
async fn a_documented_error_is_typed_and_carries_msg() {
    for status in [
        StatusCode::BAD_REQUEST,
        StatusCode::UNAUTHORIZED,
        StatusCode::FORBIDDEN,
        StatusCode::NOT_FOUND,
        StatusCode::INTERNAL_SERVER_ERROR,
    ] {
        let body = json!({"success": false, "msg": "Object not found."}).to_string();
        let stand_in = StandIn::start(status, "application/json", body).await;
        let error = stand_in
            .client()
            .get_lead()
            .project_id(PROJECT)
            .id(LEAD)
            .send()
            .await
            .expect_err("an error status is an error");
        match error {
            Error::ErrorResponse(response) => {
                assert_eq!(response.status(), status);
                let body = response.into_inner();
                assert!(!body.success);
                assert_eq!(body.msg, "Object not found.");
            }
            other => panic!("{status}: expected a typed error response, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_invalid_id_is_refused_before_sending() {
    let stand_in = StandIn::answering_a_lead().await;
    let error = stand_in
        .client()
        .get_lead()
        .project_id(PROJECT)
        .id("not-an-object-id")
        .send()
        .await
        .expect_err("a malformed id is refused");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
    assert!(stand_in.seen.lock().expect("not poisoned").is_empty());
}

#[test]
fn debug_output_never_shows_secrets() {
    let client =
        Client::with_basic_auth("http://localhost:3000/v1", "andrea.leo@f21.it", "s3cr3t-pw")
            .expect("a client builds");
    let printed = format!(
        "{client:?} {:?}",
        Auth::basic("andrea.leo@f21.it", "s3cr3t-pw")
    );
    assert!(!printed.contains("s3cr3t-pw"), "{printed}");
    assert!(
        !printed.contains("YW5kcmVh"),
        "no base64 credentials: {printed}"
    );

    let printed = format!("{:?}", Auth::jwt("eyJ.secret.token"));
    assert!(!printed.contains("eyJ.secret.token"), "{printed}");
}

/// The error of a request the client refused to send; panics on anything else.
fn refused<T: std::fmt::Debug>(result: Result<T, Error<types::Error>>) -> String {
    match result {
        Err(Error::InvalidRequest(message)) => message,
        other => panic!("expected the client to refuse the request, got {other:?}"),
    }
}

#[tokio::test]
async fn requests_that_break_a_bound_of_the_spec_are_never_sent() {
    let stand_in = StandIn::answering_a_lead().await;
    let client = stand_in.client();
    let tags = |n: usize| -> Vec<types::Tag> {
        (0..n)
            .map(|i| format!("t{i}").parse().expect("a tag"))
            .collect()
    };

    let message = refused(
        client
            .list_leads()
            .project_id(PROJECT)
            .limit(NonZeroU32::new(101).expect("not zero"))
            .send()
            .await,
    );
    assert!(message.contains("`limit`"), "{message}");
    assert!(message.contains("100"), "{message}");

    let message = refused(
        client
            .list_leads()
            .project_id(PROJECT)
            .page(100_001)
            .send()
            .await,
    );
    assert!(message.contains("`page`"), "{message}");

    let message = refused(
        client
            .list_leads()
            .project_id(PROJECT)
            .tags(tags(21))
            .send()
            .await,
    );
    assert!(message.contains("`tags`"), "{message}");

    let message = refused(
        client
            .add_lead_tags()
            .project_id(PROJECT)
            .id(LEAD)
            .body(types::TagList(tags(101)))
            .send()
            .await,
    );
    assert!(message.contains("request body"), "{message}");

    let message = refused(
        client
            .update_lead()
            .project_id(PROJECT)
            .id(LEAD)
            .body(types::LeadUpdate::builder().tags(tags(101)))
            .send()
            .await,
    );
    assert!(message.contains("`/tags`"), "the field is named: {message}");

    let message = refused(
        client
            .add_lead_tags()
            .project_id(PROJECT)
            .id(LEAD)
            .body(types::TagList(Vec::new()))
            .send()
            .await,
    );
    assert!(message.contains("request body"), "{message}");

    assert!(
        stand_in.seen.lock().expect("not poisoned").is_empty(),
        "nothing reached the server"
    );

    // Within the bounds, the same requests go out.
    client
        .list_leads()
        .project_id(PROJECT)
        .limit(NonZeroU32::new(100).expect("not zero"))
        .tags(tags(20))
        .send()
        .await
        .expect_err("the stand-in answers a lead, not a list");
    assert_eq!(stand_in.seen.lock().expect("not poisoned").len(), 1);
}
