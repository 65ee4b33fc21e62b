//! Renders `/docs` in headless Chromium with the network cut off except for 127.0.0.1,
//! and checks that Redoc drew every operation: once from the router alone, once from
//! the real `leads-server serve`. Skipped, with a notice, without Chromium.

mod chromium;

use leads_e2e_tests::{Backend, Database, Server};

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
    // `leads-server serve` on 127.0.0.1:0 over an empty SQLite database.
    let database = Database::create(Backend::Sqlite).expect("a database");
    let server = Server::start(&database, &[]).expect("leads-server starts");
    let url = format!("{}/docs", server.base_url.trim_end_matches("/v1"));
    let screenshot = chromium::screenshot_path("leads-server");
    chromium::assert_renders_every_operation(&browser, &url, &screenshot);
}
