//! Faults are told apart from the caller's mistakes: broken stored data is a 500 with a log
//! line (never a 401, a zero or 1970) and never takes its project's list down, a busy
//! server a 503 with `Retry-After` (never a 500), and an `Idempotency-Key` makes a create
//! that may have been applied safe to retry.

use futures::TryStreamExt;
use std::time::{Duration, Instant};

use leads_client::types::{self, LeadCreate};
use leads_client::{Auth, Client, ClientBuilder, RetryPolicy};
use leads_e2e_tests::{admin, hold_write_lock, seed_world, sql, Backend, Database, Server};
use serde_json::json;

fn once(server: &Server, auth: Auth) -> Client {
    ClientBuilder::new(&server.base_url)
        .auth(auth)
        .retry(RetryPolicy::none())
        .build()
        .expect("a client")
}

fn status<T>(
    result: &Result<leads_client::ResponseValue<T>, leads_client::Error<types::Error>>,
) -> u16 {
    match result {
        Ok(value) => value.status().as_u16(),
        Err(error) => error.status().map_or(0, |s| s.as_u16()),
    }
}

/// Waits until the server has logged a line containing every one of `words`.
fn logged(server: &Server, words: &[&str]) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if server
            .log()
            .iter()
            .any(|line| words.iter().all(|w| line.contains(w)))
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_stored_data_is_a_logged_500_on_sqlite() {
    broken_stored_data_is_a_logged_500(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(leads_postgres_tests),
    ignore = "set LEADS_TEST_POSTGRES_URL to run the servers on PostgreSQL"
)]
async fn broken_stored_data_is_a_logged_500_on_postgres() {
    broken_stored_data_is_a_logged_500(Backend::Postgres).await;
}

