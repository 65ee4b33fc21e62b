//! Authentication attacks: every forged, expired, truncated or wrong credential gets 401
//! with the `Error` body and `WWW-Authenticate`, and none reaches a handler (nothing is
//! created, nothing changes).

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use leads_e2e_tests::{seed_world, Backend, Database, Server, World};
use serde_json::{json, Value};
use sha2::Sha256;

const SECRET: &str = "e2e-secret-that-is-at-least-32-bytes-long!";

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn sign(secret: &[u8], header: &Value, claims: &Value) -> String {
    let signing_input = format!("{}.{}", b64(header), b64(claims));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// The attacks, as `Authorization` header values, named.
fn attacks(world: &World) -> Vec<(&'static str, String)> {
    let hs256 = json!({"alg": "HS256", "typ": "JWT"});
    let valid_claims = json!({"sub": world.agent.id, "iat": now(), "exp": now() + 3600});
    let valid = sign(SECRET.as_bytes(), &hs256, &valid_claims);
    let mut parts: Vec<&str> = valid.split('.').collect();
    let tampered_payload = b64(&json!({"sub": world.owner.id, "iat": now(), "exp": now() + 3600}));
    parts[1] = &tampered_payload;
    let tampered = parts.join(".");
    vec![
        (
            "alg none",
            format!(
                "JWT {}.{}.",
                b64(&json!({"alg": "none", "typ": "JWT"})),
                b64(&valid_claims)
            ),
        ),
        (
            "HS256 with the wrong key",
            format!(
                "JWT {}",
                sign(
                    b"another-secret-of-the-same-length-123456",
                    &hs256,
                    &valid_claims
                )
            ),
        ),
        (
            "RS256 header with an HMAC signature (algorithm confusion)",
            format!(
                "Bearer {}",
                sign(
                    SECRET.as_bytes(),
                    &json!({"alg": "RS256", "typ": "JWT"}),
                    &valid_claims
                )
            ),
        ),
        (
            "expired",
            format!(
                "JWT {}",
                sign(
                    SECRET.as_bytes(),
                    &hs256,
                    &json!({"sub": world.agent.id, "iat": now() - 7200, "exp": now() - 3600})
                )
            ),
        ),
        ("tampered payload", format!("JWT {tampered}")),
        ("truncated", format!("JWT {}", &valid[..valid.len() - 10])),
        (
            "no exp",
            format!(
                "JWT {}",
                sign(SECRET.as_bytes(), &hs256, &json!({"sub": world.agent.id}))
            ),
        ),
        ("Basic with bad base64", "Basic !!!not-base64!!!".to_owned()),
        (
            "Basic without a colon",
            format!("Basic {}", STANDARD.encode("agent@e2e.test")),
        ),
        (
            "Basic with non-UTF-8",
            format!("Basic {}", STANDARD.encode([0xff, 0xfe, b':', 0xfd])),
        ),
        (
            "an unknown user",
            format!(
                "Basic {}",
                STANDARD.encode(format!("nobody@e2e.test:{}", world.agent.password))
            ),
        ),
        (
            "a wrong password",
            format!(
                "Basic {}",
                STANDARD.encode(format!("{}:wrong", world.agent.email))
            ),
        ),
        (
            "an empty password",
            format!(
                "Basic {}",
                STANDARD.encode(format!("{}:", world.agent.email))
            ),
        ),
        ("an unknown scheme", "Digest username=\"agent\"".to_owned()),
        ("an empty token", "JWT ".to_owned()),
    ]
}

leads_e2e_tests::on_each_backend!(every_attack_gets_401_and_reaches_no_handler);

async fn every_attack_gets_401_and_reaches_no_handler(backend: Backend) {
    let database = Database::create(backend).expect("a database");
    let world = seed_world(&database).expect("seeded");
    let server = Server::start(&database, &["--jwt-secret", SECRET]).expect("the server starts");
    let http = reqwest::Client::new();
    let create = format!("{}/{}/leads", server.base_url, world.project);

    // The forged tokens are signed correctly where that matters: the genuine one works.
    let genuine = sign(
        SECRET.as_bytes(),
        &json!({"alg": "HS256", "typ": "JWT"}),
        &json!({"sub": world.agent.id, "iat": now(), "exp": now() + 3600}),
    );
    let answer = http
        .get(&create)
        .header("authorization", format!("JWT {genuine}"))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(
        answer.status(),
        200,
        "{backend:?}: a genuine token is accepted"
    );

    for (name, header) in attacks(&world) {
        let answer = http
            .post(&create)
            .header("authorization", &header)
            .json(&json!({"lead_id": format!("attack {name}")}))
            .send()
            .await
            .expect("the server answers");
        assert_eq!(answer.status(), 401, "{backend:?}: {name} must get 401");
        assert!(
            answer.headers().get("www-authenticate").is_some(),
            "{backend:?}: {name}: 401 without WWW-Authenticate"
        );
        let body: Value = answer.json().await.expect("a JSON error body");
        assert_eq!(body["success"], json!(false), "{backend:?}: {name}: {body}");
        assert!(
            body["msg"].as_str().is_some_and(|m| !m.is_empty()),
            "{backend:?}: {name}: {body}"
        );
    }

    let listed: Value = http
        .get(&create)
        .basic_auth(&world.agent.email, Some(&world.agent.password))
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("a list");
    assert_eq!(
        listed["count"],
        json!(0),
        "{backend:?}: an attack created a lead: {listed}"
    );
}

leads_e2e_tests::on_each_backend!(
    a_correct_password_after_wrong_ones_still_works_and_wrong_ones_never_do
);

async fn a_correct_password_after_wrong_ones_still_works_and_wrong_ones_never_do(backend: Backend) {
    let database = Database::create(backend).expect("a database");
    let world = seed_world(&database).expect("seeded");
    let server = Server::start(&database, &[]).expect("the server starts");
    let http = reqwest::Client::new();
    let url = format!("{}/{}/leads", server.base_url, world.project);
    // Alternate right and wrong: a cache of verified credentials must never answer
    // for a wrong password, even just after the right one was accepted.
    for round in 0..5 {
        let right = http
            .get(&url)
            .basic_auth(&world.agent.email, Some(&world.agent.password))
            .send()
            .await
            .expect("answers");
        assert_eq!(right.status(), 200, "{backend:?}: round {round}");
        let wrong = http
            .get(&url)
            .basic_auth(
                &world.agent.email,
                Some(format!("{}x", world.agent.password)),
            )
            .send()
            .await
            .expect("answers");
        assert_eq!(wrong.status(), 401, "{backend:?}: round {round}");
        let upper = http
            .get(&url)
            .basic_auth(
                world.agent.email.to_uppercase(),
                Some(&world.agent.password),
            )
            .send()
            .await
            .expect("answers");
        assert_eq!(
            upper.status(),
            200,
            "{backend:?}: emails match case-insensitively"
        );
    }
}

leads_e2e_tests::on_each_backend!(credentials_of_users_outside_the_project_get_403);

async fn credentials_of_users_outside_the_project_get_403(backend: Backend) {
    let database = Database::create(backend).expect("a database");
    let world = seed_world(&database).expect("seeded");
    let server = Server::start(&database, &["--jwt-secret", SECRET]).expect("the server starts");
    let http = reqwest::Client::new();
    let url = format!("{}/{}/leads", server.base_url, world.project);
    let token = sign(
        SECRET.as_bytes(),
        &json!({"alg": "HS256", "typ": "JWT"}),
        &json!({"sub": world.outsider.id, "iat": now(), "exp": now() + 3600}),
    );
    for (name, header) in [
        ("JWT", format!("JWT {token}")),
        ("Bearer", format!("Bearer {token}")),
        (
            "Basic",
            format!(
                "Basic {}",
                STANDARD.encode(format!(
                    "{}:{}",
                    world.outsider.email, world.outsider.password
                ))
            ),
        ),
    ] {
        let answer = http
            .get(&url)
            .header("authorization", header)
            .send()
            .await
            .expect("answers");
        assert_eq!(answer.status(), 403, "{backend:?}: an outsider with {name}");
    }
}
