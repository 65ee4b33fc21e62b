//! What operators run the server with: `/metrics`, `/readyz`, and `admin backup`.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use leads_client::types::LeadCreate;
use leads_client::Auth;
use leads_e2e_tests::{
    admin, find_address, http_get, seed_world, server_binary, Backend, Database, Server,
    POSTGRES_ENV,
};

/// The value of the sample `name` (with its labels, as printed) in a metrics text.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_requests_latency_pools_batches_and_the_auth_cache() {
    let database = Database::create(Backend::Sqlite).expect("a database");
    let world = seed_world(&database).expect("seeded");
    let server = Server::start(&database, &[]).expect("the server starts");
    let client = server.client(world.agent.basic());
    let project = world.project.as_str();
    for i in 0..3 {
        client
            .create_lead()
            .project_id(project)
            .body(LeadCreate::builder().lead_id(format!("m{i}")))
            .send()
            .await
            .expect("created");
    }
    client
        .list_leads()
        .project_id(project)
        .send()
        .await
        .expect("listed");
    let missing = client
        .get_lead()
        .project_id(project)
        .id("5b55e806c93dde00143163dc")
        .send()
        .await;
    assert!(missing.is_err());
    let anonymous = server
        .anonymous()
        .list_leads()
        .project_id(project)
        .send()
        .await;
    assert!(anonymous.is_err());

    let (status, text) = server.get("/metrics").expect("scraped");
    assert_eq!(status, 200);
    let excerpt: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.starts_with("leads_http_requests_total")
                || l.starts_with("leads_http_requests_in_flight")
                || l.contains("operation=\"listLeads\",le=\"0.256\"")
                || l.starts_with("leads_db_pool")
                || l.starts_with("leads_group_commit_batch_size_sum")
                || l.starts_with("leads_group_commit_batch_size_count")
                || l.starts_with("leads_auth_cache_lookups_total")
        })
        .collect();
    eprintln!("/metrics excerpt:\n{}", excerpt.join("\n"));
    let count =
        |name: &str| sample(&text, name).unwrap_or_else(|| panic!("no `{name}` in:\n{text}"));
    assert_eq!(
        count(r#"leads_http_requests_total{operation="createLead",status="200"}"#),
        3.0
    );
    assert_eq!(
        count(r#"leads_http_requests_total{operation="listLeads",status="200"}"#),
        1.0
    );
    assert_eq!(
        count(r#"leads_http_requests_total{operation="getLead",status="404"}"#),
        1.0
    );
    assert_eq!(
        count(r#"leads_http_requests_total{operation="listLeads",status="401"}"#),
        1.0
    );
    assert_eq!(
        count(r#"leads_http_request_duration_seconds_count{operation="createLead"}"#),
        3.0
    );
    assert_eq!(
        count(r#"leads_http_request_duration_seconds_bucket{operation="listLeads",le="+Inf"}"#),
        2.0,
        "the 200 and the 401"
    );
    assert_eq!(
        count("leads_http_requests_in_flight"),
        1.0,
        "the scrape itself is in flight"
    );
    assert_eq!(
        count("leads_group_commit_batch_size_sum"),
        3.0,
        "three creates"
    );
    assert!(count("leads_group_commit_batch_size_count") >= 1.0);
    assert!(count("leads_group_commit_wait_seconds_count") >= 3.0);
    assert_eq!(
        count(r#"leads_db_pool_max_connections{pool="write"}"#),
        1.0,
        "one SQLite writer"
    );
    assert!(sample(
        &text,
        r#"leads_db_pool_connections{pool="read",state="idle"}"#
    )
    .is_some());
    assert!(sample(
        &text,
        r#"leads_db_pool_connections{pool="write",state="in_use"}"#
    )
    .is_some());
    assert_eq!(count("leads_db_pool_timeouts_total"), 0.0);
    // Five Basic requests: the first verifies (a miss), the other four hit.
    assert_eq!(
        count(r#"leads_auth_cache_lookups_total{result="miss"}"#),
        1.0
    );
    assert_eq!(
        count(r#"leads_auth_cache_lookups_total{result="hit"}"#),
        4.0
    );
    assert!(
        !text.contains(&world.project),
        "labels carry operations, never what a request contained"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_can_be_turned_off_or_served_elsewhere() {
    let database = Database::create(Backend::Sqlite).expect("a database");
    let off = Server::start(&database, &["--no-metrics"]).expect("starts without metrics");
    assert_eq!(off.get("/metrics").expect("answered").0, 404);
    assert_eq!(off.get("/readyz").expect("answered").0, 200);
    drop(off);

    let moved = Server::start(&database, &["--metrics-addr", "127.0.0.1:0"])
        .expect("starts with metrics elsewhere");
    assert_eq!(
        moved.get("/metrics").expect("answered").0,
        404,
        "not next to the API"
    );
    let metrics_addr = moved
        .log()
        .iter()
        .filter(|line| line.contains("metrics are served"))
        .find_map(|line| find_address(line))
        .expect("the metrics address is logged");
    assert_ne!(metrics_addr, moved.addr);
    let (status, text) = http_get(&metrics_addr, "/metrics").expect("scraped");
    assert_eq!(status, 200);
    assert!(text.contains("leads_http_requests_total"), "{text}");
    assert_eq!(
        http_get(&metrics_addr, "/v1/anything").expect("answered").0,
        404,
        "only /metrics there"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn readyz_and_healthz_on_sqlite() {
    let database = Database::create(Backend::Sqlite).expect("a database");
    let server = Server::start(&database, &[]).expect("the server starts");
    assert_eq!(
        server.get("/readyz").expect("answered"),
        (200, r#"{"status":"ready"}"#.to_owned())
    );
    assert_eq!(
        server.get("/healthz").expect("answered"),
        (200, r#"{"status":"ok"}"#.to_owned())
    );
}

/// While another server holds the migration lock, a starting server is alive but not
/// ready: `/healthz` 200, `/readyz` 503, the API 503 with `Retry-After`. When the lock
/// is released it migrates, or finds the schema migrated, and becomes ready.
#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(leads_postgres_tests),
    ignore = "set LEADS_TEST_POSTGRES_URL to run the servers on PostgreSQL"
)]
async fn readyz_waits_for_migrations_on_postgres() {
    let database = Database::create(Backend::Postgres).expect("a database");
    let mut holder = Command::new("psql")
        .args([
            &database.url,
            "-q",
            "-c",
            &format!("SELECT pg_advisory_lock({})", leads_server_migration_lock()),
            "-c",
            "\\echo locked",
            "-c",
            "SELECT pg_sleep(4)",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("psql holds the migration lock");
    let output = std::io::BufReader::new(holder.stdout.take().expect("psql's output"));
    assert!(
        std::io::BufRead::lines(output)
            .map_while(Result::ok)
            .any(|line| line.trim() == "locked"),
        "psql took the lock"
    );
    let server = Server::spawn(&database, &[]).expect("the server listens");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !server.log().iter().any(|l| l.contains("waiting for it")) {
        assert!(
            std::time::Instant::now() < deadline,
            "the server does not wait: {:?}",
            server.log().iter().take(5).collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        server.get("/healthz").expect("answered"),
        (200, r#"{"status":"starting"}"#.to_owned()),
        "alive"
    );
    assert_eq!(
        server.get("/readyz").expect("answered"),
        (503, r#"{"status":"starting"}"#.to_owned()),
        "not ready"
    );
    let api = reqwest::Client::new()
        .get(format!(
            "{}/5b55e806c93dde00143163dd/leads",
            server.base_url
        ))
        .send()
        .await
        .expect("answered");
    assert_eq!(api.status(), 503);
    assert_eq!(
        api.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    // The lock goes with psql's session, after its sleep (a killed client would leave
    // the backend sleeping with the lock).
    let _ = holder.wait();
    server
        .wait_ready(Duration::from_secs(30))
        .expect("ready once the lock is free");
    assert!(server
        .log()
        .iter()
        .any(|l| l.contains("migrated the schema")));
}

/// The advisory lock key servers migrate under.
fn leads_server_migration_lock() -> i64 {
    0x6c65_6164_736d_6967
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_taken_under_load_restores_every_acknowledged_lead() {
    let database = Database::create(Backend::Sqlite).expect("a database");
    let world = seed_world(&database).expect("seeded");
    let token = admin(&database, &["token", &world.agent.email]).expect("a token");
    let server = Server::start(&database, &[]).expect("the server starts");
    let client = server.client(Auth::jwt(&token));
    let acked = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let (client, acked, stop) = (client.clone(), acked.clone(), stop.clone());
            let project = world.project.clone();
            tokio::spawn(async move {
                for i in 0.. {
                    if stop.load(std::sync::atomic::Ordering::SeqCst) {
                        break;
                    }
                    let lead_id = format!("b-w{w}-{i}");
                    let lead = client
                        .create_lead()
                        .project_id(&*project)
                        .body(LeadCreate::builder().lead_id(lead_id.clone()))
                        .send()
                        .await
                        .expect("no create fails while the backup runs")
                        .into_inner();
                    acked
                        .lock()
                        .expect("not poisoned")
                        .push((lead.id.to_string(), lead_id));
                }
            })
        })
        .collect();
    while acked.lock().expect("not poisoned").len() < 100 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let restored = Database::create(Backend::Sqlite).expect("a place for the copy");
    let target = restored
        .url
        .strip_prefix("sqlite://")
        .expect("a SQLite URL")
        .to_owned();
    let before = acked.lock().expect("not poisoned").clone();
    let output = Command::new(server_binary().expect("built"))
        .args(["admin", "backup", &target, "--database-url", &database.url])
        .env("RUST_LOG", "error")
        .output()
        .expect("admin backup runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for writer in writers {
        writer.await.expect("a writer");
    }
    let after = acked.lock().expect("not poisoned").len();
    assert!(after > before.len(), "the load went on during the backup");

    let again = Command::new(server_binary().expect("built"))
        .args(["admin", "backup", &target, "--database-url", &database.url])
        .output()
        .expect("admin backup runs");
    assert!(
        !again.status.success(),
        "an existing file is never overwritten"
    );

    let copy = Server::start(&restored, &[]).expect("a server on the copy");
    let copy_client = copy.client(Auth::jwt(&token));
    for (id, lead_id) in &before {
        let lead = copy_client
            .get_lead()
            .project_id(&*world.project)
            .id(&**id)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!("lead {id}, acknowledged before the backup, is missing: {e}")
            })
            .into_inner();
        assert_eq!(&lead.lead_id, lead_id);
    }
    let page = copy_client
        .list_leads()
        .project_id(&*world.project)
        .send()
        .await
        .expect("listed")
        .into_inner();
    let exported = copy_client
        .export_leads_csv()
        .project_id(&*world.project)
        .send()
        .await
        .expect("exported")
        .into_inner();
    let mut stream = exported.into_inner();
    let mut bytes = Vec::new();
    while let Some(chunk) = futures::TryStreamExt::try_next(&mut stream)
        .await
        .expect("the export")
    {
        bytes.extend_from_slice(&chunk);
    }
    let rows = String::from_utf8_lossy(&bytes).lines().count() - 1;
    assert_eq!(
        page.count as usize, rows,
        "the copy's count equals its rows"
    );
    assert!(rows >= before.len());
    eprintln!(
        "backup under load: {} leads acknowledged before it, {rows} in the copy, {after} in all",
        before.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(leads_postgres_tests),
    ignore = "set LEADS_TEST_POSTGRES_URL to run the servers on PostgreSQL"
)]
async fn backup_refuses_postgres() {
    assert!(std::env::var(POSTGRES_ENV).is_ok());
    let database = Database::create(Backend::Postgres).expect("a database");
    let error = admin(&database, &["backup", "/tmp/never-written.db"]).expect_err("refused");
    assert!(error.to_string().contains("pg_dump"), "{error}");
    assert!(!std::path::Path::new("/tmp/never-written.db").exists());
}
