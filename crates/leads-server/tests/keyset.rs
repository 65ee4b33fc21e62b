//! Keyset pages, on SQLite and PostgreSQL alike: a walk from position to position visits
//! every matching lead exactly once, in the list's order, for every sort field and both
//! directions, with missing sort values and ties, and under concurrent writes.

#[path = "storage/backends.rs"]
mod backends;

use futures::TryStreamExt;
use leads_server::store::{
    Lead, LeadChanges, LeadEdit, LeadQuery, NewLead, SortField, Start, Store,
};
use std::collections::HashSet;

storage_suite!(
    walks_visit_every_lead_once_in_order,
    walks_survive_inserts_and_deletes,
    a_position_whose_lead_is_gone_still_resumes,
);

const SORTS: [SortField; 5] = [
    SortField::CreatedAt,
    SortField::UpdatedAt,
    SortField::Fullname,
    SortField::Email,
    SortField::LeadId,
];

async fn project(store: &Store) -> String {
    store.create_project("test").await.expect("project").id
}

/// Leads whose names, emails and external ids repeat and are often missing, so every
/// sort has ties and NULLs; most carry the tag `t` and the word `common`.
async fn fixture(store: &Store, p: &str, n: usize) -> Vec<Lead> {
    let mut leads = Vec::new();
    for i in 0..n {
        let new = NewLead {
            lead_id: format!("ext-{}", i % 7),
            fullname: (i % 3 != 0).then(|| format!("common {}", i % 4)),
            email: (i % 4 != 1).then(|| format!("x{}@example.com", i % 5)),
            tags: if i % 5 == 0 {
                vec![]
            } else {
                vec!["t".to_owned()]
            },
            created_by: "5b55e806c93dde00143163dc".to_owned(),
            ..NewLead::default()
        };
        let lead = store.create_lead(p, new).await.expect("create");
        let lead = if i % 6 == 0 {
            // A later `updatedAt` for some, so that sort differs from creation order.
            let changes = LeadChanges {
                company: leads_server::store::Change::Set("edited".into()),
                ..LeadChanges::default()
            };
            store
                .edit_lead(p, &lead.id, &LeadEdit::Update(Box::new(changes)))
                .await
                .expect("edit")
                .expect("exists")
        } else {
            lead
        };
        leads.push(lead);
    }
    leads
}

/// The whole list, in order, as the export streams it.
async fn whole(store: &Store, p: &str, query: &LeadQuery) -> Vec<String> {
    store
        .export_leads(p, query.clone())
        .map_ok(|l| l.id)
        .try_collect()
        .await
        .expect("export")
}

/// Walks the list from the first page through each page's `next`; checks every page's
/// count against `count` and answers the ids in the order visited.
async fn walk(store: &Store, p: &str, query: &LeadQuery, limit: i64) -> Vec<String> {
    let mut seen = Vec::new();
    let mut start = Start::Offset(0);
    let expected = whole(store, p, query).await.len() as i64;
    for _ in 0..1000 {
        let page = store
            .list_page(p, query, &start, limit)
            .await
            .expect("list");
        assert_eq!(page.count, expected, "{query:?}");
        assert!(page.leads.len() as i64 <= limit);
        seen.extend(page.leads.into_iter().map(|l| l.id));
        match page.next {
            Some(next) => start = Start::After(next),
            None => return seen,
        }
    }
    panic!("the walk did not end: {query:?}");
}

fn queries(sort: SortField, ascending: bool) -> Vec<LeadQuery> {
    let base = LeadQuery {
        sort,
        ascending,
        ..LeadQuery::default()
    };
    vec![
        base.clone(),
        LeadQuery {
            tags: vec!["t".into()],
            ..base.clone()
        },
        LeadQuery {
            with_email: Some(true),
            ..base.clone()
        },
        LeadQuery {
            full_text: Some("common".into()),
            ..base.clone()
        },
        LeadQuery {
            full_text: Some("x3".into()),
            tags: vec!["t".into()],
            ..base
        },
    ]
}

