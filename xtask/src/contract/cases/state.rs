//! State, not only shape: every write is followed by a read, and the stored lead must be
//! what the operation promises; every filter must select exactly the fixtures it should,
//! with an exact `count`.
//!
//! The expected lead is a model kept here, changed by each write as the spec describes it
//! (three-state updates, tag appends, RFC 7396 merges, soft and physical deletes), so a
//! server that answers 200 and stores nothing, or stores something else, fails.

use serde_json::{json, Map, Value};

use super::super::STORED_FIELDS;
use super::{RawRequest, Runner};

/// The followed fields of `lead`, with `null`, `[]` and `{}` read as absent (the spec
/// lets a lead leave out an empty list or object) and tags without repeats, each at its
/// first place: the spec keeps tags in the order they were added.
fn followed(lead: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    for &field in STORED_FIELDS {
        let Some(value) = lead.get(field) else {
            continue;
        };
        let empty = value.is_null()
            || value.as_array().is_some_and(Vec::is_empty)
            || value.as_object().is_some_and(Map::is_empty);
        if empty {
            continue;
        }
        let value = match (field, value.as_array()) {
            ("tags", Some(tags)) => {
                let mut once: Vec<&str> = Vec::new();
                for tag in tags.iter().filter_map(Value::as_str) {
                    if !once.contains(&tag) {
                        once.push(tag);
                    }
                }
                json!(once)
            }
            _ => value.clone(),
        };
        out.insert(field.to_owned(), value);
    }
    out
}

