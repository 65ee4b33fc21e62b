//! Retries against a stand-in server that answers from a script: 503s (with
//! `Retry-After`) until it succeeds, or a closed connection.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::IntoResponse;
use leads_client::{types, Auth, ClientBuilder, Error, RetryPolicy};
use serde_json::json;

const PROJECT: &str = "5b55e806c93dde00143163dd";
const LEAD: &str = "5c81593adf767b0017d1aa66";

fn lead() -> serde_json::Value {
    json!({
        "_id": LEAD, "id_project": PROJECT, "lead_id": "x", "createdBy": "system",
        "attributes": {}, "createdAt": "2019-03-07T17:47:38.393Z",
        "updatedAt": "2019-03-07T17:47:38.393Z", "__v": 0
    })
}

/// What the stand-in saw: the method, the `Idempotency-Key`, and when.
type Seen = (Method, Option<String>, Instant);

/// A server that answers 503 with `Retry-After: <retry_after>` `busy` times, then 200.
async fn stand_in(busy: usize, retry_after: &'static str) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorder = seen.clone();
    let app = axum::Router::new().fallback(move |method: Method, headers: HeaderMap| {
        let recorder = recorder.clone();
        async move {
            let key = headers
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let mut seen = recorder.lock().expect("not poisoned");
            seen.push((method, key, Instant::now()));
            if seen.len() <= busy {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [
                        ("content-type", "application/json"),
                        ("retry-after", retry_after),
                    ],
                    json!({"success": false, "msg": "busy"}).to_string(),
                )
                    .into_response()
            } else {
                (
                    StatusCode::OK,
                    [("content-type", "application/json")],
                    lead().to_string(),
                )
                    .into_response()
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serves") });
    (format!("http://{address}/v1"), seen)
}

fn client(base_url: &str, retry: RetryPolicy) -> leads_client::Client {
    ClientBuilder::new(base_url)
        .auth(Auth::jwt("token"))
        .retry(retry)
        .build()
        .expect("a client")
}

#[tokio::test]
async fn get_lead_meets_two_503s_then_succeeds() {
    let (base_url, seen) = stand_in(2, "0").await;
    let lead = client(&base_url, RetryPolicy::default())
        .get_lead()
        .project_id(PROJECT)
        .id(LEAD)
        .send()
        .await
        .expect("the third attempt succeeds")
        .into_inner();
    assert_eq!(lead.id.as_str(), LEAD);
    let seen = seen.lock().expect("not poisoned");
    assert_eq!(seen.len(), 3, "two 503s, then the answer");
    assert!(seen.iter().all(|(method, _, _)| method == Method::GET));
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let (base_url, seen) = stand_in(1, "1").await;
    client(&base_url, RetryPolicy::default())
        .get_lead()
        .project_id(PROJECT)
        .id(LEAD)
        .send()
        .await
        .expect("the retry succeeds");
    let seen = seen.lock().expect("not poisoned");
    assert_eq!(seen.len(), 2);
    let waited = seen[1].2 - seen[0].2;
    assert!(
        waited >= Duration::from_millis(950),
        "waited {waited:?} where the server asked for a second"
    );
}

#[tokio::test]
async fn retries_are_bounded() {
    let (base_url, seen) = stand_in(100, "0").await;
    let error = client(&base_url, RetryPolicy::default().max_retries(2))
        .get_lead()
        .project_id(PROJECT)
        .id(LEAD)
        .send()
        .await
        .expect_err("every attempt is refused");
    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(
        seen.lock().expect("not poisoned").len(),
        3,
        "one try, two retries"
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_bound_is_answered_at_once() {
    let (base_url, seen) = stand_in(100, "3600").await;
    let started = Instant::now();
    let error = client(&base_url, RetryPolicy::default())
        .get_lead()
        .project_id(PROJECT)
        .id(LEAD)
        .send()
        .await
        .expect_err("refused");
    assert!(matches!(error, Error::ErrorResponse(ref e) if e.status() == 503));
    assert_eq!(seen.lock().expect("not poisoned").len(), 1);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn posts_are_not_retried_unless_asked_for_and_then_carry_one_key() {
    let create = |client: leads_client::Client| async move {
        client
            .create_lead()
            .project_id(PROJECT)
            .body(types::LeadCreate::builder().lead_id("x"))
            .send()
            .await
    };
    let (base_url, seen) = stand_in(2, "0").await;
    let refused = create(client(&base_url, RetryPolicy::default())).await;
    assert_eq!(
        refused.expect_err("not retried").status(),
        Some(StatusCode::SERVICE_UNAVAILABLE)
    );
    {
        let seen = seen.lock().expect("not poisoned");
        assert_eq!(seen.len(), 1, "a POST is sent once by default");
        assert_eq!(seen[0].1, None, "and carries no key it did not ask for");
    }

    let (base_url, seen) = stand_in(2, "0").await;
    create(client(&base_url, RetryPolicy::default().retry_posts(true)))
        .await
        .expect("retried until it succeeds");
    let seen = seen.lock().expect("not poisoned").clone();
    assert_eq!(seen.len(), 3);
    let key = seen[0].1.clone().expect("an Idempotency-Key");
    assert!(
        seen.iter()
            .all(|(_, k, _)| k.as_deref() == Some(key.as_str())),
        "the same key on every attempt: {seen:?}"
    );

    // A key the caller set is kept.
    let (base_url, seen) = stand_in(1, "0").await;
    client(&base_url, RetryPolicy::default().retry_posts(true))
        .create_lead()
        .project_id(PROJECT)
        .idempotency_key("mine-1")
        .body(types::LeadCreate::builder().lead_id("x"))
        .send()
        .await
        .expect("retried");
    let seen = seen.lock().expect("not poisoned");
    assert!(seen.iter().all(|(_, k, _)| k.as_deref() == Some("mine-1")));
}

#[tokio::test]
async fn retries_can_be_turned_off() {
    let (base_url, seen) = stand_in(1, "0").await;
    client(&base_url, RetryPolicy::none())
        .get_lead()
        .project_id(PROJECT)
        .id(LEAD)
        .send()
        .await
        .expect_err("no retry");
    assert_eq!(seen.lock().expect("not poisoned").len(), 1);
}

#[tokio::test]
async fn connection_errors_are_retried_for_reads() {
    // A server that accepts every connection and closes it without an answer.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let address = listener.local_addr().expect("an address");
    let accepted = Arc::new(Mutex::new(0usize));
    let counter = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            *counter.lock().expect("not poisoned") += 1;
            drop(stream);
        }
    });
    let error = client(
        &format!("http://{address}/v1"),
        RetryPolicy::default().base_delay(Duration::from_millis(10)),
    )
    .get_lead()
    .project_id(PROJECT)
    .id(LEAD)
    .send()
    .await
    .expect_err("no answer ever comes");
    assert!(matches!(error, Error::CommunicationError(_)), "{error:?}");
    assert_eq!(
        *accepted.lock().expect("not poisoned"),
        4,
        "one try and three retries"
    );
}
