//! The reference server as a contract target: built, seeded and started on a temporary
//! SQLite database on 127.0.0.1, port 0, and stopped when dropped.
//!
//! Everything goes through the `leads-server` binary's own commands (`admin …`, `serve`),
//! so the target is exactly what a user runs.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use leads_client::Auth;

use super::cases::Fixture;
use crate::{project, XtaskError};

/// A running reference server and the fixture seeded into it.
#[derive(Debug)]
pub struct ReferenceServer {
    /// The API's base URL, e.g. `http://127.0.0.1:41234/v1`.
    pub base_url: String,
    /// Who the contract runs as.
    pub fixture: Fixture,
    child: Child,
    _dir: TempDir,
}

impl Drop for ReferenceServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory removed when dropped.
#[derive(Debug)]
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `leads-server` binary, built if needed.
pub fn binary() -> Result<PathBuf, XtaskError> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .current_dir(project::root())
        .args([
            "build",
            "--quiet",
            "--package",
            "leads-server",
            "--bin",
            "leads-server",
        ])
        .status()
        .map_err(|e| XtaskError::Reference(format!("cannot run cargo: {e}")))?;
    if !status.success() {
        return Err(XtaskError::Reference(
            "`cargo build -p leads-server` failed".to_owned(),
        ));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project::root().join("target"));
    Ok(target.join("debug").join("leads-server"))
}

fn random_secret() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    format!("pw-{:016x}", hasher.finish())
}

/// Runs one `admin` command and returns what it printed alone on stdout.
fn admin(binary: &Path, database_url: &str, args: &[&str]) -> Result<String, XtaskError> {
    let output = Command::new(binary)
        .arg("admin")
        .args(args)
        .args(["--database-url", database_url])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| XtaskError::Reference(format!("cannot run leads-server admin: {e}")))?;
    if !output.status.success() {
        return Err(XtaskError::Reference(format!(
            "`leads-server admin {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

impl ReferenceServer {
    /// Builds, seeds and starts the reference server.
    pub fn start() -> Result<Self, XtaskError> {
        let binary = binary()?;
        let dir = std::env::temp_dir().join(format!("leads-contract-{}", random_secret()));
        std::fs::create_dir_all(&dir).map_err(|source| XtaskError::Write {
            path: dir.display().to_string(),
            source,
        })?;
        let dir = TempDir(dir);
        let database_url = format!("sqlite://{}", dir.0.join("leads.db").display());
        let password = random_secret();
        let user = |email: &str| {
            admin(
                &binary,
                &database_url,
                &["user", "add", email, "--password", &password],
            )
        };
        let project_add = |name: &str| admin(&binary, &database_url, &["project", "add", name]);
        let member = |project: &str, email: &str, role: &str| {
            admin(
                &binary,
                &database_url,
                &["member", "add", project, email, "--role", role],
            )
        };
        for email in [
            "owner@contract.test",
            "agent@contract.test",
            "user@contract.test",
            "outsider@contract.test",
        ] {
            user(email)?;
        }
        let project = project_add("Contract")?;
        let other = project_add("Elsewhere")?;
        member(&project, "owner@contract.test", "owner")?;
        member(&project, "agent@contract.test", "agent")?;
        member(&project, "user@contract.test", "user")?;
        member(&other, "outsider@contract.test", "owner")?;

        let mut child = Command::new(&binary)
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--no-demo",
                "--database-url",
                &database_url,
            ])
            .env("RUST_LOG", "warn,leads_server=info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| XtaskError::Reference(format!("cannot start leads-server: {e}")))?;
        let address = listening_address(&mut child)?;
        let basic = |email: &str| Auth::basic(email, password.as_str());
        let fixture = Fixture {
            project,
            agent: basic("agent@contract.test"),
            signin: Some(("agent@contract.test".to_owned(), password.clone())),
            owner: Some(basic("owner@contract.test")),
            low_role: Some(basic("user@contract.test")),
            outsider: Some((basic("outsider@contract.test"), other)),
        };
        Ok(Self {
            base_url: format!("http://{address}/v1"),
            fixture,
            child,
            _dir: dir,
        })
    }
}

/// Reads the server's output until it names the address it listens on.
fn listening_address(child: &mut Child) -> Result<String, XtaskError> {
    let (sender, receiver) = std::sync::mpsc::channel::<String>();
    for stream in [
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
    {
        let sender = sender.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    // Nobody listens any more; keep draining so the server never blocks.
                    continue;
                }
            }
        });
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        match receiver.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                if let Some(address) = find_address(&line) {
                    return Ok(address);
                }
                seen.push(line);
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(XtaskError::Reference(format!(
                        "leads-server exited with {status}: {}",
                        seen.join(" | ")
                    )));
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    Err(XtaskError::Reference(format!(
        "leads-server did not say where it listens: {}",
        seen.join(" | ")
    )))
}

/// The first `127.0.0.1:<port>` in a line, with a port other than 0.
fn find_address(line: &str) -> Option<String> {
    let start = line.find("127.0.0.1:")?;
    let rest = &line[start + "127.0.0.1:".len()..];
    let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
    match port.parse::<u16>() {
        Ok(port) if port != 0 => Some(format!("127.0.0.1:{port}")),
        _ => None,
    }
}
