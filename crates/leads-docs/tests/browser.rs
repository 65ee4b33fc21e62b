//! Renders `/docs` in headless Chromium with the network cut off except for 127.0.0.1,
//! and checks that Redoc drew every operation. Skipped, with a notice, without Chromium.

mod chromium;

#[test]
fn redoc_renders_every_operation_offline_in_chromium() {
    let Some(browser) = chromium::Chromium::find() else {
        eprintln!(
            "NOTICE: skipping the browser test of /docs: no Chromium found \
             (install Debian's `chromium` package, or set LEADS_CHROMIUM to its path)"
        );
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
    let screenshot = chromium::screenshot_path("in-process");
    chromium::assert_renders_every_operation(&browser, &url, &screenshot);
}
