//! The ceiling: a bare axum endpoint answering a constant lead, run as its own process.
//!
//! It goes through the same load generator and the same loopback as the reference server,
//! so the ratio between the two is what the server's own work costs on this machine.

use std::process::{Child, Command, Stdio};

use axum::routing::get;

/// The lead every answer carries: the spec's example.
pub const LEAD_JSON: &str = r#"{"_id":"5c81593adf767b0017d1aa66","updatedAt":"2019-03-07T17:47:38.393Z","createdAt":"2019-03-07T17:47:38.393Z","lead_id":"SRbb2PfbSFcgICv9VQBcURZeloh1","fullname":"Guest","attributes":{"departmentId":"5b55e806c93dde00143163de"},"id_project":"5b55e806c93dde00143163dd","createdBy":"system","tags":[],"status":100,"__v":0}"#;

/// Serves the constant lead on 127.0.0.1:0 and prints the address; runs until killed.
pub fn serve() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let app = axum::Router::new().route(
            "/v1/{project_id}/leads/{id}",
            get(|| async { ([("content-type", "application/json")], LEAD_JSON) }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("listening on http://{}", listener.local_addr()?);
        axum::serve(listener, app).await
    })
}

/// Starts the bare server as a child process of this executable.
pub fn spawn() -> std::io::Result<(Child, String)> {
    let mut child = Command::new(std::env::current_exe()?)
        .args(["bench", "--bare-server"])
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
