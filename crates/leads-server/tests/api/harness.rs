//! A real server on 127.0.0.1:0 over a fresh SQLite file, and helpers to make users,
//! projects and clients for it.

use leads_client::{types, Client};
use leads_server::auth::{password, Authenticator};
use leads_server::store::{Role, Store};
use leads_server::{api_router, http, server, AppState};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The token secret of test servers.
pub const SECRET: &str = "a test secret that is long enough for HS256";
/// The password of every test user.
pub const PASSWORD: &str = "correct horse battery staple";

/// A running server.
pub struct TestServer {
    pub base: String,
    pub store: Store,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", dir.path().join("leads.db").display());
        let store = Store::open(&url).await.expect("open the store");
        let auth = Authenticator::new(store.clone(), Some(SECRET), Duration::from_secs(3600))
            .await
            .expect("set up auth");
        let state = Arc::new(AppState {
            store: store.clone(),
            auth,
        });
        let app = http::app(
            store.clone(),
            api_router(state),
            http::HttpConfig::default(),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}/v1", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server::serve(
            listener,
            app,
            server::ServeConfig::default(),
            async {
                let _ = stopped.await;
            },
        ));
        TestServer {
            base,
            store,
            stop: Some(stop),
            task: Some(task),
            _dir: dir,
        }
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.store.close().await;
    }

    pub async fn project(&self) -> String {
        self.store.create_project("p").await.unwrap().id
    }

    /// A user with `PASSWORD` and the given role in `project` (if any).
    pub async fn user(&self, email: &str, membership: Option<(&str, Role)>) -> String {
        let hash = password::hash(PASSWORD.to_owned()).await.unwrap();
        let user = self.store.create_user(email, &hash).await.unwrap();
        if let Some((project, role)) = membership {
            self.store
                .set_membership(project, &user.id, role)
                .await
                .unwrap();
        }
        user.id
    }

    /// A client signing its requests with Basic.
    pub fn basic(&self, email: &str) -> Client {
        Client::with_basic_auth(&self.base, email, PASSWORD).unwrap()
    }

    /// A client without credentials.
    pub fn anonymous(&self) -> Client {
        Client::anonymous(&self.base)
    }
}

/// A request body from JSON.
pub fn body<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("a valid body")
}

/// The status of a client call, success or error.
pub fn status<T>(
    result: Result<leads_client::ResponseValue<T>, leads_client::Error<types::Error>>,
) -> u16 {
    match result {
        Ok(value) => value.status().as_u16(),
        Err(error) => error.status().map(|s| s.as_u16()).unwrap_or(0),
    }
}

/// The lead a call answered, panicking with the error otherwise.
pub fn ok<T>(
    result: Result<leads_client::ResponseValue<T>, leads_client::Error<types::Error>>,
) -> T {
    match result {
        Ok(value) => value.into_inner(),
        Err(error) => panic!("expected success, got {error:?}"),
    }
}