async fn broken_stored_data_is_a_logged_500(backend: Backend) {
    let database = Database::create(backend).expect("a database");
    let world = seed_world(&database).expect("seeded");
    let server = Server::start(&database, &[]).expect("the server starts");
    let project = world.project.as_str();
    let agent = once(&server, world.agent.basic());
    let lead = agent
        .create_lead()
        .project_id(project)
        .body(LeadCreate::builder().lead_id("fragile"))
        .send()
        .await
        .expect("created")
        .into_inner();

    // A malformed stored password hash: the server cannot check the password.
    sql(
        &database,
        "UPDATE users SET password_hash = 'not a PHC string' WHERE email_key = 'low@e2e.test';",
    )
    .expect("hash broken");
    let low = once(&server, world.low.basic());
    assert_eq!(
        status(&low.list_leads().project_id(project).send().await),
        500,
        "{backend:?}: a broken hash is no wrong password"
    );
    let signin = server
        .anonymous()
        .signin()
        .body(
            types::SigninRequest::builder()
                .email(world.low.email.clone())
                .password(world.low.password.clone()),
        )
        .send()
        .await;
    assert_eq!(status(&signin), 500, "{backend:?}: signin too");
    assert!(
        logged(&server, &["cannot check credentials", "malformed"]),
        "{backend:?}: no log line for the broken hash"
    );

    // A corrupt timestamp is not 1970.
    sql(
        &database,
        &format!(
            "UPDATE leads SET created_at = 9223372036854775807 WHERE id = '{}';",
            lead.id.as_str()
        ),
    )
    .expect("timestamp broken");
    assert_eq!(
        status(
            &agent
                .get_lead()
                .project_id(project)
                .id(lead.id.as_str())
                .send()
                .await
        ),
        500,
        "{backend:?}: a corrupt timestamp"
    );
    assert!(
        logged(&server, &["storage failed", "out of range"]),
        "{backend:?}: no log line for the timestamp"
    );
    // The project's list and export still answer, without the broken lead, and the log
    // names it.
    let other = agent
        .create_lead()
        .project_id(project)
        .body(LeadCreate::builder().lead_id("sound"))
        .send()
        .await
        .expect("created")
        .into_inner();
    let page = agent
        .list_leads()
        .project_id(project)
        .send()
        .await
        .expect("the list still answers")
        .into_inner();
    let listed: Vec<&str> = page.leads.iter().map(|l| l.lead_id.as_str()).collect();
    assert_eq!(listed, vec!["sound"], "{backend:?}: the sound lead alone");
    assert!(
        logged(&server, &["cannot be read", lead.id.as_str()]),
        "{backend:?}: no log line naming the unreadable lead"
    );
    let chunks: Vec<_> = agent
        .export_leads_csv()
        .project_id(project)
        .send()
        .await
        .expect("the export still answers")
        .into_inner()
        .into_inner()
        .try_collect()
        .await
        .expect("the export streams");
    let csv = String::from_utf8(chunks.concat()).expect("UTF-8");
    assert!(
        csv.contains(other.id.as_str()) && !csv.contains(lead.id.as_str()),
        "{backend:?}: {csv}"
    );
    sql(
        &database,
        &format!(
            "UPDATE leads SET created_at = 0 WHERE id = '{}';",
            lead.id.as_str()
        ),
    )
    .expect("timestamp repaired");
    assert_eq!(
        status(
            &agent
                .get_lead()
                .project_id(project)
                .id(lead.id.as_str())
                .send()
                .await
        ),
        200
    );

    // A negative count is not 0.
    sql(
        &database,
        &format!("UPDATE lead_counts SET n = -5 WHERE project_id = '{project}';"),
    )
    .expect("count broken");
    assert_eq!(
        status(&agent.list_leads().project_id(project).send().await),
        500,
        "{backend:?}: a negative count"
    );
    assert!(
        logged(&server, &["a stored count is negative"]),
        "{backend:?}: no log line for the count"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_busy_server_answers_503_and_keys_reconcile_on_sqlite() {
    a_busy_server_answers_503_and_keys_reconcile(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(leads_postgres_tests),
    ignore = "set LEADS_TEST_POSTGRES_URL to run the servers on PostgreSQL"
)]
async fn a_busy_server_answers_503_and_keys_reconcile_on_postgres() {
    a_busy_server_answers_503_and_keys_reconcile(Backend::Postgres).await;
}

/// Writes wait behind a lock held outside the server. Creates time out, and so do two
/// updates: the batch writer and the two updates each need a connection for as long as
/// the lock is held, and writes get fewer than three (one on SQLite, two on PostgreSQL
/// here), so one of them finds none, whatever the order they come in. Every
/// request is answered 503 with `Retry-After`, never 500. Once the lock is gone, the
/// creates retried with their keys leave exactly one lead per key.
async fn a_busy_server_answers_503_and_keys_reconcile(backend: Backend) {
    let database = Database::create(backend).expect("a database");
    let world = seed_world(&database).expect("seeded");
    let token = admin(&database, &["token", &world.agent.email]).expect("a token");
    let server = Server::start(
        &database,
        &[
            "--request-timeout",
            "1s",
            "--database-acquire-timeout",
            "300ms",
            "--database-max-connections",
            "2",
        ],
    )
    .expect("the server starts");
    let project = world.project.as_str();
    let client = once(&server, Auth::jwt(&token));
    let lead = client
        .create_lead()
        .project_id(project)
        .body(LeadCreate::builder().lead_id("before"))
        .send()
        .await
        .expect("created")
        .into_inner();

    let mut holder = hold_write_lock(&database, Duration::from_secs(4)).expect("the lock");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let http = reqwest::Client::new();
    let create = |i: usize, lead_id: &str| {
        http.post(format!("{}/{project}/leads", server.base_url))
            .header("authorization", format!("JWT {token}"))
            .header("idempotency-key", format!("key-{i}"))
            .json(&json!({ "lead_id": lead_id }))
            .send()
    };
    let update = |fullname: &str| {
        http.put(format!(
            "{}/{project}/leads/{}",
            server.base_url,
            lead.id.as_str()
        ))
        .header("authorization", format!("JWT {token}"))
        .json(&json!({ "fullname": fullname }))
        .send()
    };
    let (a, b, c, d, e) = futures::join!(
        create(0, "timed-out-0"),
        create(1, "timed-out-1"),
        create(2, "timed-out-2"),
        update("late"),
        update("later")
    );
    for (what, answer) in [
        ("create 0", a),
        ("create 1", b),
        ("create 2", c),
        ("update 0", d),
        ("update 1", e),
    ] {
        let answer = answer.expect("answered");
        assert_eq!(answer.status(), 503, "{backend:?}: {what}");
        assert_eq!(
            answer
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
            Some("1"),
            "{backend:?}: {what}"
        );
        let body: serde_json::Value = answer.json().await.expect("the error body");
        assert_eq!(body["success"], json!(false), "{backend:?}: {what}");
    }
    let _ = holder.wait();
    // Whatever was applied behind the 503s settles.
    tokio::time::sleep(Duration::from_millis(500)).await;

    for i in 0..3 {
        let answer = create(i, &format!("timed-out-{i}"))
            .await
            .expect("answered");
        assert_eq!(answer.status(), 200, "{backend:?}: retry {i}");
        let reused = create(i, "another body").await.expect("answered");
        assert_eq!(
            reused.status(),
            409,
            "{backend:?}: key {i} with another body"
        );
    }
    let page = client
        .list_leads()
        .project_id(project)
        .send()
        .await
        .expect("listed")
        .into_inner();
    for i in 0..3 {
        let copies = page
            .leads
            .iter()
            .filter(|l| l.lead_id == format!("timed-out-{i}"))
            .count();
        assert_eq!(copies, 1, "{backend:?}: key {i} made {copies} leads");
    }
    assert_eq!(page.count, 4, "{backend:?}: `before` and one lead per key");
    let (_, metrics) = server.get("/metrics").expect("scraped");
    let timeouts: f64 = metrics
        .lines()
        .find_map(|l| {
            l.strip_prefix("leads_db_pool_timeouts_total ")?
                .parse()
                .ok()
        })
        .expect("the pool timeout counter");
    assert!(
        timeouts >= 1.0,
        "{backend:?}: no operation found the connections all taken"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn idempotent_creates_survive_restarts_on_sqlite() {
    idempotent_creates_survive_restarts(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(leads_postgres_tests),
    ignore = "set LEADS_TEST_POSTGRES_URL to run the servers on PostgreSQL"
)]
async fn idempotent_creates_survive_restarts_on_postgres() {
    idempotent_creates_survive_restarts(Backend::Postgres).await;
}

/// How many leads the default list of `project` counts.
async fn listed(client: &Client, project: &str) -> u64 {
    client
        .list_leads()
        .project_id(project)
        .send()
        .await
        .expect("listed")
        .into_inner()
        .count
}

/// Asserts that `outcome` is a 409 whose message says `says`.
fn assert_conflict<T: std::fmt::Debug>(
    outcome: Result<leads_client::ResponseValue<T>, leads_client::Error<types::Error>>,
    says: &str,
    backend: Backend,
) {
    match outcome {
        Err(leads_client::Error::ErrorResponse(answer)) => {
            assert_eq!(answer.status().as_u16(), 409, "{backend:?}");
            assert!(answer.msg.contains(says), "{backend:?}: {}", answer.msg);
        }
        other => panic!("{backend:?}: expected 409 ({says}), got {other:?}"),
    }
}

/// The same key and body answer the lead first created, as it is now, after a restart and
/// from another server on the same database; another body is a 409, and so is the key of
/// a lead deleted for good; another project another key.
async fn idempotent_creates_survive_restarts(backend: Backend) {
    let database = Database::create(backend).expect("a database");
    let world = seed_world(&database).expect("seeded");
    let server = Server::start(&database, &[]).expect("the server starts");
    let body = || {
        LeadCreate::builder().lead_id("once").tags(vec![
            "a".parse().expect("a tag"),
            "b".parse().expect("a tag"),
        ])
    };
    let key: types::IdempotencyKey = "order-7f3a".parse().expect("a key");
    let project = world.project.clone();
    let create = |client: Client, key: types::IdempotencyKey| {
        let project = project.clone();
        async move {
            client
                .create_lead()
                .project_id(&*project)
                .idempotency_key(key)
                .body(body())
                .send()
                .await
        }
    };
    let first = create(server.client(world.agent.basic()), key.clone())
        .await
        .expect("created")
        .into_inner();
    let again = create(server.client(world.agent.basic()), key.clone())
        .await
        .expect("replayed")
        .into_inner();
    assert_eq!(again, first, "{backend:?}: the lead first created");
    let other_body = server
        .client(world.agent.basic())
        .create_lead()
        .project_id(&*world.project)
        .idempotency_key(key.clone())
        .body(LeadCreate::builder().lead_id("twice"))
        .send()
        .await;
    assert_conflict(other_body, "with a different body", backend);
    let malformed = reqwest::Client::new()
        .post(format!("{}/{}/leads", server.base_url, world.project))
        .basic_auth(&world.agent.email, Some(&world.agent.password))
        .header("idempotency-key", "has spaces")
        .json(&json!({"lead_id": "x"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(
        malformed.status(),
        400,
        "{backend:?}: a key outside the pattern"
    );
    drop(server);

    let restarted = Server::start(&database, &[]).expect("the server restarts");
    let second_server = Server::start(&database, &[]).expect("another server");
    for server in [&restarted, &second_server] {
        let replayed = create(server.client(world.agent.basic()), key.clone())
            .await
            .expect("replayed")
            .into_inner();
        assert_eq!(replayed, first, "{backend:?}: the key outlives the process");
    }
    let agent = restarted.client(world.agent.basic());
    assert_eq!(
        listed(&agent, &world.project).await,
        1,
        "{backend:?}: one lead for one key"
    );

    // A retry answers the lead as a read finds it now, not a copy of the first answer.
    agent
        .update_lead()
        .project_id(&*world.project)
        .id(first.id.clone())
        .body(
            serde_json::from_value::<types::LeadUpdate>(json!({ "fullname": "Renamed" }))
                .expect("a valid body"),
        )
        .send()
        .await
        .expect("renamed");
    let read = agent
        .get_lead()
        .project_id(&*world.project)
        .id(first.id.clone())
        .send()
        .await
        .expect("read")
        .into_inner();
    let replayed = create(agent.clone(), key.clone())
        .await
        .expect("replayed")
        .into_inner();
    assert_eq!(replayed, read, "{backend:?}: the lead as it is now");
    assert_ne!(replayed, first, "{backend:?}: the rename shows");
    // Once that lead is deleted for good, the key answers 409 and creates nothing.
    restarted
        .client(world.owner.basic())
        .delete_lead_physically()
        .project_id(&*world.project)
        .id(first.id.clone())
        .send()
        .await
        .expect("deleted for good");
    assert_conflict(
        create(agent.clone(), key.clone()).await,
        "deleted for good",
        backend,
    );
    assert_eq!(
        listed(&agent, &world.project).await,
        0,
        "{backend:?}: the key created nothing new"
    );
    let elsewhere = restarted
        .client(world.outsider.basic())
        .create_lead()
        .project_id(&*world.other_project)
        .idempotency_key(key.clone())
        .body(body())
        .send()
        .await
        .expect("created in another project")
        .into_inner();
    assert_ne!(elsewhere.id, first.id, "{backend:?}: keys are per project");

    // A client that retries POSTs sends a key of its own, the same on every attempt.
    let retrying = ClientBuilder::new(&restarted.base_url)
        .auth(world.agent.basic())
        .retry(RetryPolicy::default().retry_posts(true))
        .build()
        .expect("a client");
    retrying
        .create_lead()
        .project_id(&*world.project)
        .body(LeadCreate::builder().lead_id("retried"))
        .send()
        .await
        .expect("created");
}