async fn walks_visit_every_lead_once_in_order(store: Store) {
    let p = project(&store).await;
    let other = project(&store).await;
    fixture(&store, &p, 37).await;
    fixture(&store, &other, 5).await;
    for sort in SORTS {
        for ascending in [true, false] {
            for query in queries(sort, ascending) {
                let expected = whole(&store, &p, &query).await;
                assert!(!expected.is_empty(), "{query:?}");
                for limit in [1, 4, 100] {
                    let walked = walk(&store, &p, &query, limit).await;
                    assert_eq!(walked, expected, "limit {limit}, {query:?}");
                }
            }
        }
    }
    // The last page, exactly full, has no `next`.
    let query = LeadQuery::default();
    let page = store
        .list_page(&p, &query, &Start::Offset(0), 37)
        .await
        .unwrap();
    assert_eq!((page.leads.len(), page.next), (37, None));
    let page = store
        .list_page(&p, &query, &Start::Offset(0), 36)
        .await
        .unwrap();
    assert!(page.next.is_some());
}

/// Leads created or deleted between pages: every lead that lives through the walk is
/// seen once, none twice, and the order holds.
async fn walks_survive_inserts_and_deletes(store: Store) {
    for sort in SORTS {
        for ascending in [true, false] {
            let p = project(&store).await;
            let created = fixture(&store, &p, 20).await;
            let query = LeadQuery {
                sort,
                ascending,
                ..LeadQuery::default()
            };
            let order = whole(&store, &p, &query).await;
            let first = store
                .list_page(&p, &query, &Start::Offset(0), 6)
                .await
                .unwrap();
            let mut seen: Vec<String> = first.leads.iter().map(|l| l.id.clone()).collect();
            // Delete two leads already seen and two still ahead; create three more.
            let ahead: Vec<&String> = order.iter().skip(6).collect();
            let gone: HashSet<String> = [&seen[0], &seen[3], ahead[0], ahead[5]]
                .into_iter()
                .cloned()
                .collect();
            for id in &gone {
                store.delete_lead(&p, id).await.unwrap().expect("deleted");
            }
            for i in 0..3 {
                let new = NewLead {
                    lead_id: format!("ext-{}", i * 3),
                    fullname: (i != 1).then(|| "common 2".to_owned()),
                    email: Some(format!("x{i}@example.com")),
                    created_by: "5b55e806c93dde00143163dc".to_owned(),
                    ..NewLead::default()
                };
                store.create_lead(&p, new).await.unwrap();
            }
            let mut start = Start::After(first.next.expect("more pages"));
            loop {
                let page = store.list_page(&p, &query, &start, 6).await.unwrap();
                seen.extend(page.leads.iter().map(|l| l.id.clone()));
                match page.next {
                    Some(next) => start = Start::After(next),
                    None => break,
                }
            }
            let unique: HashSet<&String> = seen.iter().collect();
            assert_eq!(unique.len(), seen.len(), "a lead was seen twice: {query:?}");
            for lead in &created {
                if !gone.contains(&lead.id) || seen[..6].contains(&lead.id) {
                    assert!(
                        seen.contains(&lead.id),
                        "{} was skipped: {query:?}",
                        lead.id
                    );
                }
            }
            for id in &gone {
                if !seen[..6].contains(id) {
                    assert!(!seen.contains(id), "a deleted lead was listed: {query:?}");
                }
            }
            // What was seen of the original leads keeps the original order.
            let originals: Vec<&String> = seen.iter().filter(|id| order.contains(id)).collect();
            let mut sorted = originals.clone();
            sorted.sort_by_key(|id| order.iter().position(|o| o == *id));
            assert_eq!(originals, sorted, "{query:?}");
        }
    }
}

/// A position stays meaningful after its own lead is deleted: the walk resumes with the
/// lead that followed it.
async fn a_position_whose_lead_is_gone_still_resumes(store: Store) {
    let p = project(&store).await;
    fixture(&store, &p, 12).await;
    for sort in SORTS {
        let query = LeadQuery {
            sort,
            ..LeadQuery::default()
        };
        let order = whole(&store, &p, &query).await;
        let first = store
            .list_page(&p, &query, &Start::Offset(0), 3)
            .await
            .unwrap();
        let next = first.next.expect("more pages");
        assert_eq!(next.id, order[2]);
        store.delete_lead(&p, &order[2]).await.unwrap();
        let page = store
            .list_page(&p, &query, &Start::After(next), 3)
            .await
            .unwrap();
        let ids: Vec<String> = page.leads.into_iter().map(|l| l.id).collect();
        assert_eq!(ids, order[3..6], "{query:?}");
        // Put a lead back for the next sort's turn.
        store
            .create_lead(
                &p,
                NewLead {
                    lead_id: "again".into(),
                    created_by: "5b55e806c93dde00143163dc".into(),
                    ..NewLead::default()
                },
            )
            .await
            .unwrap();
    }
}
