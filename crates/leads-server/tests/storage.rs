//! The storage suite: every test runs against SQLite and PostgreSQL alike.

#[path = "storage/backends.rs"]
mod backends;

use futures::TryStreamExt;
use leads_server::store::{
    is_object_id, Access, Change, JsonObject, KeyRecord, KeyedInsert, Lead, LeadChanges, LeadEdit,
    LeadQuery, NewLead, Role, SortField, StatusFilter, Store, StoreError, StoredKey,
    STATUS_DELETED, STATUS_NORMAL,
};
use serde_json::json;

storage_suite!(
    create_and_get,
    ids_are_unique_and_time_ordered,
    lookups_are_scoped_by_project,
    update_keeps_clears_and_sets,
    edits_of_unknown_leads_create_nothing,
    tags_append_with_dedup_in_order,
    removing_tags,
    concurrent_tag_appends_lose_nothing,
    merges_follow_json_merge_patch,
    free_form_values_read_back_exactly,
    concurrent_merges_keep_every_key,
    soft_delete_and_restore,
    physical_delete,
    counts_follow_every_change,
    presence_counts_follow_every_change,
    bulk_seeding_selects_known_shares,
    filter_by_email,
    filter_by_full_text,
    filter_by_presence,
    filter_by_tags,
    filter_by_status,
    filters_combine,
    sort_and_paginate,
    export_streams_matching_leads_in_order,
    users,
    memberships,
    a_lead_read_carries_the_readers_role,
    settings_first_value_wins,
    password_changes_bump_the_credential_version,
    access_reads_version_and_role_together,
    memberships_are_removed_and_changed,
    a_keyed_create_writes_once,
    expired_keys_are_replaced_and_purged,
    readiness_and_pools,
    reads_see_every_acknowledged_write,
    a_create_that_breaks_a_constraint_fails_alone,
    tag_lists_follow_status_and_tag_changes,
    word_lists_follow_every_change,
    several_terms_agree_however_they_are_counted,
    full_text_pages_keep_order_for_common_and_rare_words,
    every_page_is_a_slice_of_the_whole_order,
);

fn object(value: serde_json::Value) -> JsonObject {
    value.as_object().expect("an object").clone()
}

async fn project(store: &Store) -> String {
    store
        .create_project("test")
        .await
        .expect("create project")
        .id
}

fn new_lead(lead_id: &str) -> NewLead {
    NewLead {
        lead_id: lead_id.to_owned(),
        created_by: "5b55e806c93dde00143163dc".to_owned(),
        ..NewLead::default()
    }
}

async fn create(store: &Store, project: &str, new: NewLead) -> Lead {
    store.create_lead(project, new).await.expect("create lead")
}

async fn edit(store: &Store, project: &str, id: &str, edit: LeadEdit) -> Lead {
    store
        .edit_lead(project, id, &edit)
        .await
        .expect("edit lead")
        .expect("lead exists")
}

/// Every lead the export of `query` streams, in order.
async fn exported(store: &Store, project: &str, query: &LeadQuery) -> Vec<Lead> {
    store
        .export_leads(project, query.clone())
        .try_collect()
        .await
        .expect("export leads")
}

async fn list(store: &Store, project: &str, query: &LeadQuery) -> (i64, Vec<String>) {
    let page = store
        .list_leads(project, query, 0, 100)
        .await
        .expect("list leads");
    (
        page.count,
        page.leads.into_iter().map(|l| l.lead_id).collect(),
    )
}

async fn create_and_get(store: Store) {
    let p = project(&store).await;
    let new = NewLead {
        lead_id: "ext-1".into(),
        fullname: Some("Andrea Leo".into()),
        email: Some("Andrea.Leo@F21.it".into()),
        phone: Some("+39 06 123".into()),
        company: Some("Frontiere21".into()),
        note: Some("met at the fair".into()),
        street_address: Some("Via Roma 1".into()),
        city: Some("Roma".into()),
        region: Some("Lazio".into()),
        zipcode: Some("00144".into()),
        country: Some("IT".into()),
        tags: vec!["vip".into(), "news".into(), "vip".into()],
        attributes: object(json!({"departmentId": "5b55e806c93dde00143163de", "n": 1})),
        properties: Some(object(json!({"source": "landing"}))),
        created_by: "5b55e806c93dde00143163dc".into(),
    };
    let lead = create(&store, &p, new).await;
    assert!(is_object_id(&lead.id));
    assert_eq!(lead.project_id, p);
    assert_eq!(lead.status, STATUS_NORMAL);
    assert_eq!(lead.version, 0);
    assert_eq!(lead.tags, ["vip", "news"]);
    assert_eq!(lead.zipcode.as_deref(), Some("00144"));
    assert_eq!(lead.created_at, lead.updated_at);
    let got = store.get_lead(&p, &lead.id).await.unwrap().expect("found");
    assert_eq!(got, lead);
}

async fn ids_are_unique_and_time_ordered(store: Store) {
    let p = project(&store).await;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(create(&store, &p, new_lead(&format!("l{i}"))).await.id);
    }
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, ids, "ids are unique and increase with creation");
    assert!(ids.iter().all(|id| is_object_id(id)));
}

async fn lookups_are_scoped_by_project(store: Store) {
    let a = project(&store).await;
    let b = project(&store).await;
    let lead = create(&store, &a, new_lead("a1")).await;
    create(&store, &b, new_lead("b1")).await;
    assert_eq!(store.get_lead(&b, &lead.id).await.unwrap(), None);
    assert_eq!(
        list(&store, &a, &LeadQuery::default()).await,
        (1, vec!["a1".into()])
    );
    assert_eq!(
        list(&store, &b, &LeadQuery::default()).await,
        (1, vec!["b1".into()])
    );
}

async fn update_keeps_clears_and_sets(store: Store) {
    let p = project(&store).await;
    let mut new = new_lead("u1");
    new.fullname = Some("Old Name".into());
    new.email = Some("old@example.com".into());
    new.phone = Some("+39 06 123".into());
    new.tags = vec!["a".into()];
    new.attributes = object(json!({"keep": false, "x": 1}));
    let lead = create(&store, &p, new).await;
    let changes = LeadChanges {
        fullname: Change::Set("New Name".into()),
        zipcode: Change::Set("00144".into()),
        phone: Change::Clear,
        tags: Some(vec!["b".into(), "c".into(), "b".into()]),
        attributes: Some(object(json!({"y": 2}))),
        ..LeadChanges::default()
    };
    let updated = edit(
        &store,
        &p,
        &lead.id,
        LeadEdit::Update(Box::new(changes.clone())),
    )
    .await;
    assert_eq!(updated.fullname.as_deref(), Some("New Name"));
    assert_eq!(updated.email.as_deref(), Some("old@example.com"), "kept");
    assert_eq!(updated.phone, None, "cleared");
    assert_eq!(updated.zipcode.as_deref(), Some("00144"));
    assert_eq!(updated.tags, ["b", "c"]);
    assert_eq!(updated.attributes, object(json!({"y": 2})));
    assert_eq!(updated.version, 1);
    assert_eq!(updated.created_at, lead.created_at);
    assert!(updated.updated_at >= lead.updated_at);
    assert_eq!(
        store.get_lead(&p, &lead.id).await.unwrap().unwrap(),
        updated
    );
    // The same update again changes nothing: same revision.
    let again = edit(&store, &p, &lead.id, LeadEdit::Update(Box::new(changes))).await;
    assert_eq!(again, updated);
    // Empty replacements empty the collections, and count as a change.
    let emptied = edit(
        &store,
        &p,
        &lead.id,
        LeadEdit::Update(Box::new(LeadChanges {
            tags: Some(Vec::new()),
            attributes: Some(JsonObject::new()),
            ..LeadChanges::default()
        })),
    )
    .await;
    assert!(emptied.tags.is_empty());
    assert!(emptied.attributes.is_empty());
    assert_eq!(emptied.version, 2);
    assert_eq!(
        store.get_lead(&p, &lead.id).await.unwrap().unwrap(),
        emptied
    );
}

async fn edits_of_unknown_leads_create_nothing(store: Store) {
    let a = project(&store).await;
    let b = project(&store).await;
    let lead = create(&store, &a, new_lead("x")).await;
    let unknown = leads_server::store::new_object_id();
    for id in [&lead.id, &unknown] {
        let edits = [
            LeadEdit::Update(Box::new(LeadChanges {
                fullname: Change::Set("Mallory".into()),
                ..LeadChanges::default()
            })),
            LeadEdit::AddTags(vec!["t".into()]),
            LeadEdit::RemoveTag("t".into()),
            LeadEdit::MergeAttributes(object(json!({"k": 1}))),
            LeadEdit::MergeProperties(object(json!({"k": 1}))),
            LeadEdit::SoftDelete,
        ];
        for e in edits {
            assert_eq!(store.edit_lead(&b, id, &e).await.unwrap(), None);
        }
        assert_eq!(store.delete_lead(&b, id).await.unwrap(), None);
    }
    assert_eq!(
        store
            .edit_lead(&a, &unknown, &LeadEdit::SoftDelete)
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.get_lead(&a, &lead.id).await.unwrap().unwrap(), lead);
    let all = LeadQuery {
        status: StatusFilter::NotDeleted,
        ..LeadQuery::default()
    };
    assert_eq!(list(&store, &b, &all).await.0, 0);
    assert_eq!(list(&store, &a, &all).await.0, 1);
}

