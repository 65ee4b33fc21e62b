//! A harness for end-to-end suites: the real `leads-server` binary, on a fresh database,
//! seeded through its own `admin` commands, and driven through the generated client.
//!
//! The server runs as a child process so that a suite can do what an operator's machine
//! does to it: kill it with SIGKILL mid-write, restart it on the same data, measure it.
//! PostgreSQL suites run when `LEADS_TEST_POSTGRES_URL` names a server; each run creates
//! its own database and drops it afterwards, so runs never collide.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use leads_client::{Auth, Client, ClientBuilder};

/// The environment variable naming a PostgreSQL server for the suites.
pub const POSTGRES_ENV: &str = "LEADS_TEST_POSTGRES_URL";

/// Why the harness could not set something up.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// A command could not run or failed.
    #[error("{0}")]
    Command(String),
    /// The server did not come up.
    #[error("the server did not start: {0}")]
    Start(String),
    /// The PostgreSQL database for the run could not be created.
    #[error("postgres: {0}")]
    Postgres(String),
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The `leads-server` binary, built once per process and located from cargo's own report,
/// so a custom target directory is followed. It is built in this harness's own profile:
/// tests get a debug server, and the release bench a release one.
pub fn server_binary() -> Result<PathBuf, HarnessError> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            let output = Command::new(cargo)
                .current_dir(workspace_root())
                .args([
                    "build",
                    "--quiet",
                    "--package",
                    "leads-server",
                    "--bin",
                    "leads-server",
                    "--message-format=json-render-diagnostics",
                ])
                .args(if cfg!(debug_assertions) {
                    None
                } else {
                    Some("--release")
                })
                .stderr(Stdio::inherit())
                .output()
                .map_err(|e| format!("cannot run cargo: {e}"))?;
            if !output.status.success() {
                return Err("`cargo build -p leads-server` failed".to_owned());
            }
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
                .filter(|message| message["target"]["name"] == "leads-server")
                .find_map(|message| message["executable"].as_str().map(PathBuf::from))
                .ok_or_else(|| "cargo did not report the leads-server executable".to_owned())
        })
        .clone()
        .map_err(HarnessError::Command)
}

/// A unique suffix for names: the process id and a counter.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Which storage backend a suite runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on the server named by [`POSTGRES_ENV`].
    Postgres,
}

impl Backend {
    /// The backends to run on here: SQLite always, PostgreSQL when [`POSTGRES_ENV`] is set.
    /// For tools that loop over backends; a test suite uses [`on_each_backend!`], which
    /// shows a PostgreSQL run that cannot happen as ignored.
    pub fn available() -> Vec<Backend> {
        if std::env::var(POSTGRES_ENV).is_ok_and(|url| !url.is_empty()) {
            vec![Backend::Sqlite, Backend::Postgres]
        } else {
            vec![Backend::Sqlite]
        }
    }
}

/// Declares the tests `SUITE::on_sqlite` and `SUITE::on_postgres`, each calling
/// `async fn SUITE(backend: Backend)`. The PostgreSQL one is `#[ignore]`d, with the reason,
/// when `LEADS_TEST_POSTGRES_URL` was not set at build time, so a run without PostgreSQL
/// counts it as ignored rather than passed.
#[macro_export]
macro_rules! on_each_backend {
    ($suite:ident) => {
        mod $suite {
            #[tokio::test(flavor = "multi_thread")]
            async fn on_sqlite() {
                super::$suite($crate::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            #[cfg_attr(
                not(leads_postgres_tests),
                ignore = "set LEADS_TEST_POSTGRES_URL to run against PostgreSQL"
            )]
            async fn on_postgres() {
                super::$suite($crate::Backend::Postgres).await;
            }
        }
    };
}

