//! The first-start demo: with no users at all, a project and its owner are created so a
//! newcomer can make a request at once. The password is random and shown only here.

use crate::auth::password;
use crate::store::{Role, Store};
use rand::distr::{Alphanumeric, SampleString};
use std::net::SocketAddr;

/// The demo owner's email.
pub const DEMO_EMAIL: &str = "demo@example.com";

/// What was created.
#[derive(Debug, Clone)]
pub struct Demo {
    pub email: String,
    pub password: String,
    pub project_id: String,
}

/// Creates the demo project and owner when the store has no users; `None` otherwise.
pub async fn create_if_empty(store: &Store) -> Result<Option<Demo>, crate::RunError> {
    if store.count_users().await? > 0 {
        return Ok(None);
    }
    let password = Alphanumeric.sample_string(&mut rand::rng(), 20);
    let hash = password::hash(password.clone()).await?;
    let user = store.create_user(DEMO_EMAIL, &hash).await?;
    let project = store.create_project("Demo project").await?;
    store
        .set_membership(&project.id, &user.id, Role::Owner)
        .await?;
    Ok(Some(Demo {
        email: user.email,
        password,
        project_id: project.id,
    }))
}

/// The message printed once at first start.
pub fn banner(demo: &Demo, addr: SocketAddr) -> String {
    let base = format!("http://{addr}/v1");
    format!(
        "\nCreated a demo project and its owner (the password is shown only now):\n\
         \n  email:    {email}\n  password: {password}\n  project:  {project}\n\
         \nTry it:\n\
         \n  curl -u '{email}:{password}' -H 'Content-Type: application/json' \\\n       \
         -d '{{\"lead_id\":\"demo-1\",\"fullname\":\"Andrea Leo\",\"email\":\"andrea@example.com\"}}' \\\n       \
         {base}/{project}/leads\n\
         \n  curl -u '{email}:{password}' {base}/{project}/leads\n",
        email = demo.email,
        password = demo.password,
        project = demo.project_id,
    )
}
