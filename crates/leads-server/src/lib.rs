//! The reference server of the Tiledesk leads API, on SQLite (embedded, the default) or
//! PostgreSQL.
//!
//! * [`store`]: the storage layer, one enum over the two sqlx backends;
//! * [`auth`]: passwords, tokens, the Basic cache and roles;
//! * [`export`]: the CSV format;
//! * [`http`], [`layer`] and [`server`]: the HTTP surface, the layer every request
//!   passes through, and the accept loop;
//! * [`metrics`]: what `/metrics` reports;
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
pub mod layer;
pub mod metrics;
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

/// How often expired idempotency keys are purged.
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// `serve`: listens at once, opens and migrates the store, creates the demo on first
/// start, and serves until Ctrl-C or SIGTERM. Until the store is ready the API answers 503
/// and `/readyz` 503; on shutdown new requests get 503 while those in flight finish.
pub async fn serve(args: ServeArgs) -> Result<(), RunError> {
    let listener = TcpListener::bind(args.addr)
        .await
        .map_err(RunError::Listen)?;
    let addr = listener.local_addr().map_err(RunError::Listen)?;
    let metrics_listener = match args.metrics_addr {
        Some(metrics_addr) => Some(
            TcpListener::bind(metrics_addr)
                .await
                .map_err(RunError::Listen)?,
        ),
        None => None,
    };
    let lifecycle = http::Lifecycle::starting();
    let app = http::app_with(
        lifecycle.clone(),
        http::HttpConfig {
            request_timeout: args.request_timeout,
            metrics: !args.no_metrics && args.metrics_addr.is_none(),
            access_log: args.access_log,
        },
    );
    let serve_config = server::ServeConfig {
        header_timeout: args.header_timeout,
        shutdown_grace: args.shutdown_grace,
    };
    tracing::info!(%addr, "listening; the API is under /v1");
    let shutdown = {
        let lifecycle = lifecycle.clone();
        async move {
            server::shutdown_signal().await;
            lifecycle.drain();
        }
    };
    let mut serving = tokio::spawn(server::serve(listener, app, serve_config, shutdown));
    let metrics_serving = metrics_listener.map(|listener| {
        if let Ok(metrics_addr) = listener.local_addr() {
            tracing::info!(%metrics_addr, "metrics are served at /metrics");
        }
        tokio::spawn(server::serve(
            listener,
            http::metrics_app(lifecycle.clone()),
            serve_config,
            std::future::pending(),
        ))
    });
    let started = tokio::select! {
        started = start(&args, &lifecycle, addr) => started,
        // Shut down before the store was ready.
        _ = &mut serving => Err(RunError::Invalid("stopped while starting")),
    };
    let outcome = match started {
        Ok(store) => {
            let _ = serving.await;
            store.close().await;
            Ok(())
        }
        Err(RunError::Invalid("stopped while starting")) => Ok(()),
        Err(error) => {
            serving.abort();
            Err(error)
        }
    };
    if let Some(task) = metrics_serving {
        task.abort();
    }
    outcome
}

/// Opens the store, sets up authentication and the demo, and makes the server ready.
async fn start(
    args: &ServeArgs,
    lifecycle: &http::Lifecycle,
    addr: std::net::SocketAddr,
) -> Result<Store, RunError> {
    let store =
        Store::open_with(&args.database.database_url, &args.database.store_options()).await?;
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
    let state = Arc::new(AppState {
        store: store.clone(),
        auth,
    });
    lifecycle.set_ready(store.clone(), api_router(state));
    tokio::spawn(purge_idempotency_keys(store.clone()));
    tracing::info!("ready");
    if let Some(demo) = demo {
        println!("{}", demo::banner(&demo, addr));
    }
    Ok(store)
}

/// Removes idempotency keys older than a day, every hour, until the store closes.
async fn purge_idempotency_keys(store: Store) {
    loop {
        tokio::time::sleep(PURGE_EVERY).await;
        let day_ago = chrono::Utc::now().timestamp_millis() - 24 * 60 * 60 * 1000;
        match store.purge_idempotency_keys(day_ago).await {
            Ok(purged) => tracing::debug!(purged, "expired idempotency keys purged"),
            Err(error) if error.is_transient() => {}
            Err(error) => {
                tracing::warn!(%error, "cannot purge expired idempotency keys");
                return;
            }
        }
    }
}

/// The API routes, mounted under `/v1`: the generated router over this server's
/// implementation of the trait.
pub fn api_router(state: Arc<AppState>) -> axum::Router {
    leads_api::router_with_body_limit(state, http::BODY_LIMIT)
}