/// A database for one test, removed when dropped.
#[derive(Debug)]
pub struct Database {
    /// The URL the server opens.
    pub url: String,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    Directory(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl Database {
    /// Creates an empty database on `backend`.
    pub fn create(backend: Backend) -> Result<Self, HarnessError> {
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(unique("leads-e2e"));
                std::fs::create_dir_all(&dir).map_err(|e| {
                    HarnessError::Command(format!("cannot create {}: {e}", dir.display()))
                })?;
                Ok(Self {
                    url: format!("sqlite://{}", dir.join("leads.db").display()),
                    cleanup: Cleanup::Directory(dir),
                })
            }
            Backend::Postgres => {
                let admin_url = std::env::var(POSTGRES_ENV)
                    .map_err(|_| HarnessError::Postgres(format!("{POSTGRES_ENV} is not set")))?;
                let name = unique("leads_e2e");
                psql(&admin_url, &format!("CREATE DATABASE \"{name}\""))?;
                Ok(Self {
                    url: replace_database(&admin_url, &name),
                    cleanup: Cleanup::Postgres { admin_url, name },
                })
            }
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Directory(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, name } => {
                let _ = psql(
                    admin_url,
                    &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                );
            }
        }
    }
}

/// `postgres://user@host:port/db?x` with the database replaced by `name`.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// Runs SQL statements on `database` behind the server's back, as an operator (or a
/// fault) would: `psql` for PostgreSQL, Python's `sqlite3` module for SQLite.
pub fn sql(database: &Database, statements: &str) -> Result<(), HarnessError> {
    match &database.cleanup {
        Cleanup::Postgres { .. } => psql(&database.url, statements),
        Cleanup::Directory(dir) => {
            let script = "import sqlite3, sys\n\
                          db = sqlite3.connect(sys.argv[1], timeout=30)\n\
                          db.executescript(sys.argv[2])\n\
                          db.commit()\n";
            let output = Command::new("python3")
                .args(["-c", script])
                .arg(dir.join("leads.db"))
                .arg(statements)
                .stdin(Stdio::null())
                .output()
                .map_err(|e| HarnessError::Command(format!("cannot run python3: {e}")))?;
            if output.status.success() {
                Ok(())
            } else {
                Err(HarnessError::Command(
                    String::from_utf8_lossy(&output.stderr).trim().to_owned(),
                ))
            }
        }
    }
}

/// Holds the write lock of the leads table from outside the server for `hold`: writes
/// wait behind it, reads do not. Returns once the lock is held, with the process that
/// holds it; it lets go by itself.
pub fn hold_write_lock(database: &Database, hold: Duration) -> Result<Child, HarnessError> {
    let seconds = hold.as_secs_f64();
    let mut command = match &database.cleanup {
        Cleanup::Postgres { .. } => {
            let mut command = Command::new("psql");
            command.args([
                database.url.as_str(),
                "-q",
                "-c",
                "BEGIN",
                "-c",
                "LOCK TABLE leads IN EXCLUSIVE MODE",
                "-c",
                "\\echo locked",
                "-c",
                &format!("SELECT pg_sleep({seconds})"),
                "-c",
                "COMMIT",
            ]);
            command
        }
        Cleanup::Directory(dir) => {
            let script = "import sqlite3, sys, time\n\
                          db = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)\n\
                          db.execute('BEGIN IMMEDIATE')\n\
                          print('locked', flush=True)\n\
                          time.sleep(float(sys.argv[2]))\n\
                          db.execute('COMMIT')\n";
            let mut command = Command::new("python3");
            command
                .args(["-c", script])
                .arg(dir.join("leads.db"))
                .arg(seconds.to_string());
            command
        }
    };
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| HarnessError::Command(format!("cannot hold the lock: {e}")))?;
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    if !lines
        .by_ref()
        .map_while(Result::ok)
        .any(|l| l.trim() == "locked")
    {
        return Err(HarnessError::Command("the lock was not taken".to_owned()));
    }
    // Keep reading, so the holder never dies writing to a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Ok(child)
}

/// Runs one SQL statement with `psql`.
fn psql(url: &str, statement: &str) -> Result<(), HarnessError> {
    let output = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-q", "-c", statement])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| HarnessError::Postgres(format!("cannot run psql: {e}")))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(HarnessError::Postgres(
            String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        ))
    }
}

/// The longest an admin command may run: seeding a million leads takes a minute or two,
/// so one still running after this has hung, and fails instead of stalling the suite.
const ADMIN_LIMIT: Duration = Duration::from_secs(600);