/// RFC 7396: `patch` merged into `target`.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Some(patch) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    let object = target.as_object_mut().expect("made an object above");
    for (key, value) in patch {
        if value.is_null() {
            object.remove(key);
        } else {
            merge_patch(object.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// What `updateLead` with `body` does to `lead`: absent keeps, `null` clears, a value sets.
fn apply_update(lead: &mut Value, body: &Value) {
    for (key, value) in body.as_object().into_iter().flatten() {
        lead[key.as_str()] = value.clone();
    }
}

fn add_tags(lead: &mut Value, tags: &[&str]) {
    let mut all: Vec<Value> = lead["tags"].as_array().cloned().unwrap_or_default();
    all.extend(tags.iter().map(|t| json!(t)));
    lead["tags"] = Value::Array(all);
}

fn remove_tag(lead: &mut Value, tag: &str) {
    if let Some(tags) = lead["tags"].as_array_mut() {
        tags.retain(|t| t != tag);
    }
}

/// A word no other lead carries, so that filters on it select only this run's fixtures.
fn marker() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("st{:x}{:x}", std::process::id(), nanos % 0xffff_ffff)
}

impl Runner<'_> {
    /// Every state check: writes read back, deletes, filters and counts.
    pub(super) async fn state(&mut self) {
        let mark = marker();
        let created = self
            .state_create(json!({"lead_id": format!("{mark}-model"), "fullname": "Model Lead"}))
            .await;
        let Some((id, mut model)) = created else {
            return;
        };
        self.writes_are_stored(&id, &mut model).await;
        self.deletes_are_stored(&id, &mut model, &mark).await;
        self.filters_select_exactly(&mark).await;
    }

    /// Creates a lead; its id and the model of it.
    async fn state_create(&mut self, body: Value) -> Option<(String, Value)> {
        let auth = self.fixture.agent.clone();
        let path = format!("/{}/leads", self.fixture.project);
        let exchange = self
            .raw(
                "createLead",
                "a lead for the state checks",
                200,
                RawRequest::json(&path, Some(&auth), &body.to_string()),
            )
            .await?;
        let lead: Value = serde_json::from_slice(&exchange.body).ok()?;
        let id = lead["_id"].as_str()?.to_owned();
        let mut model = body;
        model["status"] = json!(100);
        self.expect_lead("createLead", "the created lead", &lead, &model);
        Some((id, model))
    }

    /// Compares a lead the server returned with the model.
    fn expect_lead(&mut self, operation: &str, case: &str, lead: &Value, model: &Value) {
        let (got, want) = (followed(lead), followed(model));
        if got != want {
            self.fail(
                operation,
                case,
                200,
                format!(
                    "the lead is not what the operation promises: expected {}, got {}",
                    Value::Object(want),
                    Value::Object(got)
                ),
            );
        }
    }

    /// Sends one write, then reads the lead back; both must equal the model after the write.
    async fn write_and_read(
        &mut self,
        operation: &str,
        case: &str,
        request: RawRequest<'_>,
        id: &str,
        model: &Value,
    ) {
        if let Some(exchange) = self.raw(operation, case, 200, request).await {
            let answered: Value = serde_json::from_slice(&exchange.body).unwrap_or(Value::Null);
            self.expect_lead(operation, &format!("{case}: the answer"), &answered, model);
        }
        let auth = self.fixture.agent.clone();
        let path = format!("/{}/leads/{id}", self.fixture.project);
        let read = self
            .raw(
                "getLead",
                &format!("read after {operation} ({case})"),
                200,
                RawRequest::get(&path, Some(&auth)),
            )
            .await;
        if let Some(exchange) = read {
            let stored: Value = serde_json::from_slice(&exchange.body).unwrap_or(Value::Null);
            self.expect_lead(
                operation,
                &format!("{case}: read back with getLead"),
                &stored,
                model,
            );
        }
    }

    async fn writes_are_stored(&mut self, id: &str, model: &mut Value) {
        let auth = self.fixture.agent.clone();
        let lead = format!("/{}/leads/{id}", self.fixture.project);
        let updates = [
            (
                "values set the fields",
                json!({"company": "Frontiere21", "phone": "+39 06 000", "tags": ["a", "b"],
                       "attributes": {"k": 1}}),
            ),
            ("null clears a string field", json!({"phone": null})),
            ("an empty list empties the tags", json!({"tags": []})),
            ("a list replaces the tags", json!({"tags": ["c"]})),
            ("null clears the tags", json!({"tags": null})),
            (
                "an empty object empties the attributes",
                json!({"attributes": {}}),
            ),
            (
                "an object replaces the attributes",
                json!({"attributes": {"plan": "gold"}}),
            ),
            ("null clears the attributes", json!({"attributes": null})),
        ];
        for (case, body) in updates {
            apply_update(model, &body);
            let request = RawRequest::json(&lead, Some(&auth), &body.to_string());
            self.write_and_read("updateLead", case, request, id, model)
                .await;
        }

        add_tags(model, &["x", "y", "x"]);
        let request = RawRequest::json(&format!("{lead}/tag"), Some(&auth), r#"["x","y","x"]"#);
        self.write_and_read("addLeadTags", "tags appended once each", request, id, model)
            .await;
        remove_tag(model, "x");
        let request = RawRequest::get(&format!("{lead}/tag/x"), Some(&auth));
        self.write_and_read("removeLeadTag", "the tag is gone", request, id, model)
            .await;

        let merges = [
            (
                "mergeLeadAttributes",
                "attributes",
                json!({"a": 1, "b": {"c": 2}}),
            ),
            (
                "mergeLeadAttributes",
                "attributes",
                json!({"a": null, "b": {"d": 3}}),
            ),
            (
                "mergeLeadProperties",
                "properties",
                json!({"p": "one", "q": [1, 2]}),
            ),
            (
                "addLeadProperties",
                "properties",
                json!({"p": null, "r": true}),
            ),
        ];
        for (operation, field, patch) in merges {
            merge_patch(&mut model[field], &patch);
            let request =
                RawRequest::json(&format!("{lead}/{field}"), Some(&auth), &patch.to_string());
            self.write_and_read(operation, "an RFC 7396 merge", request, id, model)
                .await;
        }
    }

    async fn deletes_are_stored(&mut self, id: &str, model: &mut Value, mark: &str) {
        let auth = self.fixture.agent.clone();
        let lead = format!("/{}/leads/{id}", self.fixture.project);
        // The model lead carries a tag of its own, so lists can be scoped to it.
        let tag = format!("{mark}-model");
        add_tags(model, &[&tag]);
        let body = json!([tag]).to_string();
        let request = RawRequest::json(&format!("{lead}/tag"), Some(&auth), &body);
        self.write_and_read(
            "addLeadTags",
            "a tag to find the lead by",
            request,
            id,
            model,
        )
        .await;

        model["status"] = json!(1000);
        let request = RawRequest::get(&lead, Some(&auth));
        self.write_and_read("deleteLead", "a soft delete", request, id, model)
            .await;
        self.expect_listed(&format!("tags={tag}"), "after a soft delete", &[])
            .await;
        self.expect_listed(
            &format!("tags={tag}&status=1000"),
            "after a soft delete, asked for",
            &[&tag],
        )
        .await;

        let restore = json!({"status": 100});
        apply_update(model, &restore);
        let request = RawRequest::json(&lead, Some(&auth), &restore.to_string());
        self.write_and_read("updateLead", "status 100 restores", request, id, model)
            .await;
        self.expect_listed(&format!("tags={tag}"), "after a restore", &[&tag])
            .await;

        let Some(owner) = self.fixture.owner.clone() else {
            self.skip("deleteLeadPhysically state: no owner given");
            return;
        };
        let physical = format!("{lead}/physical");
        self.raw(
            "deleteLeadPhysically",
            "a physical delete",
            200,
            RawRequest::get(&physical, Some(&owner)),
        )
        .await;
        self.raw(
            "getLead",
            "read after a physical delete",
            404,
            RawRequest::get(&lead, Some(&auth)),
        )
        .await;
        self.expect_listed(&format!("tags={tag}"), "after a physical delete", &[])
            .await;
    }

    /// Lists with `query` and checks that exactly the leads with these `lead_id`s come back,
    /// with a `count` equal to their number. Every query here is scoped by a tag only this
    /// run's fixtures carry.
    async fn expect_listed(&mut self, query: &str, case: &str, lead_ids: &[&str]) {
        let case = format!("{query} {case}");
        let Some((mut got, count)) = self.listed_page(query, &case).await else {
            return;
        };
        got.sort();
        let mut want: Vec<String> = lead_ids.iter().map(|id| (*id).to_owned()).collect();
        want.sort();
        if got != want {
            self.fail(
                "listLeads",
                &case,
                200,
                format!("the filter selected {got:?} where exactly {want:?} match"),
            );
        }
        if count != json!(want.len()) {
            self.fail(
                "listLeads",
                &case,
                200,
                format!("`count` is {count} where {} leads match", want.len()),
            );
        }
    }

    /// One page of `listLeads?{query}`: the `lead_id`s in order, and `count`.
    async fn listed_page(&mut self, query: &str, case: &str) -> Option<(Vec<String>, Value)> {
        let auth = self.fixture.agent.clone();
        let path = format!("/{}/leads?{query}", self.fixture.project);
        let exchange = self
            .raw("listLeads", case, 200, RawRequest::get(&path, Some(&auth)))
            .await?;
        let page: Value = serde_json::from_slice(&exchange.body).unwrap_or(Value::Null);
        let lead_ids = page["leads"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|lead| lead["lead_id"].as_str().map(str::to_owned))
            .collect();
        Some((lead_ids, page["count"].clone()))
    }

    /// Fixtures with known matches and non-matches for every filter.
    async fn filters_select_exactly(&mut self, mark: &str) {
        let (one, two) = (format!("{mark}-one"), format!("{mark}-two"));
        let (a, b, c) = (
            format!("{mark}-a"),
            format!("{mark}-b"),
            format!("{mark}-c"),
        );
        let fixtures = [
            json!({"lead_id": a, "fullname": format!("Alpha {mark}"),
                   "email": format!("Alpha.{mark}@example.com"), "tags": [one]}),
            json!({"lead_id": b, "tags": [one, two]}),
            json!({"lead_id": c, "email": format!("c.{mark}@example.com"), "tags": [two]}),
        ];
        let mut ids = Vec::new();
        for body in fixtures {
            match self.state_create(body).await {
                Some((id, _)) => ids.push(id),
                None => return,
            }
        }
        let auth = self.fixture.agent.clone();
        let deleted = format!("/{}/leads/{}", self.fixture.project, ids[2]);
        self.raw(
            "deleteLead",
            "a fixture soft-deleted",
            200,
            RawRequest::get(&deleted, Some(&auth)),
        )
        .await;

        let email = format!("alpha.{mark}@EXAMPLE.com");
        let cases: Vec<(String, Vec<&str>)> = vec![
            (format!("tags={one}"), vec![&a, &b]),
            (format!("tags={two}"), vec![&b]),
            (format!("tags={one}&tags={two}"), vec![&b]),
            (format!("tags={two}&status=1000"), vec![&c]),
            (format!("tags={one}&with_email=true"), vec![&a]),
            (format!("tags={one}&with_email=false"), vec![&b]),
            (format!("tags={one}&with_fullname=true"), vec![&a]),
            (format!("tags={one}&with_fullname=false"), vec![&b]),
            (format!("tags={one}&email={email}"), vec![&a]),
            (format!("tags={one}&full_text={mark}"), vec![&a]),
            (format!("tags={one}&full_text=nomatch{mark}"), vec![]),
            (
                format!("tags={one}&sort=lead_id&direction=1&limit=1"),
                vec![&a],
            ),
        ];
        for (query, expected) in cases {
            if query.ends_with("limit=1") {
                self.expect_page(&query, &expected, 2).await;
                self.expect_walk(&query, &[a.as_str(), b.as_str()]).await;
            } else {
                self.expect_listed(&query, "selects exactly its fixtures", &expected)
                    .await;
            }
        }
    }

    /// Following `next` from the first page of `query` lists exactly `lead_ids`, in
    /// order, each page with `count` the number of all of them, the last without `next`.
    async fn expect_walk(&mut self, query: &str, lead_ids: &[&str]) {
        let case = format!("{query} walked with `next`");
        let auth = self.fixture.agent.clone();
        let mut got: Vec<String> = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..=lead_ids.len() {
            let mut path = format!("/{}/leads?{query}", self.fixture.project);
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={cursor}"));
            }
            let Some(exchange) = self
                .raw("listLeads", &case, 200, RawRequest::get(&path, Some(&auth)))
                .await
            else {
                return;
            };
            let page: Value = serde_json::from_slice(&exchange.body).unwrap_or(Value::Null);
            if page["count"] != json!(lead_ids.len()) {
                self.fail(
                    "listLeads",
                    &case,
                    200,
                    format!(
                        "`count` is {} where {} leads match",
                        page["count"],
                        lead_ids.len()
                    ),
                );
                return;
            }
            got.extend(
                page["leads"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|lead| lead["lead_id"].as_str().map(str::to_owned)),
            );
            match page["next"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        if got != lead_ids {
            self.fail(
                "listLeads",
                &case,
                200,
                format!("the walk listed {got:?} where {lead_ids:?} match, in this order"),
            );
        }
    }

    /// A page of one: exactly `lead_ids`, with `count` still the number of all matches.
    async fn expect_page(&mut self, query: &str, lead_ids: &[&str], matches: usize) {
        let case = format!("{query} pages the matches");
        let Some((got, count)) = self.listed_page(query, &case).await else {
            return;
        };
        if got != lead_ids || count != json!(matches) {
            self.fail(
                "listLeads",
                &case,
                200,
                format!(
                    "expected {lead_ids:?} of {matches} matches, got {got:?} with count {count}"
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_follows_rfc_7396() {
        let mut target = json!({"a": 1, "b": {"c": 2}});
        merge_patch(&mut target, &json!({"a": null, "b": {"d": 3}, "e": [1]}));
        assert_eq!(target, json!({"b": {"c": 2, "d": 3}, "e": [1]}));
    }

    #[test]
    fn empty_and_absent_read_the_same_and_tags_keep_their_order() {
        let a = json!({"lead_id": "x", "tags": ["b", "a", "b"], "attributes": {}, "phone": null});
        let b = json!({"lead_id": "x", "tags": ["b", "a"]});
        assert_eq!(followed(&a), followed(&b));
        assert_ne!(
            followed(&b),
            followed(&json!({"lead_id": "x", "tags": ["a", "b"]}))
        );
        assert_ne!(followed(&a), followed(&json!({"lead_id": "x"})));
    }
}
