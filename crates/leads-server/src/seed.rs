//! `admin seed`: synthetic leads in bulk, for load tests and trials at scale.
//!
//! The leads are varied enough for every filter to select a known share of them: each
//! email is unique, each surname is shared by one lead in 50 (a `full_text` hit) and each
//! `cohort-N` tag by one lead in 100.

use crate::store::{new_object_id, Lead, Store, StoreError, STATUS_NORMAL};
use chrono::Utc;

/// Leads per transaction: large enough to amortise the commit, small enough to bound
/// memory and the time the write lock is held.
const BATCH: u64 = 5_000;

const GIVEN_NAMES: [&str; 40] = [
    "Ada", "Alan", "Anna", "Ben", "Carla", "Dario", "Elena", "Enzo", "Fatima", "Franco", "Giulia",
    "Hana", "Ivan", "Jia", "Karim", "Laura", "Luca", "Maya", "Marco", "Nadia", "Noah", "Olga",
    "Omar", "Paola", "Pietro", "Quinn", "Rosa", "Sami", "Sara", "Tomas", "Uma", "Victor", "Wanda",
    "Xavier", "Yara", "Yusuf", "Zoe", "Bruno", "Chiara", "Diego",
];

const SURNAMES: [&str; 50] = [
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "Bianchi",
    "Romano",
    "Colombo",
    "Ricci",
    "Marino",
    "Greco",
    "Bruno",
    "Gallo",
    "Conti",
    "DeLuca",
    "Mancini",
    "Costa",
    "Giordano",
    "Rizzo",
    "Lombardi",
    "Moretti",
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Mueller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Garcia",
    "Martinez",
    "Lopez",
    "Sanchez",
    "Perez",
    "Gomez",
    "Martin",
    "Jimenez",
    "Ruiz",
    "Hernandez",
];

/// The `n`th synthetic lead of a seeding run (`run` keeps runs' emails apart).
pub fn synthetic_lead(project_id: &str, created_by: &str, run: &str, n: u64) -> Lead {
    let now = crate::store::now();
    let given = GIVEN_NAMES[(n % 40) as usize];
    let surname = SURNAMES[((n / 40) % 50) as usize];
    Lead {
        id: new_object_id(),
        project_id: project_id.to_owned(),
        lead_id: format!("seed-{run}-{n}"),
        fullname: Some(format!("{given} {surname}")),
        email: Some(format!("lead{n}.{run}@example.com")),
        phone: Some(format!("+39 06 {:07}", n % 10_000_000)),
        company: Some(format!("Company {}", n % 1_000)),
        note: None,
        street_address: Some(format!("Via Roma {}", n % 300 + 1)),
        city: Some("Rome".to_owned()),
        region: None,
        zipcode: Some(format!("{:05}", n % 100_000)),
        country: Some("IT".to_owned()),
        tags: vec!["seed".to_owned(), format!("cohort-{}", n % 100)],
        status: STATUS_NORMAL,
        attributes: Default::default(),
        properties: None,
        created_by: created_by.to_owned(),
        created_at: now,
        updated_at: now,
        version: 0,
    }
}

/// Adds `count` synthetic leads to the project, `BATCH` per transaction, created by the
/// user `created_by`, then refreshes the planner's statistics.
pub async fn seed(
    store: &Store,
    project_id: &str,
    created_by: &str,
    count: u64,
) -> Result<(), StoreError> {
    let run = format!("{:x}", Utc::now().timestamp_millis());
    let mut next = 0;
    while next < count {
        let end = (next + BATCH).min(count);
        let batch: Vec<Lead> = (next..end)
            .map(|n| synthetic_lead(project_id, created_by, &run, n))
            .collect();
        store.insert_leads(&batch).await?;
        next = end;
    }
    // The project just grew by `count`: plans chosen for its old size may no longer fit.
    store.analyze().await
}
