//! Durability: a create that was acknowledged survives SIGKILL of the server, intact.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use leads_client::Auth;
use leads_e2e_tests::{admin, seed_world, Backend, Database, Server};

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_creates_survive_sigkill() {
    for backend in Backend::available() {
        let database = Database::create(backend).expect("a database");
        let world = seed_world(&database).expect("seeded");
        // A token, not Basic: this suite measures durability, not password hashing.
        let token = admin(&database, &["token", &world.agent.email]).expect("a token");
        let mut acknowledged: Vec<(String, String)> = Vec::new();
        for round in 0..3 {
            let server = Server::start(&database, &[]).expect("the server starts");
            let client = server.client(Auth::jwt(&token));
            let acked = Arc::new(Mutex::new(Vec::new()));
            let writers: Vec<_> = (0..16)
                .map(|w| {
                    let client = client.clone();
                    let project = world.project.clone();
                    let acked = acked.clone();
                    tokio::spawn(async move {
                        for i in 0.. {
                            let lead_id = format!("r{round}-w{w}-{i}");
                            let body = leads_client::types::LeadCreate::builder()
                                .lead_id(lead_id.clone())
                                .zipcode(Some("00144".parse().expect("a zip code")));
                            match client
                                .create_lead()
                                .project_id(&*project)
                                .body(body)
                                .send()
                                .await
                            {
                                Ok(lead) => acked
                                    .lock()
                                    .expect("not poisoned")
                                    .push((lead.into_inner().id.to_string(), lead_id)),
                                Err(_) => break,
                            }
                        }
                    })
                })
                .collect();
            // Kill mid-load: once a good number of creates were acknowledged, or after
            // ten seconds on a slow machine.
            for _ in 0..100 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if acked.lock().expect("not poisoned").len() >= 200 {
                    break;
                }
            }
            server.kill_hard();
            for writer in writers {
                let _ = writer.await;
            }
            let acked = acked.lock().expect("not poisoned").clone();
            assert!(
                !acked.is_empty(),
                "{backend:?} round {round}: nothing was acknowledged"
            );
            acknowledged.extend(acked);

            let server = Server::start(&database, &[]).expect("the server restarts");
            let client = server.client(Auth::jwt(&token));
            for (id, lead_id) in &acknowledged {
                let lead = client
                    .get_lead()
                    .project_id(&*world.project)
                    .id(&**id)
                    .send()
                    .await
                    .unwrap_or_else(|e| {
                        panic!("{backend:?} round {round}: acknowledged lead {id} is gone: {e}")
                    })
                    .into_inner();
                assert_eq!(&lead.lead_id, lead_id, "{backend:?}: lead {id} changed");
                assert_eq!(
                    lead.zipcode.as_deref(),
                    Some("00144"),
                    "{backend:?}: lead {id} changed"
                );
            }
            server.kill_hard();
        }
        eprintln!(
            "{backend:?}: {} acknowledged creates survived three SIGKILLs",
            acknowledged.len()
        );
    }
}