async fn tags_append_with_dedup_in_order(store: Store) {
    let p = project(&store).await;
    let lead = create(&store, &p, new_lead("t")).await;
    let once = edit(
        &store,
        &p,
        &lead.id,
        LeadEdit::AddTags(vec!["tag1".into(), "tag2".into()]),
    )
    .await;
    assert_eq!(once.tags, ["tag1", "tag2"]);
    assert_eq!(once.version, 1);
    let twice = edit(
        &store,
        &p,
        &lead.id,
        LeadEdit::AddTags(vec!["tag2".into(), "tag3".into()]),
    )
    .await;
    assert_eq!(twice.tags, ["tag1", "tag2", "tag3"]);
    assert_eq!(twice.version, 2);
    // Case matters: `Tag1` is another tag.
    let cased = edit(&store, &p, &lead.id, LeadEdit::AddTags(vec!["Tag1".into()])).await;
    assert_eq!(cased.tags, ["tag1", "tag2", "tag3", "Tag1"]);
    // Nothing new: unchanged, same revision.
    let same = edit(&store, &p, &lead.id, LeadEdit::AddTags(vec!["tag1".into()])).await;
    assert_eq!(same, cased);
}

async fn removing_tags(store: Store) {
    let p = project(&store).await;
    let mut new = new_lead("t");
    new.tags = vec!["tag1".into(), "tag2".into()];
    let lead = create(&store, &p, new).await;
    let removed = edit(&store, &p, &lead.id, LeadEdit::RemoveTag("tag2".into())).await;
    assert_eq!(removed.tags, ["tag1"]);
    assert_eq!(removed.version, 1);
    let absent = edit(&store, &p, &lead.id, LeadEdit::RemoveTag("nope".into())).await;
    assert_eq!(absent, removed);
    // The tag index follows: the lead no longer matches `tag2`.
    let query = LeadQuery {
        tags: vec!["tag2".into()],
        ..LeadQuery::default()
    };
    assert_eq!(list(&store, &p, &query).await.0, 0);
}

async fn concurrent_tag_appends_lose_nothing(store: Store) {
    let p = project(&store).await;
    let lead = create(&store, &p, new_lead("c")).await;
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let (store, p, id) = (store.clone(), p.clone(), lead.id.clone());
            tokio::spawn(async move {
                let tags = vec![format!("t{i}"), "shared".to_owned()];
                store.edit_lead(&p, &id, &LeadEdit::AddTags(tags)).await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap().unwrap();
    }
    let lead = store.get_lead(&p, &lead.id).await.unwrap().unwrap();
    assert_eq!(lead.tags.len(), 25, "{:?}", lead.tags);
    assert_eq!(lead.tags.iter().filter(|t| *t == "shared").count(), 1);
    for i in 0..24 {
        assert!(lead.tags.contains(&format!("t{i}")));
    }
    assert_eq!(lead.version, 24);
}

/// Whatever the API accepts in a free-form object is stored and read back as sent: NUL
/// and control characters in strings, the limits of a double, the largest integers.
async fn free_form_values_read_back_exactly(store: Store) {
    let p = project(&store).await;
    let hard = object(json!({
        "nul": "a\u{0}b",
        "controls": "\u{1}\u{7f}\t",
        "max": f64::MAX,
        "min": -f64::MAX,
        "tiny": 5e-324,
        "long": 1.154_899_197_811_476_4e289,
        "u64": u64::MAX,
        "i64": i64::MIN,
        "deep": {"a": {"b": {"c": [1, "漢字😀", null]}}},
    }));
    let mut new = new_lead("hard");
    new.attributes = hard.clone();
    new.properties = Some(hard.clone());
    let lead = create(&store, &p, new).await;
    let read = store.get_lead(&p, &lead.id).await.unwrap().unwrap();
    assert_eq!(read.attributes, hard);
    assert_eq!(read.properties, Some(hard.clone()));
    let merged = edit(
        &store,
        &p,
        &lead.id,
        LeadEdit::MergeProperties(object(json!({"more": f64::MAX, "nul": "\u{0}"}))),
    )
    .await;
    assert_eq!(merged.properties.as_ref().unwrap()["more"], json!(f64::MAX));
    let listed = store
        .list_leads(&p, &LeadQuery::default(), 0, 40)
        .await
        .expect("the list reads every lead");
    assert_eq!(listed.leads.len(), 1);
    assert_eq!(listed.leads[0].attributes, hard);
}

async fn merges_follow_json_merge_patch(store: Store) {
    let p = project(&store).await;
    let mut new = new_lead("m");
    new.attributes = object(json!({
        "departmentId": "d1",
        "gone": true,
        "nested": {"a": 1, "b": 2},
        "scalar": 5,
    }));
    let lead = create(&store, &p, new).await;
    assert_eq!(lead.properties, None);
    let merged = edit(
        &store,
        &p,
        &lead.id,
        LeadEdit::MergeAttributes(object(json!({
            "plan": "premium",
            "gone": null,
            "absent": null,
            "nested": {"b": null, "c": 3},
            "scalar": {"now": "an object", "dropped": null},
        }))),
    )
    .await;
    // RFC 7396: `null` removes, objects merge recursively, anything else replaces.
    assert_eq!(
        merged.attributes,
        object(json!({
            "departmentId": "d1",
            "plan": "premium",
            "nested": {"a": 1, "c": 3},
            "scalar": {"now": "an object"},
        }))
    );
    assert_eq!(merged.version, 1);
    assert_eq!(store.get_lead(&p, &lead.id).await.unwrap().unwrap(), merged);
    // A patch that removes only what is not there changes nothing.
    let unchanged = edit(
        &store,
        &p,
        &lead.id,
        LeadEdit::MergeAttributes(object(json!({"absent": null, "nested": {"zz": null}}))),
    )
    .await;
    assert_eq!(unchanged, merged);
    let props = edit(
        &store,
        &p,
        &lead.id,
        LeadEdit::MergeProperties(object(json!({"source": "lp"}))),
    )
    .await;
    assert_eq!(props.properties, Some(object(json!({"source": "lp"}))));
    let props = edit(
        &store,
        &p,
        &lead.id,
        LeadEdit::MergeProperties(object(json!({"campaign": 7}))),
    )
    .await;
    assert_eq!(
        props.properties,
        Some(object(json!({"source": "lp", "campaign": 7})))
    );
    assert_eq!(props.attributes, merged.attributes);
    assert_eq!(props.version, 3);
}

async fn concurrent_merges_keep_every_key(store: Store) {
    let p = project(&store).await;
    let lead = create(&store, &p, new_lead("m")).await;
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let (store, p, id) = (store.clone(), p.clone(), lead.id.clone());
            tokio::spawn(async move {
                let mut body = JsonObject::new();
                body.insert(format!("k{i}"), json!(i));
                let e = if i % 2 == 0 {
                    LeadEdit::MergeAttributes(body)
                } else {
                    LeadEdit::MergeProperties(body)
                };
                store.edit_lead(&p, &id, &e).await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap().unwrap();
    }
    let lead = store.get_lead(&p, &lead.id).await.unwrap().unwrap();
    assert_eq!(lead.attributes.len(), 8);
    assert_eq!(lead.properties.unwrap().len(), 8);
    assert_eq!(lead.version, 16);
}

async fn soft_delete_and_restore(store: Store) {
    let p = project(&store).await;
    let lead = create(&store, &p, new_lead("d")).await;
    let deleted = edit(&store, &p, &lead.id, LeadEdit::SoftDelete).await;
    assert_eq!(deleted.status, STATUS_DELETED);
    assert_eq!(deleted.version, 1);
    // Deleting again answers the lead unchanged.
    assert_eq!(
        edit(&store, &p, &lead.id, LeadEdit::SoftDelete).await,
        deleted
    );
    assert_eq!(list(&store, &p, &LeadQuery::default()).await.0, 0);
    let deleted_only = LeadQuery {
        status: StatusFilter::Is(STATUS_DELETED),
        ..LeadQuery::default()
    };
    assert_eq!(list(&store, &p, &deleted_only).await.0, 1);
    // Still readable by id.
    assert_eq!(
        store.get_lead(&p, &lead.id).await.unwrap().unwrap(),
        deleted
    );
    let restore = LeadChanges {
        status: Some(STATUS_NORMAL),
        ..LeadChanges::default()
    };
    let restored = edit(&store, &p, &lead.id, LeadEdit::Update(Box::new(restore))).await;
    assert_eq!(restored.status, STATUS_NORMAL);
    assert_eq!(restored.version, 2);
    assert_eq!(list(&store, &p, &LeadQuery::default()).await.0, 1);
}

/// The unfiltered count comes from maintained counters; it must agree with the rows
/// themselves (as the export streams them) after creates, soft deletes, restores and
/// physical deletes, from many connections at once, and never leak across projects.
async fn counts_follow_every_change(store: Store) {
    let p = project(&store).await;
    let other = project(&store).await;
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let (store, p) = (store.clone(), p.clone());
            tokio::spawn(async move { store.create_lead(&p, new_lead(&format!("n{i}"))).await })
        })
        .collect();
    let mut leads = Vec::new();
    for task in tasks {
        leads.push(task.await.unwrap().unwrap());
    }
    create(&store, &other, new_lead("elsewhere")).await;
    for lead in &leads[..6] {
        edit(&store, &p, &lead.id, LeadEdit::SoftDelete).await;
    }
    let restore = LeadChanges {
        status: Some(STATUS_NORMAL),
        ..LeadChanges::default()
    };
    edit(
        &store,
        &p,
        &leads[0].id,
        LeadEdit::Update(Box::new(restore)),
    )
    .await;
    store.delete_lead(&p, &leads[1].id).await.unwrap().unwrap();
    store.delete_lead(&p, &leads[10].id).await.unwrap().unwrap();

    for status in [
        StatusFilter::Is(STATUS_NORMAL),
        StatusFilter::Is(STATUS_DELETED),
        StatusFilter::NotDeleted,
    ] {
        let query = LeadQuery {
            status,
            ..LeadQuery::default()
        };
        let rows = exported(&store, &p, &query).await;
        assert_eq!(
            list(&store, &p, &query).await.0,
            rows.len() as i64,
            "{status:?}"
        );
    }
    assert_eq!(list(&store, &p, &LeadQuery::default()).await.0, 18);
    assert_eq!(list(&store, &other, &LeadQuery::default()).await.0, 1);
}

