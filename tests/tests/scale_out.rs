//! Scaling out: three servers on one PostgreSQL behave as one. They migrate a fresh
//! database safely, accept each other's tokens, see each other's writes, lose no
//! concurrent tag append, and revoke credentials and memberships together.

use std::collections::BTreeSet;
use std::time::Duration;

use leads_client::types::{LeadCreate, SigninRequest, TagList};
use leads_client::{Auth, Client};
use leads_e2e_tests::{admin, seed_world, Backend, Database, Server};

/// The status of a call's answer, success or error; 0 when there was none.
fn status<T>(
    result: &Result<
        leads_client::ResponseValue<T>,
        leads_client::Error<leads_client::types::Error>,
    >,
) -> u16 {
    match result {
        Ok(value) => value.status().as_u16(),
        Err(error) => error.status().map_or(0, |s| s.as_u16()),
    }
}

async fn list_status(client: &Client, project: &str) -> u16 {
    status(&client.list_leads().project_id(project).send().await)
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(leads_postgres_tests),
    ignore = "set LEADS_TEST_POSTGRES_URL to run the servers on PostgreSQL"
)]
async fn three_servers_share_one_postgres() {
    let database = Database::create(Backend::Postgres).expect("a fresh, empty database");

    // Three servers at the same moment on a database nobody has migrated.
    let spawned: Vec<Server> = std::thread::scope(|scope| {
        let starts: Vec<_> = (0..3)
            .map(|_| scope.spawn(|| Server::spawn(&database, &[]).expect("a server starts")))
            .collect();
        starts
            .into_iter()
            .map(|s| s.join().expect("the starting thread"))
            .collect()
    });
    for server in &spawned {
        server
            .wait_ready(Duration::from_secs(60))
            .expect("every server gets ready");
    }
    let servers = spawned;
    let migration_lines: Vec<String> = servers
        .iter()
        .map(|server| {
            server
                .log()
                .into_iter()
                .filter(|line| line.contains("leads_server::store") && line.contains("schema"))
                .map(|line| match line.split_once("postgres: ") {
                    Some((_, message)) => message.to_owned(),
                    None => line,
                })
                .collect::<Vec<_>>()
                .join(" / ")
        })
        .collect();
    for (i, lines) in migration_lines.iter().enumerate() {
        eprintln!("server {}: {lines}", i + 1);
    }
    let migrated = migration_lines
        .iter()
        .filter(|l| l.contains("migrated the schema"))
        .count();
    assert_eq!(
        migrated, 1,
        "exactly one server migrates: {migration_lines:#?}"
    );
    assert!(
        migration_lines
            .iter()
            .filter(|l| !l.contains("migrated the schema"))
            .all(|l| l.contains("the schema is up to date")),
        "the others find the schema migrated: {migration_lines:#?}"
    );
    let waited = migration_lines
        .iter()
        .filter(|l| l.contains("waiting for it"))
        .count();
    eprintln!("{waited} of the other two waited on the migration lock");

    let world = seed_world(&database).expect("seeded");
    let project = world.project.as_str();

    // A token signed in on one server is accepted by all.
    let signed_in = servers[0]
        .anonymous()
        .signin()
        .body(
            SigninRequest::builder()
                .email(world.agent.email.clone())
                .password(world.agent.password.clone()),
        )
        .send()
        .await
        .expect("signed in on server 1")
        .into_inner();
    let by_token: Vec<Client> = servers
        .iter()
        .map(|s| s.client(Auth::jwt(&signed_in.token)))
        .collect();
    for (i, client) in by_token.iter().enumerate() {
        assert_eq!(
            list_status(client, project).await,
            200,
            "server {} takes server 1's token",
            i + 1
        );
    }

    // A lead created through one is read and counted through the others.
    let lead = by_token[1]
        .create_lead()
        .project_id(project)
        .body(
            LeadCreate::builder()
                .lead_id("shared")
                .fullname(Some("Ada".parse().expect("a name"))),
        )
        .send()
        .await
        .expect("created on server 2")
        .into_inner();
    for i in [0, 2] {
        let read = by_token[i]
            .get_lead()
            .project_id(project)
            .id(lead.id.as_str())
            .send()
            .await
            .expect("read elsewhere")
            .into_inner();
        assert_eq!(read, lead, "server {} reads what server 2 wrote", i + 1);
        let page = by_token[i]
            .list_leads()
            .project_id(project)
            .send()
            .await
            .expect("listed")
            .into_inner();
        assert_eq!(page.count, 1, "server {} counts it", i + 1);
        assert_eq!(page.leads.len(), 1);
    }

    // 32 concurrent tag appends, spread across the three, lose nothing.
    let appends = (0..32).map(|i| {
        let client = by_token[i % 3].clone();
        let id = lead.id.to_string();
        async move {
            let tags: TagList =
                serde_json::from_value(serde_json::json!([format!("tag{i}")])).expect("tags");
            client
                .add_lead_tags()
                .project_id(project)
                .id(&*id)
                .body(tags)
                .send()
                .await
                .map(|_| ())
        }
    });
    let appended = futures::future::join_all(appends).await;
    assert!(appended.iter().all(Result::is_ok), "{appended:?}");
    let after = by_token[2]
        .get_lead()
        .project_id(project)
        .id(lead.id.as_str())
        .send()
        .await
        .expect("read back")
        .into_inner();
    let tags: BTreeSet<String> = after.tags.iter().cloned().collect();
    let expected: BTreeSet<String> = (0..32).map(|i| format!("tag{i}")).collect();
    assert_eq!(tags, expected, "every append survived");
    assert_eq!(after.v, 32, "every append counted once");
    eprintln!(
        "32 tag appends across three servers: {} tags, __v {}",
        after.tags.len(),
        after.v
    );

    // A password change takes effect on all three at once: old tokens and cached Basic
    // verifications of the old password are refused, the new password works.
    let by_basic: Vec<Client> = servers
        .iter()
        .map(|s| s.client(world.agent.basic()))
        .collect();
    for client in &by_basic {
        assert_eq!(
            list_status(client, project).await,
            200,
            "Basic works (and is cached)"
        );
    }
    admin(
        &database,
        &[
            "user",
            "password",
            &world.agent.email,
            "--password",
            "a new password",
        ],
    )
    .expect("password changed");
    let new_basic: Vec<Client> = servers
        .iter()
        .map(|s| s.client(Auth::basic(&world.agent.email, "a new password")))
        .collect();
    for i in 0..3 {
        assert_eq!(
            list_status(&by_token[i], project).await,
            401,
            "server {}: old token",
            i + 1
        );
        assert_eq!(
            status(
                &by_token[i]
                    .get_lead()
                    .project_id(project)
                    .id(lead.id.as_str())
                    .send()
                    .await
            ),
            401,
            "server {}: old token on a read by id",
            i + 1
        );
        assert_eq!(
            list_status(&by_basic[i], project).await,
            401,
            "server {}: old password",
            i + 1
        );
        assert_eq!(
            list_status(&new_basic[i], project).await,
            200,
            "server {}: new password",
            i + 1
        );
    }
    eprintln!("password change: old token and old Basic 401, new Basic 200, on all three");

    // Lowering a role and removing a member take effect on the next request everywhere.
    let low: Vec<Client> = servers
        .iter()
        .map(|s| s.client(world.low.basic()))
        .collect();
    admin(
        &database,
        &[
            "member",
            "role",
            project,
            &world.low.email,
            "--role",
            "agent",
        ],
    )
    .expect("role raised");
    for client in &low {
        assert_eq!(list_status(client, project).await, 200);
    }
    admin(
        &database,
        &[
            "member",
            "role",
            project,
            &world.low.email,
            "--role",
            "user",
        ],
    )
    .expect("role lowered");
    for client in &low {
        assert_eq!(list_status(client, project).await, 403, "a lowered role");
    }
    admin(
        &database,
        &[
            "member",
            "role",
            project,
            &world.low.email,
            "--role",
            "agent",
        ],
    )
    .expect("role raised again");
    admin(&database, &["member", "remove", project, &world.low.email]).expect("removed");
    for client in &low {
        assert_eq!(list_status(client, project).await, 403, "a removed member");
    }
    assert!(
        admin(&database, &["member", "remove", project, &world.low.email]).is_err(),
        "removing a membership that is gone fails"
    );
    eprintln!("role lowered and membership removed: 403 on all three at the next request");
}
