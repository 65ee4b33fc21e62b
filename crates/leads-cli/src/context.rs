//! Turns the global options and the stored login into a client and a project.

use std::time::Duration;

use leads_client::{Auth, Client, ClientBuilder};

use crate::cli::Global;
use crate::config::{self, StoredLogin};
use crate::error::CliError;
use crate::output::Output;

/// The API's address when neither `--base-url` nor a stored login gives one: the
/// reference server on its default address.
pub const DEFAULT_BASE_URL: &str = "http://localhost:3000/v1";

/// What a command needs: a client with credentials, the project, and the output.
pub struct Context {
    /// The generated client, signing every request.
    pub client: Client,
    /// The API's base URL.
    pub base_url: String,
    project: Option<String>,
    /// Where results go.
    pub output: Output,
}

impl Context {
    /// The project to act on, or a usage error that says how to give one.
    pub fn project(&self) -> Result<&str, CliError> {
        self.project.as_deref().ok_or_else(|| {
            CliError::Usage("no project: give --project ID or set LEADS_PROJECT".to_owned())
        })
    }
}

/// How long one request may take. Exports stream a whole project, so they get longer.
pub fn timeout(long: bool) -> Duration {
    if long {
        Duration::from_secs(3600)
    } else {
        Duration::from_secs(120)
    }
}

/// Builds the context: `--token`, else `--email`/`--password`, else the stored login
/// (when it is for the same base URL).
pub fn connect(global: &Global, long_requests: bool) -> Result<Context, CliError> {
    let stored = stored_login()?;
    let base_url = base_url(global, stored.as_ref());
    let stored_here = stored.filter(|login| same_url(&login.base_url, &base_url));
    let auth = match (&global.token, &global.email, &global.password) {
        (Some(_), Some(_), _) => {
            return Err(CliError::Usage(
                "give --token (LEADS_TOKEN) or --email and --password (LEADS_EMAIL, \
                 LEADS_PASSWORD), not both"
                    .to_owned(),
            ))
        }
        (Some(token), None, _) => Auth::jwt(token),
        (None, Some(email), Some(password)) => Auth::basic(email, password),
        (None, Some(_), None) => {
            return Err(CliError::Usage(
                "--email needs --password (or LEADS_PASSWORD)".to_owned(),
            ))
        }
        (None, None, _) => match &stored_here {
            Some(login) => Auth::jwt(&login.token),
            None => {
                return Err(CliError::Usage(format!(
                    "no credentials for {base_url}: give --token, or --email and --password, \
                     or run `leads login`"
                )))
            }
        },
    };
    let client = ClientBuilder::new(&base_url)
        .auth(auth)
        .timeout(timeout(long_requests))
        .user_agent(concat!("leads-cli/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let project = global
        .project
        .clone()
        .or_else(|| stored_here.and_then(|login| login.project));
    Ok(Context {
        client,
        base_url,
        project,
        output: Output::new(global),
    })
}

/// `--base-url`, else the stored login's, else [`DEFAULT_BASE_URL`].
pub fn base_url(global: &Global, stored: Option<&StoredLogin>) -> String {
    global
        .base_url
        .clone()
        .or_else(|| stored.map(|login| login.base_url.clone()))
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned())
        .trim_end_matches('/')
        .to_owned()
}

/// The stored login, if the platform has a config dir and one was stored.
pub fn stored_login() -> Result<Option<StoredLogin>, CliError> {
    match config::credentials_path() {
        Some(path) => config::load(&path),
        None => Ok(None),
    }
}

fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}