/// A count filtered on `with_email` and `with_fullname` comes from counters kept by
/// presence; after creates, edits that add, clear or blank the email and the full name,
/// status changes and deletes, every combination must agree with the rows themselves.
/// The creates are sent together, so that one write counts leads of every presence, and
/// of two projects, at once.
async fn presence_counts_follow_every_change(store: Store) {
    let p = project(&store).await;
    let other = project(&store).await;
    let creates = (0..12).map(|i| {
        let new = NewLead {
            email: (i % 2 == 0).then(|| format!("Lead{i}@Example.com")),
            fullname: match i % 3 {
                0 => Some(format!("Lead {i}")),
                1 => Some(String::new()),
                _ => None,
            },
            ..new_lead(&format!("n{i}"))
        };
        create(&store, &p, new)
    });
    let (leads, _) = tokio::join!(
        futures::future::join_all(creates),
        create(&store, &other, new_lead("elsewhere")),
    );
    let changes = [
        LeadChanges {
            email: Change::Set("added@example.com".into()),
            ..LeadChanges::default()
        },
        LeadChanges {
            email: Change::Clear,
            fullname: Change::Set("Named".into()),
            ..LeadChanges::default()
        },
        LeadChanges {
            fullname: Change::Set(String::new()),
            ..LeadChanges::default()
        },
        LeadChanges {
            fullname: Change::Clear,
            status: Some(50),
            ..LeadChanges::default()
        },
        LeadChanges {
            phone: Change::Set("+39 06 1".into()),
            ..LeadChanges::default()
        },
    ];
    for (lead, change) in leads.iter().zip(changes) {
        edit(&store, &p, &lead.id, LeadEdit::Update(Box::new(change))).await;
    }
    edit(&store, &p, &leads[6].id, LeadEdit::SoftDelete).await;
    store.delete_lead(&p, &leads[7].id).await.unwrap().unwrap();
    store.delete_lead(&p, &leads[8].id).await.unwrap().unwrap();

    let presence = [None, Some(true), Some(false)];
    for status in [
        StatusFilter::Is(STATUS_NORMAL),
        StatusFilter::Is(50),
        StatusFilter::Is(STATUS_DELETED),
        StatusFilter::NotDeleted,
    ] {
        let of_status = LeadQuery {
            status,
            ..LeadQuery::default()
        };
        let all = exported(&store, &p, &of_status).await;
        for with_email in presence {
            for with_fullname in presence {
                let query = LeadQuery {
                    status,
                    with_email,
                    with_fullname,
                    ..LeadQuery::default()
                };
                let named = |l: &Lead| l.fullname.as_deref().is_some_and(|f| !f.is_empty());
                let expected = all
                    .iter()
                    .filter(|l| with_email.is_none_or(|w| l.email.is_some() == w))
                    .filter(|l| with_fullname.is_none_or(|w| named(l) == w))
                    .count();
                let rows = exported(&store, &p, &query).await;
                assert_eq!(rows.len(), expected, "the export filters {query:?}");
                assert_eq!(
                    list(&store, &p, &query).await.0,
                    expected as i64,
                    "{query:?}"
                );
            }
        }
    }
    let everyone = LeadQuery {
        status: StatusFilter::NotDeleted,
        ..LeadQuery::default()
    };
    assert_eq!(list(&store, &p, &everyone).await.0, 9);
    assert_eq!(list(&store, &other, &everyone).await.0, 1);
}

/// `admin seed` writes leads in bulk; each filter must select the share the seed module
/// promises, and the maintained count must include every bulk-written lead.
async fn bulk_seeding_selects_known_shares(store: Store) {
    let p = project(&store).await;
    let creator = "5b55e806c93dde00143163dc";
    leads_server::seed::seed(&store, &p, creator, 4_000)
        .await
        .unwrap();
    assert_eq!(list(&store, &p, &LeadQuery::default()).await.0, 4_000);

    let cohort = LeadQuery {
        tags: vec!["cohort-7".into()],
        ..LeadQuery::default()
    };
    assert_eq!(list(&store, &p, &cohort).await.0, 40);
    let surname = LeadQuery {
        full_text: Some("rossi".into()),
        ..LeadQuery::default()
    };
    assert_eq!(list(&store, &p, &surname).await.0, 80);

    let first = store
        .list_leads(&p, &LeadQuery::default(), 0, 1)
        .await
        .unwrap()
        .leads
        .remove(0);
    let by_email = LeadQuery {
        email: first.email.clone(),
        ..LeadQuery::default()
    };
    let found = store.list_leads(&p, &by_email, 0, 10).await.unwrap();
    assert_eq!(found.count, 1);
    assert_eq!(found.leads[0], first);
    assert_eq!(first.created_by, creator);
}

async fn physical_delete(store: Store) {
    let p = project(&store).await;
    let mut new = new_lead("gone");
    new.tags = vec!["t".into()];
    new.fullname = Some("Gone Soon".into());
    let lead = create(&store, &p, new).await;
    let removed = store.delete_lead(&p, &lead.id).await.unwrap();
    assert_eq!(removed, Some(lead.clone()));
    assert_eq!(store.get_lead(&p, &lead.id).await.unwrap(), None);
    assert_eq!(store.delete_lead(&p, &lead.id).await.unwrap(), None);
    assert_eq!(
        store
            .edit_lead(&p, &lead.id, &LeadEdit::SoftDelete)
            .await
            .unwrap(),
        None
    );
    // Gone from the indexes too.
    let by_tag = LeadQuery {
        tags: vec!["t".into()],
        ..LeadQuery::default()
    };
    assert_eq!(list(&store, &p, &by_tag).await.0, 0);
    let by_text = LeadQuery {
        full_text: Some("gone".into()),
        ..LeadQuery::default()
    };
    assert_eq!(list(&store, &p, &by_text).await.0, 0);
}

/// A lead of the filter fixture: lead_id, fullname, email, tags.
type FixtureRow = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static [&'static str],
);

