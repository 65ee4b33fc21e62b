//! Every kind of bad request gets its documented status and the spec's error body.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::{serve_memory, EMAIL, PASSWORD, PROJECT, TOKEN};

const LEAD: &str = "5c81593adf767b0017d1aa66";

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    async fn start() -> Self {
        Self {
            base: serve_memory().await,
            http: reqwest::Client::new(),
        }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .basic_auth(EMAIL, Some(PASSWORD))
    }
}

/// Sends a request; checks its status and the spec's error body; returns headers and `msg`.
macro_rules! expect_status {
    ($request:expr, $status:expr) => {{
        let response = $request.send().await.expect("response");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        assert_eq!(status, $status, "body: {text}");
        let body: Value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("not the JSON error body: {text}"));
        assert_eq!(body["success"], false, "{text}");
        assert_eq!(
            body.as_object().map(|o| o.len()),
            Some(2),
            "only success and msg: {text}"
        );
        assert_eq!(
            headers
                .get("content-type")
                .map(|v| v.to_str().unwrap_or_default()),
            Some("application/json")
        );
        let msg = body["msg"].as_str().unwrap_or_default().to_owned();
        assert!(!msg.is_empty(), "{text}");
        (headers, msg)
    }};
}

#[tokio::test]
async fn missing_and_bad_credentials_are_401_with_a_challenge() {
    let api = Api::start().await;
    let url = format!("{}/{PROJECT}/leads", api.base);
    let cases = [
        (None, "authentication required"),
        (Some("Basic !!!notbase64"), "not base64"),
        (Some("Basic /w=="), "not UTF-8"),
        (Some("Basic bm9jb2xvbg=="), "no `:`"),
        (
            Some("Basic YWdlbnRAZXhhbXBsZS5jb206d3Jvbmc="),
            "wrong credentials",
        ),
        (Some("JWT wrong-token"), "wrong credentials"),
        (Some("Digest abc"), "unsupported authorization scheme"),
        (Some("JWT"), "malformed Authorization header"),
        (Some("Bearer two words"), "malformed token"),
    ];
    for (header, expected) in cases {
        let mut request = api.http.get(&url);
        if let Some(header) = header {
            request = request.header("authorization", header);
        }
        let (headers, msg) = expect_status!(request, StatusCode::UNAUTHORIZED);
        assert!(msg.contains(expected), "{header:?}: {msg}");
        let challenge = headers["www-authenticate"].to_str().expect("ascii");
        for scheme in ["Basic", "JWT", "Bearer"] {
            assert!(challenge.contains(scheme), "{challenge}");
        }
    }
    // Non-ASCII header bytes are refused too, not answered with a 500.
    let request = api.http.get(&url).header(
        "authorization",
        reqwest::header::HeaderValue::from_bytes(b"Basic \xff").expect("opaque header"),
    );
    expect_status!(request, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_scheme_is_accepted_and_its_word_is_case_insensitive() {
    let api = Api::start().await;
    let url = format!("{}/{PROJECT}/leads", api.base);
    for header in [
        format!("JWT {TOKEN}"),
        format!("jwt {TOKEN}"),
        format!("Bearer {TOKEN}"),
        format!("bEaReR {TOKEN}"),
    ] {
        let response = api
            .http
            .get(&url)
            .header("authorization", &header)
            .send()
            .await
            .expect("response");
        assert_eq!(response.status(), StatusCode::OK, "{header}");
    }
    let response = api
        .http
        .get(&url)
        .basic_auth("AGENT@example.com", Some(PASSWORD))
        .send()
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn malformed_parameters_are_400_naming_the_parameter() {
    let api = Api::start().await;
    let cases = [
        ("/not-an-id/leads", "path parameter `project_id`"),
        (
            "/5B55E806C93DDE00143163DD/leads",
            "path parameter `project_id`",
        ),
        (
            &*format!("/{PROJECT}/leads?limit=101"),
            "query parameter `limit`: must be at most 100",
        ),
        (
            &*format!("/{PROJECT}/leads?limit=0"),
            "query parameter `limit`: must be at least 1",
        ),
        (
            &*format!("/{PROJECT}/leads?limit=ten"),
            "query parameter `limit`",
        ),
        (
            &*format!("/{PROJECT}/leads?page=-1"),
            "query parameter `page`",
        ),
        (
            &*format!("/{PROJECT}/leads?page=100001"),
            "query parameter `page`",
        ),
        (
            &*format!("/{PROJECT}/leads?sortField=password"),
            "query parameter `sortField`",
        ),
        (
            &*format!("/{PROJECT}/leads?direction=2"),
            "query parameter `direction`",
        ),
        (
            &*format!("/{PROJECT}/leads?status=7"),
            "query parameter `status`",
        ),
        (
            &*format!("/{PROJECT}/leads?with_email=maybe"),
            "query parameter `with_email`",
        ),
        (
            &*format!("/{PROJECT}/leads?email="),
            "query parameter `email`",
        ),
        (
            &*format!("/{PROJECT}/leads?tags=a,b"),
            "query parameter `tags",
        ),
        (
            &*format!("/{PROJECT}/leads?status[$gte]=0"),
            "unknown field",
        ),
        (&*format!("/{PROJECT}/leads?limit=1&limit=2"), "limit"),
        (
            &*format!("/{PROJECT}/leads/{LEAD}?x=1"),
            "unknown query parameter `x`",
        ),
    ];
    for (path, expected) in cases {
        let (_, msg) = expect_status!(api.request(Method::GET, path), StatusCode::BAD_REQUEST);
        assert!(msg.contains(expected), "{path}: {msg}");
    }
    let request = api.request(
        Method::DELETE,
        &format!("/{PROJECT}/leads/{LEAD}/tag/a%2Cb"),
    );
    let (_, msg) = expect_status!(request, StatusCode::BAD_REQUEST);
    assert!(msg.contains("path parameter `tag`"), "{msg}");
    let many_tags: String = (0..21).map(|i| format!("&tags=t{i}")).collect();
    let (_, msg) = expect_status!(
        api.request(Method::GET, &format!("/{PROJECT}/leads?limit=5{many_tags}")),
        StatusCode::BAD_REQUEST
    );
    assert!(msg.contains("at most 20"), "{msg}");
}

#[tokio::test]
async fn repeated_query_keys_are_lists() {
    let api = Api::start().await;
    let response = api
        .request(
            Method::GET,
            &format!("/{PROJECT}/leads?tags=vip&tags=newsletter&limit=5&sort=email"),
        )
        .send()
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["perPage"], 5);
}

#[tokio::test]
async fn malformed_bodies_are_400() {
    let api = Api::start().await;
    let create = format!("/{PROJECT}/leads");
    let json = "application/json";
    let cases: Vec<(Option<&str>, Vec<u8>, &str)> = vec![
        (Some(json), b"{\"lead_id\": ".to_vec(), "invalid JSON body"),
        (
            Some(json),
            b"{\"lead_id\": \"a\"} trailing".to_vec(),
            "invalid JSON body",
        ),
        (Some(json), b"[1, 2]".to_vec(), "invalid JSON body"),
        (Some(json), b"{}".to_vec(), "missing field `lead_id`"),
        (
            Some(json),
            b"{\"lead_id\": \"a\", \"fullanem\": \"x\"}".to_vec(),
            "unknown field `fullanem`",
        ),
        (Some(json), b"{\"lead_id\": \"\"}".to_vec(), "`lead_id`"),
        (
            Some(json),
            b"{\"lead_id\": \"a\", \"tags\": [\"a,b\"]}".to_vec(),
            "`tags[0]`",
        ),
        (Some(json), b"{\"lead_id\": 7}".to_vec(), "`lead_id`"),
        (Some(json), b"".to_vec(), "required"),
        (Some(json), b"{\"lead_id\": \"\xff\"}".to_vec(), "UTF-8"),
        (
            Some("text/plain"),
            b"{\"lead_id\": \"a\"}".to_vec(),
            "Content-Type: application/json",
        ),
        (
            None,
            b"{\"lead_id\": \"a\"}".to_vec(),
            "Content-Type: application/json",
        ),
        (
            Some(json),
            format!(
                "{{\"lead_id\": \"a\", \"attributes\": {{\"x\": {}1{}}}}}",
                "[".repeat(100),
                "]".repeat(100)
            )
            .into_bytes(),
            "deep",
        ),
    ];
    for (content_type, body, expected) in cases {
        let mut request = api.request(Method::POST, &create).body(body.clone());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let (_, msg) = expect_status!(request, StatusCode::BAD_REQUEST);
        assert!(
            msg.contains(expected),
            "{}: {msg}",
            String::from_utf8_lossy(&body)
        );
    }
    let put = format!("/{PROJECT}/leads/{LEAD}");
    for (body, expected) in [
        ("{\"status\": 99}", "`status`"),
        ("{\"status\": \"100\"}", "`status`"),
        ("{\"zipcode\": 144}", "`zipcode`"),
        // serde reads a struct from an array of its fields; the spec's schema does not.
        ("[null, null]", "not of type \"object\""),
    ] {
        let request = api
            .request(Method::PUT, &put)
            .header("content-type", json)
            .body(body);
        let (_, msg) = expect_status!(request, StatusCode::BAD_REQUEST);
        assert!(msg.contains(expected), "{body}: {msg}");
    }
    let tags = format!("/{PROJECT}/leads/{LEAD}/tag");
    let request = api
        .request(Method::PUT, &tags)
        .header("content-type", json)
        .body("[]");
    let (_, msg) = expect_status!(request, StatusCode::BAD_REQUEST);
    assert!(msg.contains("invalid JSON body"), "{msg}");
    let too_many: Vec<String> = (0..101).map(|i| format!("t{i}")).collect();
    let request = api
        .request(Method::POST, &create)
        .header("content-type", json)
        .body(serde_json::json!({"lead_id": "a", "tags": too_many}).to_string());
    let (_, msg) = expect_status!(request, StatusCode::BAD_REQUEST);
    assert!(
        msg.contains("`tags`") && msg.contains("at most 100"),
        "{msg}"
    );
    let request = api
        .request(Method::PATCH, &format!("{put}/attributes"))
        .header("content-type", json)
        .body("[1]");
    expect_status!(request, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let api = Api::start().await;
    let padding = "x".repeat(1024 * 1024);
    let body = format!("{{\"lead_id\": \"a\", \"note\": \"{padding}\"}}");
    let request = api
        .request(Method::POST, &format!("/{PROJECT}/leads"))
        .header("content-type", "application/json")
        .body(body.clone());
    let (_, msg) = expect_status!(request, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(msg, "request body is larger than 1048576 bytes");
    // Without a Content-Length, streamed: the limit still holds.
    let stream = futures::stream::iter(
        body.into_bytes()
            .chunks(64 * 1024)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let request = api
        .request(Method::POST, &format!("/{PROJECT}/leads"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream));
    expect_status!(request, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_smaller_limit_can_be_set() {
    let api: std::sync::Arc<super::memory::Memory> = Default::default();
    let base = super::serve(leads_api::router_with_body_limit(api, 16)).await;
    let request = reqwest::Client::new()
        .post(format!("{base}/{PROJECT}/leads"))
        .basic_auth(EMAIL, Some(PASSWORD))
        .header("content-type", "application/json")
        .body("{\"lead_id\": \"0123456789\"}");
    let (_, msg) = expect_status!(request, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(msg, "request body is larger than 16 bytes");
}

#[tokio::test]
async fn undocumented_methods_are_405_with_allow_and_unknown_paths_404() {
    let api = Api::start().await;
    let cases = [
        (Method::PATCH, format!("/{PROJECT}/leads"), "GET, POST"),
        (Method::DELETE, format!("/{PROJECT}/leads/csv"), "GET"),
        (
            Method::POST,
            format!("/{PROJECT}/leads/{LEAD}"),
            "GET, PUT, DELETE",
        ),
        (Method::GET, "/auth/signin".to_owned(), "POST"),
        (
            Method::OPTIONS,
            format!("/{PROJECT}/leads/{LEAD}/properties"),
            "POST, PATCH",
        ),
    ];
    for (method, path, allow) in cases {
        let (headers, _) = expect_status!(
            api.request(method.clone(), &path),
            StatusCode::METHOD_NOT_ALLOWED
        );
        assert_eq!(headers["allow"], allow, "{method} {path}");
    }
    for path in [
        "/",
        "/nothing",
        &format!("/{PROJECT}/leads/{LEAD}/unknown"),
        &format!("/{PROJECT}/leads/"),
    ] {
        let (_, msg) = expect_status!(api.request(Method::GET, path), StatusCode::NOT_FOUND);
        assert_eq!(msg, "no such path");
    }
}

#[tokio::test]
async fn auth_comes_before_validation() {
    let api = Api::start().await;
    let request = api
        .http
        .get(format!("{}/not-an-id/leads?limit=1000", api.base));
    expect_status!(request, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn header_parameters_are_checked_like_the_query() {
    let api = Api::start().await;
    let create = || {
        api.request(Method::POST, &format!("/{PROJECT}/leads"))
            .json(&serde_json::json!({"lead_id": "x"}))
    };
    for (value, needle) in [
        ("has spaces", "Idempotency-Key"),
        ("", "Idempotency-Key"),
        (&*"k".repeat(256), "Idempotency-Key"),
    ] {
        let (_, msg) = expect_status!(
            create().header("Idempotency-Key", value),
            StatusCode::BAD_REQUEST
        );
        assert!(
            msg.contains(needle) && msg.contains("header parameter"),
            "{value:?}: {msg}"
        );
    }
    let (_, msg) = expect_status!(
        create()
            .header("Idempotency-Key", "a")
            .header("idempotency-key", "b"),
        StatusCode::BAD_REQUEST
    );
    assert!(msg.contains("more than once"), "{msg}");
    let response = create()
        .header("idempotency-key", "order-1")
        .send()
        .await
        .expect("response");
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "a valid key, in any case"
    );
}
