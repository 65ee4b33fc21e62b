//! Driving headless Chromium offline: the flags, the DOM dump, the screenshot.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A Chromium executable.
pub struct Chromium(PathBuf);

impl Chromium {
    /// `LEADS_CHROMIUM`, else `chromium` or `chromium-browser` on `PATH`.
    pub fn find() -> Option<Self> {
        if let Some(path) = std::env::var_os("LEADS_CHROMIUM") {
            return Some(Self(path.into()));
        }
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
            .find(|candidate| candidate.is_file())
            .map(Self)
    }

    /// Runs Chromium headless on `url` with `extra` flags; every host but 127.0.0.1 is
    /// unreachable: names resolve to nothing and any connection would go to a dead proxy.
    fn run(&self, url: &str, extra: &[String]) -> std::process::Output {
        let profile = tempfile::tempdir().expect("profile dir");
        self.run_in(&profile, url, extra)
    }

    fn run_in(
        &self,
        profile: &tempfile::TempDir,
        url: &str,
        extra: &[String],
    ) -> std::process::Output {
        let dead_proxy = dead_port();
        let mut command = Command::new(&self.0);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-default-apps",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
            .arg(format!("--proxy-server=http://127.0.0.1:{dead_proxy}"))
            .arg("--proxy-bypass-list=127.0.0.1")
            .arg("--virtual-time-budget=15000")
            .args(extra)
            .arg(url);
        run_with_timeout(command, Duration::from_secs(120))
    }
}

/// A local port with nothing listening on it.
fn dead_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

fn run_with_timeout(mut command: Command, timeout: Duration) -> std::process::Output {
    use std::process::Stdio;
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(timeout) {
        Ok(output) => output.expect("chromium output"),
        Err(_) => {
            let _ = Command::new("kill").arg(id.to_string()).status();
            panic!("chromium did not finish within {timeout:?}");
        }
    }
}

/// Where the screenshot goes: under the target directory, kept after the test.
pub fn screenshot_path(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("leads-docs");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir.join(format!("docs-{name}.png"))
}

/// The spec's operation summaries, read from the YAML independently of the crate.
fn summaries() -> Vec<String> {
    let spec: serde_json::Value =
        serde_yaml_ng::from_str(leads_docs::SPEC_YAML).expect("spec parses");
    let mut out = Vec::new();
    for (_, item) in spec["paths"].as_object().expect("paths") {
        for (_, op) in item.as_object().expect("path item") {
            if let Some(summary) = op.get("summary").and_then(|s| s.as_str()) {
                out.push(summary.to_owned());
            }
        }
    }
    out
}

/// The DOM with every `<script>` element removed: the embedded spec holds the summaries
/// too, and only what Redoc rendered counts.
fn without_scripts(dom: &str) -> String {
    let mut out = String::with_capacity(dom.len());
    let mut rest = dom;
    while let Some(start) = rest.find("<script") {
        out.push_str(&rest[..start]);
        match rest[start..].find("</script>") {
            Some(end) => rest = &rest[start + end + "</script>".len()..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Checks Chromium's net log: every request the page made (those whose `initiator` is
/// the page's origin) went to that origin. The browser's own background requests carry no
/// page initiator, and the resolver rules make them fail anyway.
fn assert_page_stayed_home(url: &str, net_log: &Path) {
    let origin = url.split('/').take(3).collect::<Vec<_>>().join("/");
    let text = std::fs::read_to_string(net_log).expect("chromium wrote its net log");
    let log: serde_json::Value = serde_json::from_str(&text).expect("net log is JSON");
    let mut page_requests = Vec::new();
    for event in log["events"].as_array().expect("net log events") {
        let params = &event["params"];
        if params["initiator"].as_str() == Some(origin.as_str()) {
            if let Some(requested) = params["url"].as_str() {
                page_requests.push(requested.to_owned());
            }
        }
    }
    assert!(
        page_requests
            .iter()
            .any(|u| u.ends_with("/assets/redoc.standalone.js")),
        "the net log shows no request for Redoc's bundle: {page_requests:?}"
    );
    let away: Vec<&String> = page_requests
        .iter()
        .filter(|u| !u.starts_with(&format!("{origin}/")))
        .collect();
    assert!(away.is_empty(), "{url} requested other origins: {away:?}");
}

/// Opens `url`, asserts that every summary is in the rendered DOM, saves a screenshot.
pub fn assert_renders_every_operation(browser: &Chromium, url: &str, screenshot: &Path) {
    let profile = tempfile::tempdir().expect("profile dir");
    let net_log = profile.path().join("net-log.json");
    let output = browser.run_in(
        &profile,
        url,
        &[
            "--dump-dom".to_owned(),
            format!("--log-net-log={}", net_log.display()),
            "--enable-logging=stderr".to_owned(),
            "--v=0".to_owned(),
        ],
    );
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && !dom.is_empty(),
        "chromium failed on {url}: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let rendered = without_scripts(&dom).replace("&amp;", "&");
    assert!(
        rendered.contains("redoc-wrap"),
        "Redoc did not render {url}; DOM starts: {:.2000}",
        rendered
    );
    let missing: Vec<String> = summaries()
        .into_iter()
        .filter(|summary| !rendered.contains(summary.as_str()))
        .collect();
    assert!(missing.is_empty(), "not rendered: {missing:?}");
    assert_page_stayed_home(url, &net_log);
    // The page's Content-Security-Policy blocks other origins before any request is made,
    // so an attempt shows up only as a console message.
    let log = String::from_utf8_lossy(&output.stderr);
    let blocked: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("Content Security Policy"))
        .collect();
    assert!(blocked.is_empty(), "{url} tried to load: {blocked:#?}");

    let _ = std::fs::remove_file(screenshot);
    let output = browser.run(
        url,
        &[
            format!("--screenshot={}", screenshot.display()),
            "--window-size=1400,1000".to_owned(),
        ],
    );
    assert!(
        output.status.success() && screenshot.is_file(),
        "no screenshot: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("screenshot of {url}: {}", screenshot.display());
}