/// Leads for the filter tests.
async fn filter_fixture(store: &Store) -> String {
    let p = project(store).await;
    let rows: [FixtureRow; 6] = [
        (
            "l1",
            Some("Andrea Rossi"),
            Some("andrea@example.com"),
            &["vip", "news"],
        ),
        ("l2", Some("Mario Bianchi"), Some("Leo@F21.it"), &["vip"]),
        ("l3", Some("Andreas Weber"), None, &["news"]),
        ("l4", None, Some("someone@example.com"), &[]),
        ("l5", Some(""), Some(""), &["vip", "news", "x"]),
        ("l6", Some("Guest"), None, &[]),
    ];
    for (lead_id, fullname, email, tags) in rows {
        let mut new = new_lead(lead_id);
        new.fullname = fullname.map(Into::into);
        new.email = email.map(Into::into);
        new.tags = tags.iter().map(|t| t.to_string()).collect();
        create(store, &p, new).await;
    }
    p
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

async fn ids(store: &Store, p: &str, query: LeadQuery) -> Vec<String> {
    let (count, ids) = list(store, p, &query).await;
    assert_eq!(
        count as usize,
        ids.len(),
        "count counts what the filters match"
    );
    sorted(ids)
}

async fn filter_by_email(store: Store) {
    let p = filter_fixture(&store).await;
    let q = |email: &str| LeadQuery {
        email: Some(email.into()),
        ..LeadQuery::default()
    };
    assert_eq!(ids(&store, &p, q("leo@f21.IT")).await, ["l2"]);
    assert_eq!(ids(&store, &p, q("ANDREA@example.com")).await, ["l1"]);
    // Literal: no pattern matching.
    assert!(ids(&store, &p, q("%@example.com")).await.is_empty());
    assert!(ids(&store, &p, q("andrea")).await.is_empty());
}

async fn filter_by_full_text(store: Store) {
    let p = filter_fixture(&store).await;
    let q = |text: &str| LeadQuery {
        full_text: Some(text.into()),
        ..LeadQuery::default()
    };
    // Any word, whole words, case-insensitive, over fullname and email.
    assert_eq!(ids(&store, &p, q("andrea leo")).await, ["l1", "l2"]);
    assert_eq!(ids(&store, &p, q("ANDREAS")).await, ["l3"]);
    assert!(ids(&store, &p, q("andr")).await.is_empty());
    assert_eq!(ids(&store, &p, q("example")).await, ["l1", "l4"]);
    assert_eq!(ids(&store, &p, q("f21.it")).await, ["l2"]);
    // Operators of either engine are just text.
    assert!(ids(&store, &p, q("\"*\" OR -- ' | !")).await.is_empty());
    assert!(ids(&store, &p, q("@@")).await.is_empty());
}

async fn filter_by_presence(store: Store) {
    let p = filter_fixture(&store).await;
    let q = |with_email: Option<bool>, with_fullname: Option<bool>| LeadQuery {
        with_email,
        with_fullname,
        ..LeadQuery::default()
    };
    assert_eq!(
        ids(&store, &p, q(Some(true), None)).await,
        ["l1", "l2", "l4"]
    );
    assert_eq!(
        ids(&store, &p, q(Some(false), None)).await,
        ["l3", "l5", "l6"]
    );
    assert_eq!(
        ids(&store, &p, q(None, Some(true))).await,
        ["l1", "l2", "l3", "l6"]
    );
    assert_eq!(ids(&store, &p, q(None, Some(false))).await, ["l4", "l5"]);
    assert_eq!(
        ids(&store, &p, q(Some(false), Some(true))).await,
        ["l3", "l6"]
    );
}

async fn filter_by_tags(store: Store) {
    let p = filter_fixture(&store).await;
    let q = |tags: &[&str]| LeadQuery {
        tags: tags.iter().map(|t| t.to_string()).collect(),
        ..LeadQuery::default()
    };
    assert_eq!(ids(&store, &p, q(&["vip"])).await, ["l1", "l2", "l5"]);
    assert_eq!(ids(&store, &p, q(&["vip", "news"])).await, ["l1", "l5"]);
    assert_eq!(ids(&store, &p, q(&["news", "vip", "x"])).await, ["l5"]);
    assert!(ids(&store, &p, q(&["VIP"])).await.is_empty());
    assert!(ids(&store, &p, q(&["vip", "none"])).await.is_empty());
}

async fn filter_by_status(store: Store) {
    let p = project(&store).await;
    let normal = create(&store, &p, new_lead("normal")).await;
    let temporary = create(&store, &p, new_lead("temporary")).await;
    let deleted = create(&store, &p, new_lead("deleted")).await;
    let to = |status| {
        LeadEdit::Update(Box::new(LeadChanges {
            status: Some(status),
            ..LeadChanges::default()
        }))
    };
    edit(&store, &p, &temporary.id, to(50)).await;
    edit(&store, &p, &deleted.id, LeadEdit::SoftDelete).await;
    let q = |status| LeadQuery {
        status,
        ..LeadQuery::default()
    };
    assert_eq!(ids(&store, &p, LeadQuery::default()).await, ["normal"]);
    assert_eq!(
        ids(&store, &p, q(StatusFilter::Is(50))).await,
        ["temporary"]
    );
    assert_eq!(
        ids(&store, &p, q(StatusFilter::Is(1000))).await,
        ["deleted"]
    );
    assert_eq!(
        ids(&store, &p, q(StatusFilter::NotDeleted)).await,
        ["normal", "temporary"]
    );
    assert_eq!(normal.status, STATUS_NORMAL);
}

async fn filters_combine(store: Store) {
    let p = filter_fixture(&store).await;
    let query = LeadQuery {
        full_text: Some("andrea andreas mario".into()),
        tags: vec!["news".into()],
        with_email: Some(true),
        ..LeadQuery::default()
    };
    assert_eq!(ids(&store, &p, query).await, ["l1"]);
    let query = LeadQuery {
        email: Some("leo@f21.it".into()),
        tags: vec!["news".into()],
        ..LeadQuery::default()
    };
    assert!(ids(&store, &p, query).await.is_empty());
}

async fn sort_and_paginate(store: Store) {
    let p = project(&store).await;
    // Created in this order; names and emails in another.
    let rows = [
        ("c", Some("Carla"), Some("zed@example.com")),
        ("a", Some("Bruno"), None),
        ("e", None, Some("anna@example.com")),
        ("b", Some("Anna"), Some("mid@example.com")),
        ("d", Some("Dario"), Some("bob@example.com")),
    ];
    let mut created = Vec::new();
    for (lead_id, fullname, email) in rows {
        let mut new = new_lead(lead_id);
        new.fullname = fullname.map(Into::into);
        new.email = email.map(Into::into);
        created.push(create(&store, &p, new).await);
    }
    // Touch "c" last, so updatedAt differs from createdAt order.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    edit(
        &store,
        &p,
        &created[0].id,
        LeadEdit::AddTags(vec!["x".into()]),
    )
    .await;

    let order = |sort, ascending| LeadQuery {
        sort,
        ascending,
        ..LeadQuery::default()
    };
    let cases: [(SortField, bool, [&str; 5]); 10] = [
        (SortField::CreatedAt, true, ["c", "a", "e", "b", "d"]),
        (SortField::CreatedAt, false, ["d", "b", "e", "a", "c"]),
        (SortField::UpdatedAt, true, ["a", "e", "b", "d", "c"]),
        (SortField::UpdatedAt, false, ["c", "d", "b", "e", "a"]),
        (SortField::LeadId, true, ["a", "b", "c", "d", "e"]),
        (SortField::LeadId, false, ["e", "d", "c", "b", "a"]),
        // Missing values first ascending, last descending.
        (SortField::Fullname, true, ["e", "b", "a", "c", "d"]),
        (SortField::Fullname, false, ["d", "c", "a", "b", "e"]),
        (SortField::Email, true, ["a", "e", "d", "b", "c"]),
        (SortField::Email, false, ["c", "b", "d", "e", "a"]),
    ];
    for (sort, ascending, expected) in cases {
        let (count, got) = list(&store, &p, &order(sort, ascending)).await;
        assert_eq!(count, 5);
        assert_eq!(got, expected, "{sort:?} ascending={ascending}");
    }
    // Pages of two: disjoint, in order, count across all pages.
    let query = order(SortField::LeadId, true);
    let mut seen = Vec::new();
    for page in 0..3 {
        let result = store.list_leads(&p, &query, page * 2, 2).await.unwrap();
        assert_eq!(result.count, 5);
        assert!(result.leads.len() <= 2);
        seen.extend(result.leads.into_iter().map(|l| l.lead_id));
    }
    assert_eq!(seen, ["a", "b", "c", "d", "e"]);
    let beyond = store.list_leads(&p, &query, 100, 2).await.unwrap();
    assert_eq!((beyond.count, beyond.leads.len()), (5, 0));
}

async fn export_streams_matching_leads_in_order(store: Store) {
    let p = project(&store).await;
    let other = project(&store).await;
    create(&store, &other, new_lead("elsewhere")).await;
    let mut ids = Vec::new();
    for i in 0..600 {
        ids.push(create(&store, &p, new_lead(&format!("x{i:04}"))).await.id);
    }
    edit(&store, &p, &ids[1], LeadEdit::SoftDelete).await;
    let temporary = LeadEdit::Update(Box::new(LeadChanges {
        status: Some(50),
        ..LeadChanges::default()
    }));
    edit(&store, &p, &ids[2], temporary).await;
    let query = LeadQuery {
        status: StatusFilter::NotDeleted,
        sort: SortField::LeadId,
        ascending: true,
        ..LeadQuery::default()
    };
    let rows = exported(&store, &p, &query).await;
    assert_eq!(rows.len(), 599);
    assert_eq!(rows[0].lead_id, "x0000");
    assert_eq!(rows[1].lead_id, "x0002");
    assert_eq!(rows[1].status, 50);
    assert!(rows.windows(2).all(|w| w[0].lead_id < w[1].lead_id));
    // Dropping the stream early is fine.
    let mut stream = store.export_leads(&p, LeadQuery::default());
    assert!(stream.try_next().await.unwrap().is_some());
    drop(stream);
}

