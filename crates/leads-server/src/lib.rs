//! The reference server of the Tiledesk leads API, on SQLite (embedded, the default) or
//! PostgreSQL.
//!
//! * [`store`]: the storage layer, one enum over the two sqlx backends;
//! * [`auth`]: passwords, tokens, the Basic cache and roles;
//! * [`export`]: the CSV format;
//! * [`http`] and [`server`]: the HTTP surface and the accept loop;
//! * [`config`], [`admin`], [`demo`], [`seed`]: the command line.
//!
//! `main.rs` only parses the command line and calls [`run`].

pub mod admin;
pub mod api;
pub mod auth;
pub mod config;
pub mod demo;
pub mod export;
pub mod http;
pub mod seed;
pub mod server;
pub mod store;

use config::{Cli, Command, ServeArgs};
use std::sync::Arc;
use store::{Store, StoreError};
use tokio::net::TcpListener;

/// Why a command failed. The messages are for the operator at the terminal.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Auth(#[from] auth::SetupError),
    #[error(transparent)]
    Hash(#[from] auth::password::HashError),
    #[error("cannot issue a token: {0}")]
    Token(#[from] auth::token::Rejected),
    #[error("cannot listen: {0}")]
    Listen(#[source] std::io::Error),
    #[error("{0}")]
    Invalid(&'static str),
}

/// Runs the command line; answers what to print on stdout.
pub async fn run(cli: Cli) -> Result<Option<String>, RunError> {
    match cli.command {
        None => serve(cli.serve).await.map(|()| None),
        Some(Command::Serve(args)) => serve(args).await.map(|()| None),
        Some(Command::Admin(args)) => admin::run(args).await,
    }
}

/// The state every request shares.
#[derive(Debug)]
pub struct AppState {
    pub store: Store,
    pub auth: auth::Authenticator,
}

/// `serve`: opens the store, creates the demo on first start, and serves until Ctrl-C or
/// SIGTERM.
pub async fn serve(args: ServeArgs) -> Result<(), RunError> {
    let store = Store::open(&args.database.database_url).await?;
    tracing::info!(backend = store.backend(), "storage ready");
    let auth = auth::Authenticator::new(
        store.clone(),
        args.token.jwt_secret.as_deref(),
        args.token.token_ttl,
    )
    .await?;
    let demo = if args.no_demo {
        None
    } else {
        demo::create_if_empty(&store).await?
    };
    let listener = TcpListener::bind(args.addr)
        .await
        .map_err(RunError::Listen)?;
    let addr = listener.local_addr().map_err(RunError::Listen)?;
    if let Some(demo) = demo {
        println!("{}", demo::banner(&demo, addr));
    }
    let state = Arc::new(AppState {
        store: store.clone(),
        auth,
    });
    let app = http::app(
        store.clone(),
        api_router(state),
        http::HttpConfig {
            request_timeout: args.request_timeout,
        },
    );
    tracing::info!(%addr, "listening; the API is under /v1");
    server::serve(
        listener,
        app,
        server::ServeConfig {
            header_timeout: args.header_timeout,
            shutdown_grace: args.shutdown_grace,
        },
        server::shutdown_signal(),
    )
    .await;
    store.close().await;
    Ok(())
}

/// The API routes, mounted under `/v1`: the generated router over this server's
/// implementation of the trait.
pub fn api_router(state: Arc<AppState>) -> axum::Router {
    leads_api::router_with_body_limit(state, http::BODY_LIMIT)
}
