//! The `admin` commands: each opens the database, does one thing, and prints only the new
//! id or token on stdout so scripts can capture it.

use crate::auth::{password, Authenticator};
use crate::config::{AdminArgs, AdminCommand, MemberCommand, ProjectCommand, UserCommand};
use crate::seed;
use crate::store::{Store, StoreError, User};
use crate::RunError;

/// Runs one admin command; answers what to print.
pub async fn run(args: AdminArgs) -> Result<Option<String>, RunError> {
    let store = Store::open(&args.database.database_url).await?;
    let result = execute(&store, args.command).await;
    store.close().await;
    result
}

/// The user with this email, or an error naming it.
async fn user(store: &Store, email: &str) -> Result<User, RunError> {
    Ok(store
        .user_by_email(email)
        .await?
        .ok_or_else(|| StoreError::UnknownUser(email.to_owned()))?)
}

async fn execute(store: &Store, command: AdminCommand) -> Result<Option<String>, RunError> {
    match command {
        AdminCommand::User(UserCommand::Password {
            email,
            password: pw,
        }) => {
            if pw.is_empty() {
                return Err(RunError::Invalid("the password must not be empty"));
            }
            let user = user(store, &email).await?;
            let hash = password::hash(pw).await?;
            store.set_password_hash(&user.id, &hash).await?;
            Ok(None)
        }
        AdminCommand::Member(MemberCommand::Remove { project_id, email }) => {
            let user = user(store, &email).await?;
            if !store.remove_membership(&project_id, &user.id).await? {
                return Err(RunError::Invalid(
                    "the user is not a member of that project",
                ));
            }
            Ok(None)
        }
        AdminCommand::Member(MemberCommand::Role {
            project_id,
            email,
            role,
        }) => {
            let user = user(store, &email).await?;
            if !store.change_role(&project_id, &user.id, role).await? {
                return Err(RunError::Invalid(
                    "the user is not a member of that project; use `member add`",
                ));
            }
            Ok(None)
        }
        AdminCommand::Backup { file } => {
            if file.exists() {
                return Err(RunError::Invalid(
                    "the backup file exists already; name a new one",
                ));
            }
            let path = file
                .to_str()
                .ok_or(RunError::Invalid("the backup path must be valid UTF-8"))?;
            store.backup(path).await?;
            Ok(None)
        }
        AdminCommand::User(UserCommand::Add {
            email,
            password: pw,
        }) => {
            let email = email.trim();
            if email.is_empty() || pw.is_empty() {
                return Err(RunError::Invalid(
                    "the email and the password must not be empty",
                ));
            }
            let hash = password::hash(pw).await?;
            Ok(Some(store.create_user(email, &hash).await?.id))
        }
        AdminCommand::Project(ProjectCommand::Add { name }) => {
            Ok(Some(store.create_project(&name).await?.id))
        }
        AdminCommand::Member(MemberCommand::Add {
            project_id,
            email,
            role,
        }) => {
            let user = store
                .user_by_email(&email)
                .await?
                .ok_or_else(|| StoreError::UnknownUser(email.clone()))?;
            store.set_membership(&project_id, &user.id, role).await?;
            Ok(None)
        }
        AdminCommand::Seed {
            project_id,
            email,
            count,
        } => {
            let user = store
                .user_by_email(&email)
                .await?
                .ok_or_else(|| StoreError::UnknownUser(email.clone()))?;
            if store.role_of(&user.id, &project_id).await?.is_none() {
                return Err(RunError::Invalid(
                    "the user is not a member of that project",
                ));
            }
            seed::seed(store, &project_id, &user.id, count).await?;
            Ok(None)
        }
        AdminCommand::Token { email, token } => {
            let user = store
                .user_by_email(&email)
                .await?
                .ok_or_else(|| StoreError::UnknownUser(email.clone()))?;
            let auth =
                Authenticator::new(store.clone(), token.jwt_secret.as_deref(), token.token_ttl)
                    .await?;
            Ok(Some(auth.keys().issue(&user.id, user.credential_version)?))
        }
    }
}