async fn users(store: Store) {
    assert_eq!(store.count_users().await.unwrap(), 0);
    let user = store
        .create_user("Andrea.Leo@F21.it", "hash1")
        .await
        .unwrap();
    assert!(is_object_id(&user.id));
    assert_eq!(user.email, "Andrea.Leo@F21.it");
    let duplicate = store.create_user("andrea.leo@f21.IT", "hash2").await;
    assert!(
        matches!(duplicate, Err(StoreError::DuplicateEmail(_))),
        "{duplicate:?}"
    );
    let found = store
        .user_by_email("ANDREA.LEO@f21.it")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, user);
    assert_eq!(store.user_by_id(&user.id).await.unwrap().unwrap(), user);
    assert_eq!(store.user_by_email("nobody@f21.it").await.unwrap(), None);
    assert_eq!(user.credential_version, 0);
    assert!(store.set_password_hash(&user.id, "hash3").await.unwrap());
    assert_eq!(
        store
            .user_by_id(&user.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "hash3"
    );
    assert!(!store
        .set_password_hash("5b55e806c93dde00143163dc", "h")
        .await
        .unwrap());
    assert_eq!(store.count_users().await.unwrap(), 1);
}

/// The read by id answers the role and the lead in one query: the lead only from the
/// project of the address, the role only of that project, and nothing to a stranger.
async fn a_lead_read_carries_the_readers_role(store: Store) {
    let a = project(&store).await;
    let b = project(&store).await;
    let member = store.create_user("reader@example.com", "h").await.unwrap();
    let stranger = store
        .create_user("stranger@example.com", "h")
        .await
        .unwrap();
    store
        .set_membership(&a, &member.id, Role::Agent)
        .await
        .unwrap();
    store
        .set_membership(&b, &member.id, Role::Guest)
        .await
        .unwrap();
    let in_a = create(&store, &a, new_lead("in-a")).await;
    let in_b = create(&store, &b, new_lead("in-b")).await;
    let access = |role| Access {
        credential_version: 0,
        role,
    };

    assert_eq!(
        store
            .lead_for_member(&member.id, &a, &in_a.id)
            .await
            .unwrap(),
        Some((access(Some(Role::Agent)), Some(in_a.clone())))
    );
    assert_eq!(
        store
            .lead_for_member(&member.id, &a, &in_b.id)
            .await
            .unwrap(),
        Some((access(Some(Role::Agent)), None)),
        "another project's lead is not found through this one"
    );
    assert_eq!(
        store
            .lead_for_member(&member.id, &b, &in_b.id)
            .await
            .unwrap(),
        Some((access(Some(Role::Guest)), Some(in_b)))
    );
    assert_eq!(
        store
            .lead_for_member(&stranger.id, &a, &in_a.id)
            .await
            .unwrap(),
        Some((access(None), None)),
        "a stranger sees no lead and no role"
    );
    assert_eq!(
        store
            .lead_for_member("5b55e806c93dde00143163dc", &a, &in_a.id)
            .await
            .unwrap(),
        None,
        "nothing at all for a user that does not exist"
    );
    store.set_password_hash(&member.id, "h2").await.unwrap();
    let (after, _) = store
        .lead_for_member(&member.id, &a, &in_a.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        after.credential_version, 1,
        "the version comes with the read"
    );
}

async fn memberships(store: Store) {
    let a = project(&store).await;
    let b = project(&store).await;
    let user = store.create_user("m@example.com", "h").await.unwrap();
    assert_eq!(store.role_of(&user.id, &a).await.unwrap(), None);
    store
        .set_membership(&a, &user.id, Role::Agent)
        .await
        .unwrap();
    assert_eq!(
        store.role_of(&user.id, &a).await.unwrap(),
        Some(Role::Agent)
    );
    assert_eq!(store.role_of(&user.id, &b).await.unwrap(), None);
    store
        .set_membership(&a, &user.id, Role::Owner)
        .await
        .unwrap();
    store
        .set_membership(&b, &user.id, Role::Guest)
        .await
        .unwrap();
    assert_eq!(
        store.role_of(&user.id, &a).await.unwrap(),
        Some(Role::Owner)
    );
    let mut all = store.memberships(&user.id).await.unwrap();
    all.sort_by(|x, y| x.project_id.cmp(&y.project_id));
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].project_id, a);
    assert_eq!(all[0].role, Role::Owner);
    assert_eq!(all[1].role, Role::Guest);
    let unknown = leads_server::store::new_object_id();
    assert!(matches!(
        store.set_membership(&unknown, &user.id, Role::Agent).await,
        Err(StoreError::UnknownProject(_))
    ));
    assert!(matches!(
        store.set_membership(&a, &unknown, Role::Agent).await,
        Err(StoreError::UnknownUser(_))
    ));
}

async fn settings_first_value_wins(store: Store) {
    assert_eq!(store.setting("jwt_secret").await.unwrap(), None);
    assert_eq!(
        store.init_setting("jwt_secret", "one").await.unwrap(),
        "one"
    );
    assert_eq!(
        store.init_setting("jwt_secret", "two").await.unwrap(),
        "one"
    );
    assert_eq!(
        store.setting("jwt_secret").await.unwrap().as_deref(),
        Some("one")
    );
}

async fn password_changes_bump_the_credential_version(store: Store) {
    let user = store.create_user("v@example.com", "h0").await.unwrap();
    let other = store.create_user("w@example.com", "h0").await.unwrap();
    for expected in 1..=3 {
        assert!(store
            .set_password_hash(&user.id, &format!("h{expected}"))
            .await
            .unwrap());
        let stored = store.user_by_id(&user.id).await.unwrap().unwrap();
        assert_eq!(stored.credential_version, expected);
        assert_eq!(stored.password_hash, format!("h{expected}"));
    }
    let untouched = store.user_by_email("W@example.com").await.unwrap().unwrap();
    assert_eq!(
        untouched.credential_version, 0,
        "only the user's own version moves"
    );
    assert_eq!(untouched.id, other.id);
}

async fn access_reads_version_and_role_together(store: Store) {
    let a = project(&store).await;
    let b = project(&store).await;
    let user = store.create_user("acc@example.com", "h").await.unwrap();
    store
        .set_membership(&a, &user.id, Role::Admin)
        .await
        .unwrap();
    assert_eq!(
        store.access(&user.id, &a).await.unwrap(),
        Some(Access {
            credential_version: 0,
            role: Some(Role::Admin)
        })
    );
    assert_eq!(
        store.access(&user.id, &b).await.unwrap(),
        Some(Access {
            credential_version: 0,
            role: None
        }),
        "no role in a project of which the user is no member"
    );
    store.set_password_hash(&user.id, "h2").await.unwrap();
    assert_eq!(
        store.access(&user.id, &a).await.unwrap(),
        Some(Access {
            credential_version: 1,
            role: Some(Role::Admin)
        })
    );
    assert_eq!(
        store.access("5b55e806c93dde00143163dc", &a).await.unwrap(),
        None
    );
}

async fn memberships_are_removed_and_changed(store: Store) {
    let a = project(&store).await;
    let user = store.create_user("mr@example.com", "h").await.unwrap();
    assert!(
        !store.change_role(&a, &user.id, Role::Owner).await.unwrap(),
        "no role to change for a non-member"
    );
    assert!(!store.remove_membership(&a, &user.id).await.unwrap());
    store
        .set_membership(&a, &user.id, Role::Agent)
        .await
        .unwrap();
    assert!(store.change_role(&a, &user.id, Role::User).await.unwrap());
    assert_eq!(store.role_of(&user.id, &a).await.unwrap(), Some(Role::User));
    assert!(store.remove_membership(&a, &user.id).await.unwrap());
    assert_eq!(store.role_of(&user.id, &a).await.unwrap(), None);
    assert!(store.memberships(&user.id).await.unwrap().is_empty());
}

fn key_record(key: &str, fingerprint: &str, now: i64) -> KeyRecord {
    KeyRecord {
        key: key.to_owned(),
        fingerprint: fingerprint.to_owned(),
        response: format!("{{\"answer\": \"{fingerprint}\"}}"),
        created_at: now,
        expired_before: now - 1_000,
    }
}