/// Runs a `leads-server admin …` command on `database` and returns its stdout.
pub fn admin(database: &Database, args: &[&str]) -> Result<String, HarnessError> {
    let cannot =
        |e: std::io::Error| HarnessError::Command(format!("cannot run leads-server admin: {e}"));
    let mut child = Command::new(server_binary()?)
        .arg("admin")
        .args(args)
        .args(["--database-url", &database.url])
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(cannot)?;
    // Read both pipes while the command runs: one that filled a pipe's buffer would
    // otherwise wait for a reader forever, and be reported as hung.
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let deadline = Instant::now() + ADMIN_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(cannot)? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(HarnessError::Command(format!(
                "`leads-server admin {}` did not exit within {} s",
                args.join(" "),
                ADMIN_LIMIT.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let (stdout, stderr) = (joined(stdout), joined(stderr));
    if !status.success() {
        return Err(HarnessError::Command(format!(
            "`leads-server admin {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&stdout).trim().to_owned())
}

/// Reads `pipe` to its end on a thread of its own.
fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut read = Vec::new();
        if let Some(mut pipe) = pipe {
            // A read error ends the output early; the exit status still tells failure.
            let _ = pipe.read_to_end(&mut read);
        }
        read
    })
}

/// What a [`drain`] thread read.
fn joined(reader: std::thread::JoinHandle<Vec<u8>>) -> Vec<u8> {
    reader.join().unwrap_or_default()
}

/// A member of a project, with credentials.
#[derive(Debug, Clone)]
pub struct Member {
    /// The email.
    pub email: String,
    /// The password.
    pub password: String,
    /// The user id.
    pub id: String,
}

impl Member {
    /// Basic credentials.
    pub fn basic(&self) -> Auth {
        Auth::basic(&self.email, &self.password)
    }
}

/// Two projects and their members, as the isolation and role suites need them.
#[derive(Debug, Clone)]
pub struct World {
    /// Project A.
    pub project: String,
    /// Project A's owner.
    pub owner: Member,
    /// An agent of project A.
    pub agent: Member,
    /// A member of project A below agent (`user`).
    pub low: Member,
    /// Project B.
    pub other_project: String,
    /// Project B's owner, a stranger to project A.
    pub outsider: Member,
}

/// Seeds two projects with an owner, an agent and a low-role member in the first, and an
/// owner in the second.
pub fn seed_world(database: &Database) -> Result<World, HarnessError> {
    let password = unique("pw");
    let user = |name: &str| -> Result<Member, HarnessError> {
        let email = format!("{name}@e2e.test");
        let id = admin(database, &["user", "add", &email, "--password", &password])?;
        Ok(Member {
            email,
            password: password.clone(),
            id,
        })
    };
    let owner = user("owner")?;
    let agent = user("agent")?;
    let low = user("low")?;
    let outsider = user("outsider")?;
    let project = admin(database, &["project", "add", "Alpha"])?;
    let other_project = admin(database, &["project", "add", "Beta"])?;
    for (project, member, role) in [
        (&project, &owner, "owner"),
        (&project, &agent, "agent"),
        (&project, &low, "user"),
        (&other_project, &outsider, "owner"),
    ] {
        admin(
            database,
            &["member", "add", project, &member.email, "--role", role],
        )?;
    }
    Ok(World {
        project,
        owner,
        agent,
        low,
        other_project,
        outsider,
    })
}

/// A running `leads-server serve`, killed when dropped.
#[derive(Debug)]
pub struct Server {
    /// The API's base URL, `http://127.0.0.1:PORT/v1`.
    pub base_url: String,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `leads-server serve` on `database`, on 127.0.0.1 port 0, with `extra` flags,
    /// and waits until `/readyz` answers 200.
    pub fn start(database: &Database, extra: &[&str]) -> Result<Self, HarnessError> {
        let server = Self::spawn(database, extra)?;
        server.wait_ready(Duration::from_secs(60))?;
        Ok(server)
    }

    /// Starts `leads-server serve` and returns once it listens, ready or not.
    pub fn spawn(database: &Database, extra: &[&str]) -> Result<Self, HarnessError> {
        let mut child = Command::new(server_binary()?)
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--no-demo",
                "--database-url",
                &database.url,
            ])
            .args(extra)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| HarnessError::Start(format!("cannot run leads-server: {e}")))?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let address = listening_address(&mut child, &log)?;
        Ok(Self {
            base_url: format!("http://{address}/v1"),
            addr: address,
            child,
            log,
        })
    }

    /// Waits until `/readyz` answers 200.
    pub fn wait_ready(&self, within: Duration) -> Result<(), HarnessError> {
        let deadline = Instant::now() + within;
        loop {
            if let Ok((200, _)) = self.get("/readyz") {
                return Ok(());
            }
            if Instant::now() > deadline {
                let log = self.log();
                let last = &log[log.len().saturating_sub(10)..];
                return Err(HarnessError::Start(format!(
                    "not ready within {within:?}; the last lines it logged: {}",
                    last.join(" | ")
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A plain `GET` of `path` (e.g. `/readyz`), without credentials: status and body.
    pub fn get(&self, path: &str) -> std::io::Result<(u16, String)> {
        http_get(&self.addr, path)
    }

    /// Every line the server logged so far, stdout and stderr.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the server with SIGKILL: no shutdown, no flush.
    pub fn kill_hard(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Asks the server to stop with SIGTERM and waits up to `grace` for it; answers how
    /// it exited, or `None` when it was still running (it is then killed).
    pub fn stop(mut self, grace: Duration) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Asks the server to stop with SIGTERM and waits for it; returns whether it exited
    /// by itself within `grace`.
    pub fn terminate(mut self, grace: Duration) -> bool {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// A client of this server with `auth`.
    pub fn client(&self, auth: Auth) -> Client {
        ClientBuilder::new(&self.base_url)
            .auth(auth)
            .build()
            .unwrap_or_else(|_| Client::anonymous(&self.base_url))
    }

    /// A client without credentials.
    pub fn anonymous(&self) -> Client {
        Client::anonymous(&self.base_url)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 `GET` on `addr`, for the operational endpoints: status and body.
pub fn http_get(addr: &str, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status in {response:?}")))?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// Reads the server's output until it names the address it listens on; every line is
/// kept in `log`.
fn listening_address(
    child: &mut Child,
    log: &Arc<Mutex<Vec<String>>>,
) -> Result<String, HarnessError> {
    let (sender, receiver) = std::sync::mpsc::channel::<String>();
    let streams: Vec<Box<dyn std::io::Read + Send>> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    .collect();
    for stream in streams {
        let sender = sender.clone();
        let log = log.clone();
        std::thread::spawn(move || {
            // Keep draining after the address is found, so the server never blocks on a
            // full pipe.
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if let Ok(mut log) = log.lock() {
                    log.push(line.clone());
                }
                let _ = sender.send(line);
            }
        });
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        match receiver.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                if let Some(address) = find_address(&line) {
                    return Ok(address);
                }
                seen.push(line);
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(HarnessError::Start(format!(
                        "exited with {status}: {}",
                        seen.join(" | ")
                    )));
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    Err(HarnessError::Start(format!(
        "no listening address in: {}",
        seen.join(" | ")
    )))
}

/// The first `127.0.0.1:<port>` with a port other than 0.
pub fn find_address(line: &str) -> Option<String> {
    let mut rest = line;
    while let Some(start) = rest.find("127.0.0.1:") {
        let after = &rest[start + "127.0.0.1:".len()..];
        let port: String = after.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(port) = port.parse::<u16>() {
            if port != 0 {
                return Some(format!("127.0.0.1:{port}"));
            }
        }
        rest = after;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_bound_address_not_the_requested_one() {
        assert_eq!(find_address("addr=127.0.0.1:0 binding"), None);
        assert_eq!(
            find_address("INFO listening addr=127.0.0.1:41234 api under /v1"),
            Some("127.0.0.1:41234".to_owned())
        );
    }

    #[test]
    fn replaces_the_database_of_a_postgres_url() {
        assert_eq!(
            replace_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            replace_database("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(replace_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
