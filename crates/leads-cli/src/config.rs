//! The stored login: base URL, email, token and default project, in the user's config dir.
//!
//! `$LEADS_CONFIG_DIR/credentials.json`, else `<config dir>/leads/credentials.json`
//! (`$XDG_CONFIG_HOME/leads` or `~/.config/leads` on Linux). The file holds a bearer
//! credential, so it is created with mode 0600 in a 0700 folder and replaced atomically.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::CliError;

/// What `leads login` stores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredLogin {
    /// The API the token is for.
    pub base_url: String,
    /// Who signed in.
    pub email: String,
    /// The token, with its scheme word as `signin` returned it (`JWT …`).
    pub token: String,
    /// The project to use when none is given: the user's only one, if there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

/// Where the credentials file is, or `None` when the platform has no config dir.
pub fn credentials_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("LEADS_CONFIG_DIR") {
        return Some(PathBuf::from(dir).join("credentials.json"));
    }
    dirs::config_dir().map(|dir| dir.join("leads").join("credentials.json"))
}

/// The stored login, if any.
pub fn load(path: &Path) -> Result<Option<StoredLogin>, CliError> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| CliError::Config {
                path: path.to_owned(),
                reason: format!("{e}; run `leads login` again"),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(CliError::File {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Stores `login` at `path`, readable by the user only.
pub fn save(path: &Path, login: &StoredLogin) -> Result<(), CliError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let text = serde_json::to_string_pretty(login).map_err(|e| CliError::Config {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    // Write a fresh 0600 file beside the old one, then rename over it: the token is never
    // readable by others, not even for a moment, and a crash leaves the old file whole.
    let temp = dir.join(format!(".credentials.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&temp);
    let mut file = private_file(&temp).map_err(CliError::file(&temp))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all())
        .map_err(CliError::file(&temp))?;
    drop(file);
    std::fs::rename(&temp, path).map_err(CliError::file(path))
}

/// Removes the stored login; `false` when there was none.
pub fn remove(path: &Path) -> Result<bool, CliError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(CliError::File {
            path: path.to_owned(),
            source,
        }),
    }
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

fn create_private_dir(dir: &Path) -> Result<(), CliError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(CliError::file(dir))
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir).map_err(CliError::file(dir))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login() -> StoredLogin {
        StoredLogin {
            base_url: "http://127.0.0.1:3000/v1".into(),
            email: "andrea.leo@f21.it".into(),
            token: "JWT abc".into(),
            project: Some("5b55e806c93dde00143163dd".into()),
        }
    }

    #[test]
    fn saves_loads_and_removes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("leads").join("credentials.json");
        assert_eq!(load(&path).expect("no file is fine"), None);
        save(&path, &login()).expect("saved");
        assert_eq!(load(&path).expect("loads"), Some(login()));
        save(&path, &login()).expect("saved again over the old file");
        assert!(remove(&path).expect("removed"));
        assert!(!remove(&path).expect("already gone"));
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("leads").join("credentials.json");
        save(&path, &login()).expect("saved");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = std::fs::metadata(path.parent().expect("dir"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
    }

    #[test]
    fn a_damaged_file_says_how_to_fix_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("credentials.json");
        std::fs::write(&path, "{").expect("written");
        let error = load(&path).expect_err("damaged");
        assert!(error.to_string().contains("leads login"), "{error}");
    }
}