async fn a_keyed_create_writes_once(store: Store) {
    let a = project(&store).await;
    let b = project(&store).await;
    let now = chrono::Utc::now().timestamp_millis();
    let first = Store::prepare_lead(&a, new_lead("keyed"));
    assert_eq!(
        store
            .insert_lead_with_key(&first, &key_record("k1", "f1", now))
            .await
            .unwrap(),
        KeyedInsert::Inserted
    );
    let second = Store::prepare_lead(&a, new_lead("keyed"));
    assert_eq!(
        store
            .insert_lead_with_key(&second, &key_record("k1", "f2", now))
            .await
            .unwrap(),
        KeyedInsert::KeyTaken
    );
    assert!(
        store.get_lead(&a, &second.id).await.unwrap().is_none(),
        "a taken key writes no lead"
    );
    assert_eq!(
        store.get_lead(&a, &first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store.idempotency_key(&a, "k1", now - 1_000).await.unwrap(),
        Some(StoredKey {
            fingerprint: "f1".to_owned(),
            lead: first.id.clone(),
        })
    );
    assert_eq!(
        store.idempotency_key(&b, "k1", now - 1_000).await.unwrap(),
        None
    );
    // The same key in another project is another key.
    let elsewhere = Store::prepare_lead(&b, new_lead("keyed"));
    assert_eq!(
        store
            .insert_lead_with_key(&elsewhere, &key_record("k1", "f1", now))
            .await
            .unwrap(),
        KeyedInsert::Inserted
    );
    // Racing creates under one key: exactly one lead.
    let racers = (0..8).map(|_| {
        let store = store.clone();
        let a = a.clone();
        async move {
            let lead = Store::prepare_lead(&a, new_lead("raced"));
            store
                .insert_lead_with_key(&lead, &key_record("k2", "f", now))
                .await
                .unwrap()
        }
    });
    let outcomes = futures::future::join_all(racers).await;
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == KeyedInsert::Inserted)
            .count(),
        1,
        "{outcomes:?}"
    );
    let page = store
        .list_leads(&a, &LeadQuery::default(), 0, 100)
        .await
        .unwrap();
    assert_eq!(page.count, 2, "one `keyed` and one `raced` lead");
    assert_eq!(page.leads.len(), 2);
}

async fn expired_keys_are_replaced_and_purged(store: Store) {
    let a = project(&store).await;
    let day = 86_400_000;
    let now = chrono::Utc::now().timestamp_millis();
    let old = Store::prepare_lead(&a, new_lead("old"));
    let record = KeyRecord {
        created_at: now - 2 * day,
        expired_before: now - 3 * day,
        ..key_record("k", "f-old", now)
    };
    assert_eq!(
        store.insert_lead_with_key(&old, &record).await.unwrap(),
        KeyedInsert::Inserted
    );
    assert_eq!(
        store.idempotency_key(&a, "k", now - day).await.unwrap(),
        None,
        "a key older than its lifetime is not live"
    );
    let fresh = Store::prepare_lead(&a, new_lead("fresh"));
    let record = KeyRecord {
        expired_before: now - day,
        ..key_record("k", "f-new", now)
    };
    assert_eq!(
        store.insert_lead_with_key(&fresh, &record).await.unwrap(),
        KeyedInsert::Inserted,
        "an expired key is replaced"
    );
    assert_eq!(
        store
            .idempotency_key(&a, "k", now - day)
            .await
            .unwrap()
            .map(|k| (k.fingerprint, k.lead)),
        Some(("f-new".to_owned(), fresh.id.clone())),
        "the replaced key names the new lead"
    );
    let other = Store::prepare_lead(&a, new_lead("other"));
    let record = KeyRecord {
        created_at: now - 2 * day,
        expired_before: now - 3 * day,
        ..key_record("k-other", "f", now)
    };
    store.insert_lead_with_key(&other, &record).await.unwrap();
    assert_eq!(store.purge_idempotency_keys(now - day).await.unwrap(), 1);
    assert_eq!(store.purge_idempotency_keys(now - day).await.unwrap(), 0);
    assert!(
        store.get_lead(&a, &other.id).await.unwrap().is_some(),
        "purging a key keeps its lead"
    );
}

async fn readiness_and_pools(store: Store) {
    assert!(store.ready().await.unwrap(), "a migrated store is ready");
    let pools = store.pool_stats();
    assert!(!pools.is_empty());
    for pool in pools {
        assert!(pool.max >= 1, "{pool:?}");
        assert!(pool.idle <= pool.size, "{pool:?}");
    }
}

