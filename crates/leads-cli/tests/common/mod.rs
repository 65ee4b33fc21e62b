//! A reference server for the CLI's tests: the real `leads-server` binary, seeded through
//! its own `admin` commands into a temporary SQLite database and serving on 127.0.0.1:0.

#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The password every seeded user has.
pub const PASSWORD: &str = "correct horse battery staple";
/// The owner of both projects.
pub const OWNER: &str = "owner@cli.test";
/// An agent of the first project: enough for everything but physical deletion.
pub const AGENT: &str = "agent@cli.test";

/// A running reference server with two projects.
pub struct Server {
    /// `http://127.0.0.1:<port>/v1`.
    pub base_url: String,
    /// The project most tests work in.
    pub project: String,
    /// An empty project, e.g. to import into.
    pub other_project: String,
    child: Child,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Builds `leads-server` once per test binary and returns its path. Cargo builds only
/// this package's binaries for its tests, so the server's is built here, into the same
/// target directory, and located from cargo's own report.
pub fn server_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let output = Command::new(cargo)
            .current_dir(&root)
            .args([
                "build",
                "--package",
                "leads-server",
                "--bin",
                "leads-server",
                "--message-format=json-render-diagnostics",
            ])
            .stderr(Stdio::inherit())
            .output()
            .expect("run cargo build -p leads-server");
        assert!(
            output.status.success(),
            "cargo build -p leads-server failed"
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|message| message["target"]["name"] == "leads-server")
            .find_map(|message| message["executable"].as_str().map(PathBuf::from))
            .expect("cargo reported the leads-server executable")
    })
}

fn admin(database_url: &str, args: &[&str]) -> String {
    let output = Command::new(server_binary())
        .arg("admin")
        .args(args)
        .args(["--database-url", database_url])
        .stdin(Stdio::null())
        .output()
        .expect("run leads-server admin");
    assert!(
        output.status.success(),
        "leads-server admin {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

impl Server {
    /// Seeds the users and projects and starts serving.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = format!("sqlite://{}", dir.path().join("leads.db").display());
        for email in [OWNER, AGENT] {
            admin(
                &database_url,
                &["user", "add", email, "--password", PASSWORD],
            );
        }
        let project = admin(&database_url, &["project", "add", "CLI"]);
        let other_project = admin(&database_url, &["project", "add", "CLI import"]);
        for (project, email, role) in [
            (&project, OWNER, "owner"),
            (&project, AGENT, "agent"),
            (&other_project, OWNER, "owner"),
        ] {
            admin(
                &database_url,
                &["member", "add", project, email, "--role", role],
            );
        }
        let child = Command::new(server_binary())
            .args(["serve", "--addr", "127.0.0.1:0", "--no-demo"])
            .args(["--database-url", &database_url])
            .env("RUST_LOG", "warn,leads_server=info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start leads-server");
        // Owned by the guard from here on, so a failed start still kills the process.
        let mut server = Self {
            base_url: String::new(),
            project,
            other_project,
            child,
            dir,
        };
        let address = listening_address(&mut server.child);
        server.base_url = format!("http://{address}/v1");
        server
    }

    /// The `leads` binary, pointed at this server as `email`, with its own config dir.
    pub fn leads_as(&self, email: &str) -> assert_cmd::Command {
        let mut command = assert_cmd::Command::cargo_bin("leads").expect("leads binary");
        command
            .env("LEADS_BASE_URL", &self.base_url)
            .env("LEADS_PROJECT", &self.project)
            .env("LEADS_EMAIL", email)
            .env("LEADS_PASSWORD", PASSWORD)
            .env("LEADS_CONFIG_DIR", self.dir.path().join("config"))
            .env_remove("LEADS_TOKEN")
            .timeout(Duration::from_secs(300));
        command
    }

    /// The `leads` binary as the project's owner.
    pub fn leads(&self) -> assert_cmd::Command {
        self.leads_as(OWNER)
    }

    /// A scratch folder that lives as long as the server.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Reads the server's output until it names its `127.0.0.1:<port>`; keeps draining after.
fn listening_address(child: &mut Child) -> String {
    let (sender, receiver) = std::sync::mpsc::channel::<String>();
    let streams: Vec<Box<dyn std::io::Read + Send>> = vec![
        Box::new(child.stdout.take().expect("stdout")),
        Box::new(child.stderr.take().expect("stderr")),
    ];
    for stream in streams {
        let sender = sender.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Ok(line) = receiver.recv_timeout(Duration::from_millis(100)) {
            if let Some(address) = address_in(&line) {
                return address;
            }
            seen.push(line);
        } else if let Ok(Some(status)) = child.try_wait() {
            panic!("leads-server exited with {status}: {}", seen.join("\n"));
        }
    }
    panic!(
        "leads-server never said where it listens: {}",
        seen.join("\n")
    );
}

fn address_in(line: &str) -> Option<String> {
    let start = line.find("127.0.0.1:")? + "127.0.0.1:".len();
    let port: String = line[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    match port.parse::<u16>() {
        Ok(0) | Err(_) => None,
        Ok(port) => Some(format!("127.0.0.1:{port}")),
    }
}

/// Parses the CSV of an export into rows of cells, header first.
pub fn csv_rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|record| {
            record
                .expect("valid CSV")
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}
