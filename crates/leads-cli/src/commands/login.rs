//! `leads login` and `leads logout`.

use std::io::BufRead as _;

use leads_client::{types, ClientBuilder};

use crate::cli::{Global, LoginArgs};
use crate::config::{self, StoredLogin};
use crate::context;
use crate::error::CliError;
use crate::output::{Format, Output};

/// Signs in through `/auth/signin` and stores the token (file mode 0600).
pub async fn login(global: &Global, args: &LoginArgs) -> Result<(), CliError> {
    let path = config::credentials_path().ok_or_else(|| {
        CliError::Usage("no config dir on this system: set LEADS_CONFIG_DIR".to_owned())
    })?;
    let email = global.email.clone().ok_or_else(|| {
        CliError::Usage("login needs --email (or LEADS_EMAIL) before the subcommand".to_owned())
    })?;
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError::Usage(format!("cannot read the password: {e}")))?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        global.password.clone().ok_or_else(|| {
            CliError::Usage("login needs --password, LEADS_PASSWORD or --password-stdin".to_owned())
        })?
    };
    let stored = context::stored_login()?;
    let base_url = context::base_url(global, stored.as_ref());
    let client = ClientBuilder::new(&base_url)
        .timeout(context::timeout(false))
        .build()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let request: types::SigninRequest = serde_json::from_value(serde_json::json!({
        "email": email,
        "password": password,
    }))
    .map_err(|e| CliError::Usage(format!("cannot sign in with these values: {e}")))?;
    let answer = client.signin().body(request).send().await?.into_inner();
    let project = match global.project.clone() {
        Some(project) => Some(project),
        None => match answer.user.projects.as_slice() {
            [only] => Some(only.id_project.to_string()),
            _ => None,
        },
    };
    let login = StoredLogin {
        base_url: base_url.clone(),
        email: answer.user.email.clone(),
        token: answer.token,
        project: project.clone(),
    };
    config::save(&path, &login)?;
    let output = Output::new(global);
    if output.format == Format::Table {
        let project = project.map_or_else(
            || "no default project: give --project or set LEADS_PROJECT".to_owned(),
            |p| format!("default project {p}"),
        );
        output.message(&format!(
            "signed in to {base_url} as {}; token stored in {} ({project})",
            login.email,
            path.display()
        ))
    } else {
        output.json_line(&serde_json::json!({
            "base_url": base_url,
            "email": login.email,
            "project": login.project,
            "credentials": path,
        }))
    }
}

/// Removes the stored token.
pub fn logout() -> Result<(), CliError> {
    let Some(path) = config::credentials_path() else {
        return Ok(());
    };
    if config::remove(&path)? {
        eprintln!("removed {}", path.display());
    } else {
        eprintln!("no stored login");
    }
    Ok(())
}