/// A read that starts after a write was acknowledged sees it: by id, in a tag list and
/// its count, and after an edit, while other writers keep writing.
async fn reads_see_every_acknowledged_write(store: Store) {
    let p = project(&store).await;
    let mut writers = Vec::new();
    for writer in 0..8_i64 {
        let (store, p) = (store.clone(), p.clone());
        writers.push(tokio::spawn(async move {
            let tag = format!("writer-{writer}");
            let tagged = LeadQuery {
                tags: vec![tag.clone()],
                ..LeadQuery::default()
            };
            for n in 0..10_i64 {
                let mut new = new_lead(&format!("{writer}-{n}"));
                new.tags = vec![tag.clone()];
                let lead = create(&store, &p, new).await;
                let read = store.get_lead(&p, &lead.id).await.unwrap();
                assert_eq!(read.as_ref(), Some(&lead), "read after create");
                let (count, listed) = list(&store, &p, &tagged).await;
                assert_eq!(count, n + 1, "count after create");
                assert_eq!(listed[0], lead.lead_id, "newest first after create");
                let edited =
                    edit(&store, &p, &lead.id, LeadEdit::AddTags(vec!["seen".into()])).await;
                let read = store.get_lead(&p, &lead.id).await.unwrap();
                assert_eq!(read, Some(edited), "read after edit");
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let seen = LeadQuery {
        tags: vec!["seen".into()],
        ..LeadQuery::default()
    };
    assert_eq!(list(&store, &p, &seen).await.0, 80);
}

/// Creates sent together, some into a project that does not exist (a broken foreign
/// key), keyed and not: each of those fails, and every other one is written and
/// answered. Creates that share a transaction (SQLite's group commit) must not fail with
/// the one that broke the constraint, nor be lost with it.
async fn a_create_that_breaks_a_constraint_fails_alone(store: Store) {
    let p = project(&store).await;
    let nowhere = "0123456789abcdef01234567";
    let now = chrono::Utc::now().timestamp_millis();
    let creates = (0..64_usize).map(|n| {
        let store = store.clone();
        let project = if n % 5 == 3 { nowhere } else { p.as_str() };
        let new = new_lead(&format!("lead-{n}"));
        async move {
            let written = if n % 4 == 0 {
                let lead = Store::prepare_lead(project, new);
                let key = key_record(&format!("key-{n}"), "f", now);
                store
                    .insert_lead_with_key(&lead, &key)
                    .await
                    .map(|outcome| {
                        assert_eq!(outcome, KeyedInsert::Inserted, "{n}: a fresh key");
                        lead
                    })
            } else {
                store.create_lead(project, new).await
            };
            (n, project, written)
        }
    });
    let mut written = Vec::new();
    for (n, project, outcome) in futures::future::join_all(creates).await {
        if project == nowhere {
            let error = outcome.expect_err("a create into no project fails");
            assert!(!error.is_transient(), "{n}: {error}");
        } else {
            let lead = outcome.unwrap_or_else(|error| panic!("{n}: {error}"));
            let read = store.get_lead(&p, &lead.id).await.unwrap();
            assert_eq!(read.as_ref(), Some(&lead), "{n}: written as answered");
            written.push(lead.lead_id);
        }
    }
    let (count, mut listed) = list(&store, &p, &LeadQuery::default()).await;
    listed.sort();
    written.sort();
    assert_eq!((count, listed), (written.len() as i64, written));
}

/// A tag list follows every change of a tagged lead: its status, its tags and its
/// removal, in its page and in its count, alone and with other filters and orders.
async fn tag_lists_follow_status_and_tag_changes(store: Store) {
    let p = project(&store).await;
    let other = project(&store).await;
    let tagged = |lead_id: &str, name: &str, tags: &[&str]| {
        let mut new = new_lead(lead_id);
        new.fullname = Some(name.into());
        new.tags = tags.iter().map(|t| t.to_string()).collect();
        new
    };
    let a = create(&store, &p, tagged("a", "Zeno", &["vip", "gold"])).await;
    let b = create(&store, &p, tagged("b", "Anna", &["vip"])).await;
    create(&store, &p, tagged("c", "Carlo", &["gold"])).await;
    create(&store, &other, tagged("x", "Xeno", &["vip"])).await;
    let by = |tags: &[&str], status: i32| LeadQuery {
        tags: tags.iter().map(|t| t.to_string()).collect(),
        status: StatusFilter::Is(status),
        ..LeadQuery::default()
    };
    let vip = by(&["vip"], STATUS_NORMAL);
    assert_eq!(
        list(&store, &p, &vip).await,
        (2, vec!["b".into(), "a".into()])
    );
    let by_name = LeadQuery {
        sort: SortField::Fullname,
        ascending: true,
        ..vip.clone()
    };
    assert_eq!(
        list(&store, &p, &by_name).await,
        (2, vec!["b".into(), "a".into()])
    );

    edit(&store, &p, &a.id, LeadEdit::SoftDelete).await;
    assert_eq!(list(&store, &p, &vip).await, (1, vec!["b".into()]));
    let live = LeadQuery {
        status: StatusFilter::NotDeleted,
        ..vip.clone()
    };
    assert_eq!(list(&store, &p, &live).await, (1, vec!["b".into()]));
    tag_counts_match_rows(&store, &p).await;
    let deleted = by(&["vip"], STATUS_DELETED);
    assert_eq!(list(&store, &p, &deleted).await, (1, vec!["a".into()]));
    assert_eq!(
        list(&store, &p, &by(&["vip", "gold"], STATUS_DELETED)).await,
        (1, vec!["a".into()])
    );

    let restore = LeadEdit::Update(Box::new(LeadChanges {
        status: Some(STATUS_NORMAL),
        tags: Some(vec!["gold".into(), "vip".into()]),
        ..LeadChanges::default()
    }));
    edit(&store, &p, &a.id, restore).await;
    assert_eq!(
        list(&store, &p, &vip).await,
        (2, vec!["b".into(), "a".into()])
    );
    assert_eq!(list(&store, &p, &deleted).await, (0, vec![]));

    let retag = LeadEdit::Update(Box::new(LeadChanges {
        tags: Some(vec!["other".into()]),
        ..LeadChanges::default()
    }));
    edit(&store, &p, &b.id, retag).await;
    assert_eq!(list(&store, &p, &vip).await, (1, vec!["a".into()]));
    assert_eq!(
        list(&store, &p, &by(&["gold"], STATUS_NORMAL)).await,
        (2, vec!["c".into(), "a".into()])
    );
    let with_name = LeadQuery {
        full_text: Some("carlo".into()),
        ..by(&["gold"], STATUS_NORMAL)
    };
    assert_eq!(list(&store, &p, &with_name).await, (1, vec!["c".into()]));
    tag_counts_match_rows(&store, &p).await;

    edit(
        &store,
        &p,
        &b.id,
        LeadEdit::AddTags(vec!["vip".into(), "gold".into()]),
    )
    .await;
    edit(&store, &p, &a.id, LeadEdit::RemoveTag("gold".into())).await;
    tag_counts_match_rows(&store, &p).await;

    // Presence changes move a lead between the tag table's presence counters.
    let presence = |email: Change<String>, fullname: Change<String>| {
        LeadEdit::Update(Box::new(LeadChanges {
            email,
            fullname,
            ..LeadChanges::default()
        }))
    };
    let email = Change::Set("B@Example.com".to_owned());
    edit(&store, &p, &b.id, presence(email, Change::Clear)).await;
    tag_counts_match_rows(&store, &p).await;
    edit(
        &store,
        &p,
        &b.id,
        presence(Change::Clear, Change::Set("Bea".into())),
    )
    .await;
    edit(
        &store,
        &p,
        &a.id,
        presence(Change::Keep, Change::Set(String::new())),
    )
    .await;
    tag_counts_match_rows(&store, &p).await;

    store.delete_lead(&p, &a.id).await.unwrap().unwrap();
    assert_eq!(list(&store, &p, &vip).await, (1, vec!["b".into()]));
    assert_eq!(list(&store, &other, &vip).await, (1, vec!["x".into()]));
    tag_counts_match_rows(&store, &p).await;
}

/// Every list by one tag, with each status filter and each presence filter, answers the
/// leads (and the count) that the project's leads of that status, filtered here, hold.
async fn tag_counts_match_rows(store: &Store, p: &str) {
    let presences = [None, Some(true), Some(false)];
    for status in [
        StatusFilter::Is(STATUS_NORMAL),
        StatusFilter::Is(STATUS_DELETED),
        StatusFilter::NotDeleted,
    ] {
        let of_status = LeadQuery {
            status,
            ..LeadQuery::default()
        };
        let leads = exported(store, p, &of_status).await;
        for tag in ["vip", "gold", "other", "absent"] {
            for with_email in presences {
                for with_fullname in presences {
                    let query = LeadQuery {
                        tags: vec![tag.to_owned()],
                        with_email,
                        with_fullname,
                        ..of_status.clone()
                    };
                    let mut expected: Vec<String> = leads
                        .iter()
                        .filter(|l| l.tags.iter().any(|t| t == tag))
                        .filter(|l| has_presence(l, with_email, with_fullname))
                        .map(|l| l.lead_id.clone())
                        .collect();
                    expected.sort();
                    let (count, mut listed) = list(store, p, &query).await;
                    listed.sort();
                    assert_eq!(
                        (count, listed),
                        (expected.len() as i64, expected),
                        "{query:?}"
                    );
                }
            }
        }
    }
}

/// Lists by words, alone, several at once, with a tag and with each status and presence
/// filter, answer the leads (in order, and the count) that the project's leads hold, as
/// names, emails, statuses and tags change and leads go.
async fn word_lists_follow_every_change(store: Store) {
    let p = project(&store).await;
    let other = project(&store).await;
    let named = |lead_id: &str, fullname: Option<&str>, email: Option<&str>, tags: &[&str]| {
        let mut new = new_lead(lead_id);
        new.fullname = fullname.map(str::to_owned);
        new.email = email.map(str::to_owned);
        new.tags = tags.iter().map(|t| t.to_string()).collect();
        new
    };
    let a = create(
        &store,
        &p,
        named("a", Some("Ada Rossi"), Some("ada@rossi.it"), &["vip"]),
    )
    .await;
    let b = create(&store, &p, named("b", Some("Bruno Rossi"), None, &[])).await;
    let c = create(
        &store,
        &p,
        named("c", Some(""), Some("carla.verdi@example.com"), &["vip"]),
    )
    .await;
    create(&store, &p, named("d", None, None, &["vip"])).await;
    let e = create(
        &store,
        &p,
        named("e", Some("Elena Rossi"), Some("elena@rossi.it"), &["vip"]),
    )
    .await;
    create(
        &store,
        &other,
        named("x", Some("Xavier Rossi"), None, &["vip"]),
    )
    .await;
    word_lists_match_rows(&store, &p).await;

    let rename = |fullname: Change<String>, email: Change<String>| {
        LeadEdit::Update(Box::new(LeadChanges {
            fullname,
            email,
            ..LeadChanges::default()
        }))
    };
    let renames = [
        (&b.id, Change::Set("Bruno Verdi".into()), Change::Keep),
        (&c.id, Change::Set("Carla Rossi".into()), Change::Clear),
        (&a.id, Change::Keep, Change::Set("ada@verdi.it".into())),
        (&e.id, Change::Keep, Change::Set("elena@verdi.it".into())),
        // The same words, so only the term rows' sort keys change: "ada rossi" now sorts
        // after "Elena Rossi", and `a` was updated last.
        (&a.id, Change::Set("ada rossi".into()), Change::Keep),
    ];
    for (id, fullname, email) in renames {
        edit(&store, &p, id, rename(fullname, email)).await;
    }
    word_lists_match_rows(&store, &p).await;

    edit(&store, &p, &a.id, LeadEdit::SoftDelete).await;
    edit(&store, &p, &b.id, LeadEdit::AddTags(vec!["vip".into()])).await;
    word_lists_match_rows(&store, &p).await;
    let restore = LeadEdit::Update(Box::new(LeadChanges {
        status: Some(STATUS_NORMAL),
        ..LeadChanges::default()
    }));
    edit(&store, &p, &a.id, restore).await;
    store.delete_lead(&p, &c.id).await.unwrap().unwrap();
    word_lists_match_rows(&store, &p).await;
    let only_other = LeadQuery {
        full_text: Some("xavier".into()),
        ..LeadQuery::default()
    };
    assert_eq!(list(&store, &p, &only_other).await, (0, vec![]));
}

/// Lists of several terms (tags, and tags with a word) answer the leads that hold them
/// all, and their count, whether the terms' sizes are far apart (on SQLite the rarest is
/// walked and the others probed: a rare tag with the word, or with a common tag) or close
/// (their ranges are merged: the common tag with the word), for each status and presence.
async fn several_terms_agree_however_they_are_counted(store: Store) {
    let p = project(&store).await;
    let other = project(&store).await;
    let mut ids = Vec::new();
    for n in 0..48 {
        let mut new = new_lead(&format!("n{n}"));
        let surname = if n % 3 == 0 { "Rossi" } else { "Verdi" };
        new.fullname = Some(format!("Lead{n} {surname}"));
        new.email = (n % 4 != 1).then(|| format!("lead{n}@example.com"));
        new.tags = [(n % 2 == 0, "common"), (n == 12 || n == 13, "rare")]
            .into_iter()
            .filter(|(held, _)| *held)
            .map(|(_, tag)| tag.to_owned())
            .collect();
        ids.push(create(&store, &p, new).await.id);
    }
    let mut stranger = new_lead("stranger");
    stranger.fullname = Some("Stranger Rossi".into());
    stranger.tags = vec!["common".into(), "rare".into()];
    create(&store, &other, stranger).await;
    for n in [3, 6, 12] {
        edit(&store, &p, &ids[n], LeadEdit::SoftDelete).await;
    }
    let restore = LeadEdit::Update(Box::new(LeadChanges {
        status: Some(STATUS_NORMAL),
        ..LeadChanges::default()
    }));
    edit(&store, &p, &ids[12], restore).await;

    let presences = [None, Some(true), Some(false)];
    for status in [
        StatusFilter::Is(STATUS_NORMAL),
        StatusFilter::Is(STATUS_DELETED),
    ] {
        let of_status = LeadQuery {
            status,
            ..LeadQuery::default()
        };
        let leads = exported(&store, &p, &of_status).await;
        let tag_sets = [
            vec!["common"],
            vec!["rare"],
            vec!["rare", "common"],
            vec!["common", "rare"],
        ];
        for tags in tag_sets {
            for text in [None, Some("rossi")] {
                if tags.len() < 2 && text.is_none() {
                    continue;
                }
                for with_email in presences {
                    let query = LeadQuery {
                        tags: tags.iter().map(|t| t.to_string()).collect(),
                        full_text: text.map(str::to_owned),
                        with_email,
                        ..of_status.clone()
                    };
                    let expected: Vec<String> = leads
                        .iter()
                        .filter(|l| tags.iter().all(|t| l.tags.iter().any(|held| held == t)))
                        .filter(|l| text.is_none_or(|t| lead_words(l).any(|w| w == t)))
                        .filter(|l| has_presence(l, with_email, None))
                        .map(|l| l.lead_id.clone())
                        .collect();
                    let count = expected.len() as i64;
                    assert_eq!(
                        list(&store, &p, &query).await,
                        (count, expected),
                        "{query:?}"
                    );
                    let past = store.list_leads(&p, &query, count, 5).await.unwrap();
                    assert_eq!(
                        (past.count, past.leads.len(), past.next),
                        (count, 0, None),
                        "past the end: {query:?}"
                    );
                }
            }
        }
    }
}

/// The lowercase runs of letters and digits of `text`: the test's own word split.
fn words_of(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// The words of a lead's full name and email.
fn lead_words(lead: &Lead) -> impl Iterator<Item = String> + '_ {
    [lead.fullname.as_deref(), lead.email.as_deref()]
        .into_iter()
        .flatten()
        .flat_map(words_of)
}

/// Whether `lead` has what the `with_email` and `with_fullname` filters ask for (`None`
/// asks for nothing); a full name counts when it is not empty.
fn has_presence(lead: &Lead, with_email: Option<bool>, with_fullname: Option<bool>) -> bool {
    let held = |wanted: Option<bool>, present: bool| wanted.is_none_or(|w| w == present);
    held(with_email, lead.email.is_some())
        && held(
            with_fullname,
            lead.fullname.as_deref().is_some_and(|n| !n.is_empty()),
        )
}

async fn word_lists_match_rows(store: &Store, p: &str) {
    let presences = [None, Some(true), Some(false)];
    let texts = ["rossi", "Verdi", "rossi verdi", "ada", "absent", "@@"];
    let sorts = [
        (SortField::CreatedAt, false),
        (SortField::Fullname, true),
        (SortField::Email, false),
        (SortField::UpdatedAt, false),
        (SortField::LeadId, true),
    ];
    for status in [
        StatusFilter::Is(STATUS_NORMAL),
        StatusFilter::Is(STATUS_DELETED),
        StatusFilter::NotDeleted,
    ] {
        for (sort, ascending) in sorts {
            let of_status = LeadQuery {
                status,
                sort,
                ascending,
                ..LeadQuery::default()
            };
            let leads = exported(store, p, &of_status).await;
            for text in texts {
                for tags in [vec![], vec!["vip".to_owned()]] {
                    for (with_email, with_fullname) in presences.iter().zip(presences.iter().rev())
                    {
                        let query = LeadQuery {
                            full_text: Some(text.to_owned()),
                            tags: tags.clone(),
                            with_email: *with_email,
                            with_fullname: *with_fullname,
                            ..of_status.clone()
                        };
                        let wanted: Vec<String> = words_of(text).collect();
                        let expected: Vec<String> = leads
                            .iter()
                            .filter(|l| lead_words(l).any(|w| wanted.contains(&w)))
                            .filter(|l| tags.iter().all(|t| l.tags.contains(t)))
                            .filter(|l| has_presence(l, *with_email, *with_fullname))
                            .map(|l| l.lead_id.clone())
                            .collect();
                        // Pages of one: each picks its lead by the term rows' own sort
                        // keys, which a whole page would reorder by the leads'.
                        for (offset, lead_id) in expected.iter().enumerate() {
                            let page = store
                                .list_leads(p, &query, offset as i64, 1)
                                .await
                                .expect("list leads");
                            let ids: Vec<&str> =
                                page.leads.iter().map(|l| l.lead_id.as_str()).collect();
                            assert_eq!(ids, [lead_id.as_str()], "{query:?} at {offset}");
                        }
                        assert_eq!(
                            list(store, p, &query).await,
                            (expected.len() as i64, expected),
                            "{query:?}"
                        );
                    }
                }
            }
        }
    }
}

/// `full_text` pages are slices of one order, with the right count, whether the words
/// match most leads of the project or only a few, and whatever the sort.
async fn full_text_pages_keep_order_for_common_and_rare_words(store: Store) {
    let p = project(&store).await;
    let mut common = Vec::new();
    for i in 0..60 {
        let mut new = new_lead(&format!("c{i:02}"));
        // Names out of creation order, so each sort field gives another order.
        new.fullname = Some(format!("Common Person {:02}", (i * 37) % 60));
        common.push(create(&store, &p, new).await);
    }
    let mut rare = new_lead("rare");
    rare.fullname = Some("Rare Person".into());
    let rare = create(&store, &p, rare).await;
    edit(&store, &p, &common[5].id, LeadEdit::SoftDelete).await;
    common.remove(5);

    let newest_first: Vec<String> = common.iter().rev().map(|l| l.lead_id.clone()).collect();
    let mut by_name = common.clone();
    by_name.sort_by(|x, y| x.fullname.cmp(&y.fullname));
    let by_name: Vec<String> = by_name.into_iter().map(|l| l.lead_id).collect();
    let mut by_lead_id: Vec<String> = common.iter().map(|l| l.lead_id.clone()).collect();
    by_lead_id.sort();
    let cases = [
        (SortField::CreatedAt, false, newest_first),
        (SortField::Fullname, true, by_name),
        (SortField::LeadId, true, by_lead_id),
    ];
    for (sort, ascending, expected) in cases {
        let query = LeadQuery {
            full_text: Some("common".into()),
            sort,
            ascending,
            ..LeadQuery::default()
        };
        let mut seen = Vec::new();
        for page in 0..7 {
            let found = store.list_leads(&p, &query, page * 10, 10).await.unwrap();
            assert_eq!(found.count, 59, "{sort:?}");
            seen.extend(found.leads.into_iter().map(|l| l.lead_id));
        }
        assert_eq!(seen, expected, "{sort:?} ascending={ascending}");
    }
    let query = LeadQuery {
        full_text: Some("rare".into()),
        ..LeadQuery::default()
    };
    assert_eq!(
        list(&store, &p, &query).await,
        (1, vec![rare.lead_id.clone()])
    );
    let either = LeadQuery {
        full_text: Some("rare person".into()),
        ..LeadQuery::default()
    };
    let (count, first) = list(&store, &p, &either).await;
    assert_eq!((count, first[0].as_str()), (60, "rare"));
}

/// Pages at any offset are consecutive slices of the one order the export streams, for
/// plain lists and filtered ones.
async fn every_page_is_a_slice_of_the_whole_order(store: Store) {
    let p = project(&store).await;
    for i in 0..45 {
        let mut new = new_lead(&format!("l{:02}", (i * 17) % 45));
        if i % 3 == 0 {
            new.email = Some(format!("lead{i}@example.com"));
            new.tags = vec!["third".into()];
        }
        create(&store, &p, new).await;
    }
    let queries = [
        LeadQuery::default(),
        LeadQuery {
            sort: SortField::LeadId,
            ascending: true,
            ..LeadQuery::default()
        },
        LeadQuery {
            with_email: Some(true),
            ..LeadQuery::default()
        },
        LeadQuery {
            tags: vec!["third".into()],
            sort: SortField::LeadId,
            ..LeadQuery::default()
        },
    ];
    for query in queries {
        let whole: Vec<String> = store
            .export_leads(&p, query.clone())
            .map_ok(|l| l.lead_id)
            .try_collect()
            .await
            .unwrap();
        let mut paged = Vec::new();
        let mut offset = 0;
        loop {
            let page = store.list_leads(&p, &query, offset, 7).await.unwrap();
            assert_eq!(page.count, whole.len() as i64, "{query:?}");
            if page.leads.is_empty() {
                break;
            }
            paged.extend(page.leads.into_iter().map(|l| l.lead_id));
            offset += 7;
        }
        assert_eq!(paged, whole, "{query:?}");
    }
    let sorted: Vec<String> = (0..45).map(|i| format!("l{i:02}")).collect();
    let by_id = LeadQuery {
        sort: SortField::LeadId,
        ascending: true,
        ..LeadQuery::default()
    };
    let all = store.list_leads(&p, &by_id, 0, 100).await.unwrap();
    let all: Vec<String> = all.leads.into_iter().map(|l| l.lead_id).collect();
    assert_eq!(all, sorted);
}
