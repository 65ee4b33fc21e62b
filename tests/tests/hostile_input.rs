//! Hostile input: oversized, nested, malformed and injected requests get a 4xx with the
//! `Error` body, never a 500, and the server stays up throughout.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use leads_e2e_tests::{seed_world, Backend, Database, Server, World};
use serde_json::{json, Value};

struct Target {
    http: reqwest::Client,
    base: String,
    world: World,
}

impl Target {
    fn leads(&self) -> String {
        format!("{}/{}/leads", self.base, self.world.project)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let answer = request
            .basic_auth(&self.world.agent.email, Some(&self.world.agent.password))
            .send()
            .await
            .expect("the server answers");
        let status = answer.status().as_u16();
        let body = answer.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    async fn expect_error(&self, what: &str, request: reqwest::RequestBuilder, allowed: &[u16]) {
        let (status, body) = self.send(request).await;
        assert!(
            allowed.contains(&status),
            "{what}: status {status}, expected one of {allowed:?}: {body}"
        );
        assert_eq!(
            body["success"],
            json!(false),
            "{what}: not the Error body: {body}"
        );
        assert!(
            body["msg"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}: {body}"
        );
    }
}

async fn target(backend: Backend, database: &Database, server: &Server) -> Target {
    let _ = backend;
    let world = seed_world(database).expect("seeded");
    let target = Target {
        http: reqwest::Client::new(),
        base: server.base_url.clone(),
        world,
    };
    // One live lead and one deleted one, so that a filter that leaks shows it.
    for (lead_id, email) in [("live", "live@e2e.test"), ("gone", "gone@e2e.test")] {
        let (status, lead) = target
            .send(
                target
                    .http
                    .post(target.leads())
                    .json(&json!({"lead_id": lead_id, "email": email})),
            )
            .await;
        assert_eq!(status, 200);
        if lead_id == "gone" {
            let id = lead["_id"].as_str().expect("an id").to_owned();
            let (status, _) = target
                .send(target.http.delete(format!("{}/{id}", target.leads())))
                .await;
            assert_eq!(status, 200);
        }
    }
    target
}

leads_e2e_tests::on_each_backend!(oversized_nested_and_malformed_bodies_are_rejected);

async fn oversized_nested_and_malformed_bodies_are_rejected(backend: Backend) {
    let database = Database::create(backend).expect("a database");
    let server = Server::start(&database, &[]).expect("the server starts");
    let t = target(backend, &database, &server).await;
    let create = t.leads();

    let ten_mb = format!(
        "{{\"lead_id\":\"x\",\"note\":\"{}\"}}",
        "a".repeat(10 * 1024 * 1024)
    );
    t.expect_error(
        "a 10 MB body",
        t.http
            .post(&create)
            .header("content-type", "application/json")
            .body(ten_mb),
        &[413],
    )
    .await;

    let depth = 5_000;
    let nested = format!(
        "{}{}",
        "{\"a\":".repeat(depth),
        "1".to_owned() + &"}".repeat(depth)
    );
    let lead_id = {
        let (_, lead) = t
            .send(t.http.post(&create).json(&json!({"lead_id": "n"})))
            .await;
        lead["_id"].as_str().expect("an id").to_owned()
    };
    t.expect_error(
        "deeply nested JSON",
        t.http
            .patch(format!("{create}/{lead_id}/attributes"))
            .header("content-type", "application/json")
            .body(nested),
        &[400],
    )
    .await;
    t.expect_error(
        "a non-UTF-8 body",
        t.http
            .post(&create)
            .header("content-type", "application/json")
            .body(vec![b'{', b'"', b'l', 0xff, 0xfe, b'"', b':', b'1', b'}']),
        &[400],
    )
    .await;
    t.expect_error(
        "a wrong content type",
        t.http
            .post(&create)
            .header("content-type", "text/plain")
            .body("lead_id=1"),
        &[400],
    )
    .await;
    t.expect_error(
        "no content type",
        t.http.post(&create).body("{\"lead_id\":\"1\"}"),
        &[400],
    )
    .await;
    t.expect_error(
        "a JSON array for an object",
        t.http.post(&create).json(&json!([1, 2])),
        &[400],
    )
    .await;
    t.expect_error(
        "an integer where a string is expected",
        t.http.post(&create).json(&json!({"lead_id": 12})),
        &[400],
    )
    .await;
    assert_still_up(&t).await;
}

leads_e2e_tests::on_each_backend!(bad_parameters_are_rejected);

async fn bad_parameters_are_rejected(backend: Backend) {
    let database = Database::create(backend).expect("a database");
    let server = Server::start(&database, &[]).expect("the server starts");
    let t = target(backend, &database, &server).await;
    let list: &[&str] = &[
        "limit=0",
        "limit=101",
        "limit=-1",
        "limit=99999999999999999999",
        "page=-1",
        "page=100001",
        "page=99999999999999999999",
        "page=abc",
        "sortField=password",
        "sort=__proto__",
        "direction=0",
        "direction=asc; DROP TABLE leads",
        "status=7",
        "with_email=maybe",
        // An empty value is not an absent one: no query parameter of the spec allows it.
        "with_email=",
        "with_fullname=",
        "email=",
        "full_text=",
        "status=",
        "tags=",
    ];
    // The export reads the same filters through its own parameter struct.
    let export: &[&str] = &[
        "with_email=",
        "with_fullname=",
        "with_email=maybe",
        "status=",
    ];
    for (path, queries) in [("", list), ("/csv", export)] {
        for query in queries {
            t.expect_error(
                &format!("{path}?{query}"),
                t.http.get(format!("{}{path}?{query}", t.leads())),
                &[400],
            )
            .await;
        }
    }
    for id in [
        "not-an-id",
        "5c81593adf767b0017d1aa6",
        "5C81593ADF767B0017D1AA66",
        "%00",
        "'; --",
    ] {
        t.expect_error(
            &format!("the id {id}"),
            t.http.get(format!("{}/{id}", t.leads())),
            &[400],
        )
        .await;
    }
    assert_still_up(&t).await;
}

leads_e2e_tests::on_each_backend!(injection_shapes_are_taken_literally_or_rejected);

async fn injection_shapes_are_taken_literally_or_rejected(backend: Backend) {
    let database = Database::create(backend).expect("a database");
    let server = Server::start(&database, &[]).expect("the server starts");
    let t = target(backend, &database, &server).await;
    // The positive control: the literal word matches, so a filter that matched
    // nothing, or everything, would fail below.
    let (status, body) = t
        .send(t.http.get(format!("{}?full_text=live", t.leads())))
        .await;
    assert_eq!(status, 200, "{backend:?}: {body}");
    let matched: Vec<_> = body["leads"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|l| l["lead_id"].clone())
        .collect();
    assert_eq!(matched, vec![json!("live")], "{backend:?}: full_text=live");
    for query in [
        "status[$gte]=0",
        "status[$ne]=100",
        "email[$ne]=",
        "email[$regex]=.*",
        "email=' OR '1'='1",
        "email=%25",
        "email=live%40e2e.test' --",
        "full_text=' OR 1=1 --",
        "full_text=\" OR \"\"=\"",
        "full_text=*",
        "full_text=live OR gone",
        "full_text=NEAR(live gone)",
        "full_text=%25",
        "tags=' OR 1=1 --",
        "tags[$exists]=true",
        "tags=%25",
    ] {
        let (status, body) = t.send(t.http.get(format!("{}?{query}", t.leads()))).await;
        assert!(
            status == 200 || status == 400,
            "{backend:?} {query}: status {status}: {body}"
        );
        if status == 200 {
            let leads = body["leads"].as_array().expect("a list");
            assert!(
                leads.iter().all(|lead| lead["status"] != json!(1000)),
                "{backend:?} {query}: a deleted lead leaked: {body}"
            );
            // Only the literal word `live` may match, and only in full_text.
            for lead in leads {
                assert!(
                    query.starts_with("full_text") && lead["lead_id"] == json!("live"),
                    "{backend:?} {query} matched {lead} by interpretation, not literally"
                );
            }
        } else {
            assert_eq!(body["success"], json!(false), "{backend:?} {query}: {body}");
        }
    }
    assert_still_up(&t).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let database = Database::create(Backend::Sqlite).expect("a database");
    let server = Server::start(&database, &["--header-timeout", "1s"]).expect("the server starts");
    let address = server
        .base_url
        .trim_start_matches("http://")
        .trim_end_matches("/v1")
        .to_owned();
    let started = Instant::now();
    let closed = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(address).expect("connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("a read timeout");
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            .expect("writes");
        let mut buffer = [0u8; 512];
        // The server either closes the connection or answers 408; both end the read.
        stream.read(&mut buffer).is_ok()
    })
    .await
    .expect("the reader finishes");
    assert!(closed, "the connection was neither closed nor answered");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the slow client held the connection for {:?}",
        started.elapsed()
    );
    let health = reqwest::get(format!(
        "{}/healthz",
        server.base_url.trim_end_matches("/v1")
    ))
    .await
    .expect("the server still answers");
    assert!(health.status().is_success());
}

async fn assert_still_up(t: &Target) {
    let (status, body) = t.send(t.http.get(t.leads())).await;
    assert_eq!(status, 200, "the server stopped answering: {body}");
}
