//! Renders `/docs` in headless Chromium with the network cut off except for 127.0.0.1,
//! and checks that Redoc drew every operation: once from the router alone, once from
//! the real `leads-server serve`. Skipped, with a notice, without Chromium.

mod chromium;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn browser_or_notice() -> Option<chromium::Chromium> {
    let browser = chromium::Chromium::find();
    if browser.is_none() {
        // Straight to the stderr handle, not `eprintln!`: the test harness captures the
        // macro's output of passing tests, and this notice must be seen.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "NOTICE: skipping the browser test of /docs: no Chromium found \
             (install Debian's `chromium` package, or set LEADS_CHROMIUM to its path)"
        );
    }
    browser
}

#[test]
fn redoc_renders_every_operation_offline_in_chromium() {
    let Some(browser) = browser_or_notice() else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    runtime.spawn(async move {
        let app: axum::Router = leads_docs::router();
        axum::serve(listener, app).await.expect("serve");
    });

    let url = format!("http://{addr}/docs");
    let screenshot = chromium::screenshot_path("router");
    chromium::assert_renders_every_operation(&browser, &url, &screenshot);
}

#[test]
fn the_reference_server_serves_the_docs_offline() {
    let Some(browser) = browser_or_notice() else {
        return;
    };
    let server = ReferenceServer::start();
    let url = format!("http://{}/docs", server.address);
    let screenshot = chromium::screenshot_path("leads-server");
    chromium::assert_renders_every_operation(&browser, &url, &screenshot);
}

/// `leads-server serve` on 127.0.0.1:0 over an empty SQLite database in a temp dir.
struct ReferenceServer {
    address: String,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Drop for ReferenceServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ReferenceServer {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = format!("sqlite://{}", dir.path().join("leads.db").display());
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
            address: String::new(),
            child,
            _dir: dir,
        };
        let (sender, receiver) = std::sync::mpsc::channel::<String>();
        let streams: Vec<Box<dyn std::io::Read + Send>> = vec![
            Box::new(server.child.stdout.take().expect("stdout")),
            Box::new(server.child.stderr.take().expect("stderr")),
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
                    server.address = address;
                    return server;
                }
                seen.push(line);
            } else if let Ok(Some(status)) = server.child.try_wait() {
                panic!("leads-server exited with {status}: {}", seen.join("\n"));
            }
        }
        panic!(
            "leads-server never said where it listens: {}",
            seen.join("\n")
        );
    }
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

/// Builds `leads-server` into the same target directory and returns the executable cargo
/// reports (cargo builds only this package's binaries for its tests).
fn server_binary() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .args([
            "build",
            "--package",
            "leads-server",
            "--bin",
            "leads-server",
        ])
        .arg("--message-format=json-render-diagnostics")
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
}
