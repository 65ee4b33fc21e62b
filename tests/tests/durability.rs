//! Durability: what the server acknowledged survives SIGKILL, intact; what it did not
//! acknowledge is either wholly there or wholly absent; counts equal rows; and SIGTERM
//! drains the requests in flight and acknowledges nothing it has not written.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use leads_client::types::{self, LeadCreate};
use leads_client::{Auth, Client, ClientBuilder, RetryPolicy};
use leads_e2e_tests::{admin, seed_world, Backend, Database, Server, World};
use serde_json::{json, Map, Value};

/// A client that sends every request once: retries would blur what was acknowledged.
fn once(server: &Server, token: &str) -> Client {
    ClientBuilder::new(&server.base_url)
        .auth(Auth::jwt(token))
        .retry(RetryPolicy::none())
        .build()
        .expect("a client")
}

/// How a request ended: acknowledged, refused with a status, or cut off.
enum Outcome<T> {
    Acked(T),
    Status(u16),
    CutOff,
}

fn outcome<T>(
    result: Result<leads_client::ResponseValue<T>, leads_client::Error<types::Error>>,
) -> Outcome<T> {
    match result {
        Ok(value) => Outcome::Acked(value.into_inner()),
        Err(error) => match error.status() {
            Some(status) => Outcome::Status(status.as_u16()),
            None => Outcome::CutOff,
        },
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_creates_survive_sigkill_on_sqlite() {
    acknowledged_creates_survive_sigkill(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(leads_postgres_tests),
    ignore = "set LEADS_TEST_POSTGRES_URL to run the servers on PostgreSQL"
)]
async fn acknowledged_creates_survive_sigkill_on_postgres() {
    acknowledged_creates_survive_sigkill(Backend::Postgres).await;
}

async fn acknowledged_creates_survive_sigkill(backend: Backend) {
    let database = Database::create(backend).expect("a database");
    let world = seed_world(&database).expect("seeded");
    // A token, not Basic: this suite measures durability, not password hashing.
    let token = admin(&database, &["token", &world.agent.email]).expect("a token");
    let mut acknowledged: Vec<(String, String)> = Vec::new();
    for round in 0..3 {
        let server = Server::start(&database, &[]).expect("the server starts");
        let client = once(&server, &token);
        let acked = Arc::new(Mutex::new(Vec::new()));
        let refused = Arc::new(Mutex::new(Vec::new()));
        let writers: Vec<_> = (0..16)
            .map(|w| {
                let client = client.clone();
                let project = world.project.clone();
                let (acked, refused) = (acked.clone(), refused.clone());
                tokio::spawn(async move {
                    for i in 0.. {
                        let lead_id = format!("r{round}-w{w}-{i}");
                        let body = LeadCreate::builder()
                            .lead_id(lead_id.clone())
                            .zipcode(Some("00144".parse().expect("a zip code")));
                        match outcome(
                            client
                                .create_lead()
                                .project_id(&*project)
                                .body(body)
                                .send()
                                .await,
                        ) {
                            Outcome::Acked(lead) => acked
                                .lock()
                                .expect("not poisoned")
                                .push((lead.id.to_string(), lead_id)),
                            // Every answer before the kill must be a success.
                            Outcome::Status(status) => {
                                refused.lock().expect("not poisoned").push(status);
                                break;
                            }
                            Outcome::CutOff => break,
                        }
                    }
                })
            })
            .collect();
        // Kill mid-load: once a good number of creates were acknowledged, or after
        // ten seconds on a slow machine.
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if acked.lock().expect("not poisoned").len() >= 200 {
                break;
            }
        }
        server.kill_hard();
        for writer in writers {
            let _ = writer.await;
        }
        let refused = refused.lock().expect("not poisoned").clone();
        assert!(
            refused.is_empty(),
            "{backend:?} round {round}: answers before the kill: {refused:?}"
        );
        let acked = acked.lock().expect("not poisoned").clone();
        assert!(
            !acked.is_empty(),
            "{backend:?} round {round}: nothing was acknowledged"
        );
        acknowledged.extend(acked);

        let server = Server::start(&database, &[]).expect("the server restarts");
        let client = once(&server, &token);
        for (id, lead_id) in &acknowledged {
            let lead = client
                .get_lead()
                .project_id(&*world.project)
                .id(&**id)
                .send()
                .await
                .unwrap_or_else(|e| {
                    panic!("{backend:?} round {round}: acknowledged lead {id} is gone: {e}")
                })
                .into_inner();
            assert_eq!(&lead.lead_id, lead_id, "{backend:?}: lead {id} changed");
            assert_eq!(
                lead.zipcode.as_deref(),
                Some("00144"),
                "{backend:?}: lead {id} changed"
            );
        }
        server.kill_hard();
    }
    eprintln!(
        "{backend:?}: {} acknowledged creates survived three SIGKILLs",
        acknowledged.len()
    );
}

/// What a lead must look like, from the acknowledged writes alone.
#[derive(Debug, Clone, PartialEq)]
struct Expected {
    fullname: Option<String>,
    tags: Vec<String>,
    attributes: Map<String, Value>,
    status: i64,
    version: u64,
}

impl Expected {
    fn new() -> Self {
        Expected {
            fullname: None,
            tags: Vec::new(),
            attributes: Map::new(),
            status: 100,
            version: 0,
        }
    }

    fn of(lead: &types::Lead) -> Self {
        let lead = serde_json::to_value(lead).expect("a lead serialises");
        Expected {
            fullname: lead["fullname"].as_str().map(str::to_owned),
            tags: serde_json::from_value(lead["tags"].clone()).unwrap_or_default(),
            attributes: lead["attributes"].as_object().cloned().unwrap_or_default(),
            status: lead["status"].as_i64().unwrap_or(100),
            version: lead["__v"].as_u64().unwrap_or(0),
        }
    }
}

/// One write of the mixed load, on one lead.
#[derive(Debug, Clone)]
enum Write {
    Rename(String),
    Tag(String),
    Merge(String, i64),
    SoftDelete,
    Restore,
    Remove,
}

impl Write {
    /// The lead after this write; `None` once removed.
    fn apply(&self, before: &Expected) -> Option<Expected> {
        let mut after = before.clone();
        match self {
            Write::Rename(name) => after.fullname = Some(name.clone()),
            Write::Tag(tag) => after.tags.push(tag.clone()),
            Write::Merge(key, value) => {
                after.attributes.insert(key.clone(), json!(value));
            }
            Write::SoftDelete => after.status = 1000,
            Write::Restore => after.status = 100,
            Write::Remove => return None,
        }
        after.version += 1;
        Some(after)
    }

    async fn send(&self, client: &Client, project: &str, id: &str) -> Outcome<()> {
        fn done<T>(
            result: Result<leads_client::ResponseValue<T>, leads_client::Error<types::Error>>,
        ) -> Outcome<()> {
            match outcome(result) {
                Outcome::Acked(_) => Outcome::Acked(()),
                Outcome::Status(s) => Outcome::Status(s),
                Outcome::CutOff => Outcome::CutOff,
            }
        }
        match self {
            Write::Rename(name) => done(
                client
                    .update_lead()
                    .project_id(project)
                    .id(id)
                    .body(
                        serde_json::from_value::<types::LeadUpdate>(json!({ "fullname": name }))
                            .expect("a valid body"),
                    )
                    .send()
                    .await,
            ),
            Write::Tag(tag) => done(
                client
                    .add_lead_tags()
                    .project_id(project)
                    .id(id)
                    .body(
                        serde_json::from_value::<types::TagList>(json!([tag]))
                            .expect("a valid body"),
                    )
                    .send()
                    .await,
            ),
            Write::Merge(key, value) => done(
                client
                    .merge_lead_attributes()
                    .project_id(project)
                    .id(id)
                    .body(
                        serde_json::from_value::<types::FreeForm>(json!({ key: value }))
                            .expect("a valid body"),
                    )
                    .send()
                    .await,
            ),
            Write::SoftDelete => done(client.delete_lead().project_id(project).id(id).send().await),
            Write::Restore => done(
                client
                    .update_lead()
                    .project_id(project)
                    .id(id)
                    .body(
                        serde_json::from_value::<types::LeadUpdate>(json!({ "status": 100 }))
                            .expect("a valid body"),
                    )
                    .send()
                    .await,
            ),
            Write::Remove => done(
                client
                    .delete_lead_physically()
                    .project_id(project)
                    .id(id)
                    .send()
                    .await,
            ),
        }
    }
}

/// One worker's leads: what each must be, and the write in flight when the server died.
#[derive(Debug, Default)]
struct Ledger {
    leads: BTreeMap<String, Expected>,
    removed: Vec<String>,
    in_flight: Option<(String, Write)>,
    acked: usize,
    refused: Vec<(String, u16)>,
    /// The next step, so names, tags and keys stay unique across rounds.
    step: usize,
}

/// Runs one worker's mixed writes until the server dies.
async fn mixed_writes(client: Client, project: String, worker: usize, ledger: Arc<Mutex<Ledger>>) {
    let first = ledger.lock().expect("not poisoned").step;
    for i in first.. {
        let (target, write) = {
            let mut ledger = ledger.lock().expect("not poisoned");
            ledger.step = i + 1;
            let ids: Vec<&String> = ledger.leads.keys().collect();
            let step = (i + worker) % 8;
            if ids.len() < 3 || step == 0 {
                (None, None)
            } else {
                let id = ids[(i * 7 + worker) % ids.len()].clone();
                let lead = &ledger.leads[&id];
                let write = match step {
                    1 | 2 => Write::Rename(format!("name-{worker}-{i}")),
                    3 | 4 => Write::Tag(format!("t{i}")),
                    5 => Write::Merge(format!("k{i}"), i as i64),
                    6 if lead.status == 100 => Write::SoftDelete,
                    6 => Write::Restore,
                    _ if ids.len() > 4 => Write::Remove,
                    _ => Write::Tag(format!("t{i}")),
                };
                (Some(id), Some(write))
            }
        };
        match (target, write) {
            (Some(id), Some(write)) => {
                ledger.lock().expect("not poisoned").in_flight = Some((id.clone(), write.clone()));
                let result = write.send(&client, &project, &id).await;
                let mut ledger = ledger.lock().expect("not poisoned");
                match result {
                    Outcome::Acked(()) => {
                        ledger.in_flight = None;
                        ledger.acked += 1;
                        let before = ledger.leads.remove(&id).expect("a lead of this worker");
                        match write.apply(&before) {
                            Some(after) => {
                                ledger.leads.insert(id, after);
                            }
                            None => ledger.removed.push(id),
                        }
                    }
                    Outcome::Status(status) => {
                        ledger.in_flight = None;
                        ledger.refused.push((format!("{write:?}"), status));
                        return;
                    }
                    Outcome::CutOff => return,
                }
            }
            _ => {
                let body = LeadCreate::builder().lead_id(format!("mixed-{worker}-{i}"));
                let result = outcome(
                    client
                        .create_lead()
                        .project_id(&*project)
                        .body(body)
                        .send()
                        .await,
                );
                let mut ledger = ledger.lock().expect("not poisoned");
                match result {
                    Outcome::Acked(lead) => {
                        ledger.acked += 1;
                        ledger.leads.insert(lead.id.to_string(), Expected::new());
                    }
                    Outcome::Status(status) => {
                        ledger.refused.push(("create".to_owned(), status));
                        return;
                    }
                    // An unacknowledged create may exist or not; either is whole.
                    Outcome::CutOff => return,
                }
            }
        }
    }
}

/// Every lead of every ledger is as acknowledged; the write in flight at the kill is
/// wholly applied or wholly absent, and the ledger follows what happened.
async fn check_ledgers(
    client: &Client,
    project: &str,
    ledgers: &[Arc<Mutex<Ledger>>],
    label: &str,
) {
    for ledger in ledgers {
        let shared = ledger;
        // Checked outside the lock (no guard is held across a request), then put back.
        let mut ledger = std::mem::take(&mut *shared.lock().expect("not poisoned"));
        let in_flight = ledger.in_flight.take();
        let ids: Vec<String> = ledger.leads.keys().cloned().collect();
        for id in ids {
            let expected = ledger.leads[&id].clone();
            let found = outcome(client.get_lead().project_id(project).id(&*id).send().await);
            let pending = in_flight
                .as_ref()
                .filter(|(target, _)| *target == id)
                .map(|(_, write)| write.apply(&expected));
            match (found, pending) {
                (Outcome::Acked(lead), None) => {
                    assert_eq!(Expected::of(&lead), expected, "{label}: lead {id}");
                }
                (Outcome::Acked(lead), Some(after)) => {
                    let found = Expected::of(&lead);
                    if Some(&found) == after.as_ref() {
                        ledger.leads.insert(id.clone(), found);
                    } else {
                        assert_eq!(found, expected, "{label}: lead {id} half-written");
                    }
                }
                (Outcome::Status(404), Some(None)) => {
                    ledger.leads.remove(&id);
                    ledger.removed.push(id.clone());
                }
                (other, _) => panic!(
                    "{label}: lead {id} should be there: {}",
                    match other {
                        Outcome::Status(s) => format!("status {s}"),
                        _ => "no answer".to_owned(),
                    }
                ),
            }
        }
        for id in &ledger.removed {
            let found = outcome(client.get_lead().project_id(project).id(&**id).send().await);
            assert!(
                matches!(found, Outcome::Status(404)),
                "{label}: removed lead {id} is back"
            );
        }
        *shared.lock().expect("not poisoned") = ledger;
    }
}

/// The count of every status equals the leads a full walk through the pages finds.
async fn check_counts(client: &Client, project: &str, label: &str) -> u64 {
    let mut total = 0;
    for status in [100, 1000] {
        let mut rows = 0u64;
        let mut count = None;
        for page in 0.. {
            let found = client
                .list_leads()
                .project_id(project)
                .status(types::LeadStatus::try_from(status).expect("a status"))
                .limit(std::num::NonZeroU32::new(100).expect("not zero"))
                .page(page)
                .send()
                .await
                .expect("listed")
                .into_inner();
            count.get_or_insert(found.count);
            rows += found.leads.len() as u64;
            if found.leads.len() < 100 {
                break;
            }
        }
        assert_eq!(
            count,
            Some(rows),
            "{label}: status {status}: count against rows"
        );
        total += rows;
    }
    total
}

#[tokio::test(flavor = "multi_thread")]
async fn mixed_writes_survive_sigkill_on_sqlite() {
    mixed_writes_survive_sigkill(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(leads_postgres_tests),
    ignore = "set LEADS_TEST_POSTGRES_URL to run the servers on PostgreSQL"
)]
async fn mixed_writes_survive_sigkill_on_postgres() {
    mixed_writes_survive_sigkill(Backend::Postgres).await;
}

/// Creates, updates, tag appends, merges, soft deletes, restores and physical deletes
/// from eight workers, each on leads of its own, killed with SIGKILL three times.
async fn mixed_writes_survive_sigkill(backend: Backend) {
    let database = Database::create(backend).expect("a database");
    let world: World = seed_world(&database).expect("seeded");
    // The owner: physical deletion needs it.
    let token = admin(&database, &["token", &world.owner.email]).expect("a token");
    let ledgers: Vec<Arc<Mutex<Ledger>>> = (0..8).map(|_| Arc::default()).collect();
    let mut acked_total = 0;
    for round in 0..3 {
        let label = format!("{backend:?} round {round}");
        let server = Server::start(&database, &[]).expect("the server starts");
        let client = once(&server, &token);
        let acked_before: usize = ledgers
            .iter()
            .map(|l| l.lock().expect("not poisoned").acked)
            .sum();
        let workers: Vec<_> = ledgers
            .iter()
            .enumerate()
            .map(|(w, ledger)| {
                tokio::spawn(mixed_writes(
                    client.clone(),
                    world.project.clone(),
                    w,
                    ledger.clone(),
                ))
            })
            .collect();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let acked: usize = ledgers
                .iter()
                .map(|l| l.lock().expect("not poisoned").acked)
                .sum();
            if acked - acked_before >= 400 {
                break;
            }
        }
        server.kill_hard();
        for worker in workers {
            worker.await.expect("a worker");
        }
        for ledger in &ledgers {
            let refused = ledger.lock().expect("not poisoned").refused.clone();
            assert!(
                refused.is_empty(),
                "{label}: answers before the kill: {refused:?}"
            );
        }
        let acked: usize = ledgers
            .iter()
            .map(|l| l.lock().expect("not poisoned").acked)
            .sum();
        assert!(acked > acked_before, "{label}: nothing was acknowledged");
        acked_total = acked;

        let server = Server::start(&database, &[]).expect("the server restarts");
        let client = once(&server, &token);
        check_ledgers(&client, &world.project, &ledgers, &label).await;
        let rows = check_counts(&client, &world.project, &label).await;
        let tracked: usize = ledgers
            .iter()
            .map(|l| l.lock().expect("not poisoned").leads.len())
            .sum();
        assert!(
            rows as usize >= tracked,
            "{label}: {rows} leads listed, {tracked} acknowledged and not removed"
        );
        server.kill_hard();
    }
    eprintln!("{backend:?}: {acked_total} acknowledged mixed writes survived three SIGKILLs");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_drains_in_flight_requests_on_sqlite() {
    sigterm_drains_in_flight_requests(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(leads_postgres_tests),
    ignore = "set LEADS_TEST_POSTGRES_URL to run the servers on PostgreSQL"
)]
async fn sigterm_drains_in_flight_requests_on_postgres() {
    sigterm_drains_in_flight_requests(Backend::Postgres).await;
}

/// SIGTERM while writes wait behind a lock held outside the server: the writes in flight
/// finish and are acknowledged after the lock is released, the server then exits 0, later
/// requests are refused (503 with `Retry-After`, or no connection), and every
/// acknowledged create is there after a restart.
async fn sigterm_drains_in_flight_requests(backend: Backend) {
    let database = Database::create(backend).expect("a database");
    let world = seed_world(&database).expect("seeded");
    let token = admin(&database, &["token", &world.agent.email]).expect("a token");
    let server = Server::start(&database, &["--shutdown-grace", "20s"]).expect("the server starts");
    let client = once(&server, &token);
    let mut holder = leads_e2e_tests::hold_write_lock(&database, Duration::from_secs(3))
        .expect("a lock held outside the server");
    tokio::time::sleep(Duration::from_millis(500)).await;

    let results = Arc::new(Mutex::new(Vec::new()));
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let (client, results) = (client.clone(), results.clone());
            let project = world.project.clone();
            tokio::spawn(async move {
                for i in 0.. {
                    let result = client
                        .create_lead()
                        .project_id(&*project)
                        .body(LeadCreate::builder().lead_id(format!("term-{w}-{i}")))
                        .send()
                        .await;
                    let end = match result {
                        Ok(lead) => Ok(lead.into_inner().id.to_string()),
                        Err(leads_client::Error::ErrorResponse(answer)) => Err(Some((
                            answer.status().as_u16(),
                            answer.headers().get("retry-after").is_some(),
                        ))),
                        Err(other) => match other.status() {
                            Some(status) => Err(Some((status.as_u16(), false))),
                            None => Err(None),
                        },
                    };
                    let stop = end.is_err();
                    results.lock().expect("not poisoned").push(end);
                    if stop {
                        break;
                    }
                }
            })
        })
        .collect();
    // The first writes are in flight, waiting for the lock.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        results.lock().expect("not poisoned").is_empty(),
        "nothing can be written while the lock is held"
    );
    let signalled = Instant::now();
    let exit = tokio::task::spawn_blocking(move || server.stop(Duration::from_secs(30)))
        .await
        .expect("stopping");
    let _ = holder.wait();
    for writer in writers {
        writer.await.expect("a writer");
    }
    let exit = exit.expect("the server exits by itself");
    assert!(exit.success(), "{backend:?}: exit status {exit}");
    assert!(
        signalled.elapsed() >= Duration::from_secs(1),
        "the server waited for the writes in flight"
    );
    let results = results.lock().expect("not poisoned").clone();
    let acked: Vec<&String> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert!(
        acked.len() >= 8,
        "{backend:?}: the eight writes in flight at SIGTERM were answered: {results:?}"
    );
    for (status, retry_after) in results.iter().filter_map(|r| r.as_ref().err()).flatten() {
        assert_eq!(
            *status, 503,
            "{backend:?}: refused while draining: {results:?}"
        );
        assert!(retry_after, "{backend:?}: a 503 without Retry-After");
    }

    let server = Server::start(&database, &[]).expect("the server restarts");
    let client = once(&server, &token);
    for id in &acked {
        client
            .get_lead()
            .project_id(&*world.project)
            .id(id.as_str())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{backend:?}: acknowledged lead {id} is gone: {e}"));
    }
    eprintln!(
        "{backend:?}: SIGTERM with {} writes waiting: {} acknowledged and kept, {} refused",
        8,
        acked.len(),
        results.len() - acked.len()
    );
}
