//! The ceilings: bare axum endpoints run as their own process, one answering a constant
//! lead, one reading the lead by primary key from the bench's database.
//!
//! They go through the same load generator and the same loopback as the reference server,
//! so the ratio between a ceiling and the server is what the server's own work costs on
//! this machine. The constant shows the HTTP stack alone; the primary-key read adds what
//! the database costs at its cheapest: one statement prepared once (a cached rusqlite
//! statement on a connection per thread for SQLite, a tokio-postgres prepared statement
//! for PostgreSQL), no pool, no authentication.

use std::cell::RefCell;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{json, Map, Value};

/// The lead every answer carries: the spec's example.
pub const LEAD_JSON: &str = r#"{"_id":"5c81593adf767b0017d1aa66","updatedAt":"2019-03-07T17:47:38.393Z","createdAt":"2019-03-07T17:47:38.393Z","lead_id":"SRbb2PfbSFcgICv9VQBcURZeloh1","fullname":"Guest","attributes":{"departmentId":"5b55e806c93dde00143163de"},"id_project":"5b55e806c93dde00143163dd","createdBy":"system","tags":[],"status":100,"__v":0}"#;

/// The columns the primary-key ceiling reads, in this order.
const COLUMNS: &str = "id, project_id, lead_id, fullname, email, tags, status, attributes, \
    created_by, created_at, updated_at, version";

/// PostgreSQL connections of the primary-key ceiling.
const PG_CONNECTIONS: usize = 8;

/// Serves on 127.0.0.1:0 and prints the address; runs until killed. Without a database
/// URL it answers the constant lead; with one, the lead read by primary key.
pub fn serve(database: Option<&str>) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let app = match database {
            None => axum::Router::new().route(
                "/v1/{project_id}/leads/{id}",
                get(|| async { ([("content-type", "application/json")], LEAD_JSON) }),
            ),
            Some(url) if url.starts_with("sqlite:") => {
                let path = url
                    .trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:")
                    .to_owned();
                axum::Router::new()
                    .route("/v1/{project_id}/leads/{id}", get(sqlite_read))
                    .with_state(Arc::new(path))
            }
            Some(url) => {
                let clients = postgres_clients(url, PG_CONNECTIONS).await?;
                axum::Router::new()
                    .route("/v1/{project_id}/leads/{id}", get(postgres_read))
                    .with_state(Arc::new(clients))
            }
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("listening on http://{}", listener.local_addr()?);
        axum::serve(listener, app).await
    })
}

thread_local! {
    /// The read connection of this worker thread.
    static SQLITE: RefCell<Option<rusqlite::Connection>> = const { RefCell::new(None) };
}

async fn sqlite_read(
    State(path): State<Arc<String>>,
    Path((project, id)): Path<(String, String)>,
) -> Response {
    let found = SQLITE.with_borrow_mut(|slot| -> rusqlite::Result<Option<Value>> {
        if slot.is_none() {
            *slot = Some(rusqlite::Connection::open_with_flags(
                path.as_str(),
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?);
        }
        let Some(conn) = slot.as_ref() else {
            return Ok(None);
        };
        let mut statement = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM leads WHERE project_id = ?1 AND id = ?2"
        ))?;
        let mut rows = statement.query([&project, &id])?;
        let Some(row) = rows.next()? else {
            return Ok(None);
        };
        let tags: String = row.get(5)?;
        let attributes: String = row.get(7)?;
        Ok(Some(lead_json(
            [row.get(0)?, row.get(1)?, row.get(2)?, row.get(8)?],
            [row.get(3)?, row.get(4)?],
            serde_json::from_str(&tags).unwrap_or(Value::Null),
            row.get(6)?,
            serde_json::from_str(&attributes).unwrap_or(Value::Null),
            [row.get(9)?, row.get(10)?, row.get(11)?],
        )))
    });
    answer(found.map_err(|e| e.to_string()))
}

/// Connections to `url`, each with the read prepared.
async fn postgres_clients(
    url: &str,
    connections: usize,
) -> std::io::Result<(
    Vec<(tokio_postgres::Client, tokio_postgres::Statement)>,
    AtomicUsize,
)> {
    let mut clients = Vec::with_capacity(connections);
    for _ in 0..connections {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .map_err(std::io::Error::other)?;
        tokio::spawn(connection);
        let statement = client
            .prepare(&format!(
                "SELECT {COLUMNS} FROM leads WHERE project_id = $1 AND id = $2"
            ))
            .await
            .map_err(std::io::Error::other)?;
        clients.push((client, statement));
    }
    Ok((clients, AtomicUsize::new(0)))
}

type PgClients = (
    Vec<(tokio_postgres::Client, tokio_postgres::Statement)>,
    AtomicUsize,
);

async fn postgres_read(
    State(clients): State<Arc<PgClients>>,
    Path((project, id)): Path<(String, String)>,
) -> Response {
    let (clients, next) = &*clients;
    let (client, statement) = &clients[next.fetch_add(1, Ordering::Relaxed) % clients.len()];
    let found = client
        .query_opt(statement, &[&project, &id])
        .await
        .and_then(|row| {
            let Some(row) = row else {
                return Ok(None);
            };
            let tags: Vec<String> = row.try_get(5)?;
            let attributes: String = row.try_get(7)?;
            Ok(Some(lead_json(
                [
                    row.try_get(0)?,
                    row.try_get(1)?,
                    row.try_get(2)?,
                    row.try_get(8)?,
                ],
                [row.try_get(3)?, row.try_get(4)?],
                Value::from(tags),
                row.try_get(6)?,
                serde_json::from_str(&attributes).unwrap_or(Value::Null),
                [row.try_get(9)?, row.try_get(10)?, row.try_get(11)?],
            )))
        });
    answer(found.map_err(|e| e.to_string()))
}

/// The lead as the API shows it, from its columns.
fn lead_json(
    [id, project, lead_id, created_by]: [String; 4],
    [fullname, email]: [Option<String>; 2],
    tags: Value,
    status: i32,
    attributes: Value,
    [created_at, updated_at, version]: [i64; 3],
) -> Value {
    let date = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    };
    let mut lead = Map::new();
    lead.insert("_id".into(), json!(id));
    lead.insert("id_project".into(), json!(project));
    lead.insert("lead_id".into(), json!(lead_id));
    if let Some(fullname) = fullname {
        lead.insert("fullname".into(), json!(fullname));
    }
    if let Some(email) = email {
        lead.insert("email".into(), json!(email));
    }
    lead.insert("tags".into(), tags);
    lead.insert("status".into(), json!(status));
    lead.insert("attributes".into(), attributes);
    lead.insert("createdBy".into(), json!(created_by));
    lead.insert("createdAt".into(), json!(date(created_at)));
    lead.insert("updatedAt".into(), json!(date(updated_at)));
    lead.insert("__v".into(), json!(version));
    Value::Object(lead)
}

fn answer(found: Result<Option<Value>, String>) -> Response {
    match found {
        Ok(Some(lead)) => axum::Json(lead).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "{}").into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error).into_response(),
    }
}

/// Starts a bare server as a child process of this executable: the constant one, or with
/// `database` the primary-key read from it.
pub fn spawn(database: Option<&str>) -> std::io::Result<(Child, String)> {
    let mut command = Command::new(std::env::current_exe()?);
    command.args(["bench", "--bare-server"]);
    if let Some(url) = database {
        command.args(["--bare-database", url]);
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| std::io::Error::other("no stdout"))?;
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)?;
    let address = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or_else(|| std::io::Error::other(format!("unexpected output: {line}")))?
        .to_owned();
    Ok((child, format!("{address}/v1")))
}
