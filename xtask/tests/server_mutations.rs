//! Seeded faults of the server: the live contract and the fuzzer must catch each, and name
//! the operation and the place in the spec.
//!
//! A fault is injected by the recording proxy between the generated client and a real
//! reference server, so the server under test is the real one with one behaviour broken.

use std::sync::Arc;

use axum::body::Bytes;
use serde_json::{json, Value};
use xtask::contract::fuzz::Budget;
use xtask::contract::reference::ReferenceServer;
use xtask::contract::{run_cases, run_fuzz, spec_index, Exchange, Mutation, Report};

fn rewrite_json(exchange: &mut Exchange, edit: impl FnOnce(&mut Value)) {
    if let Ok(mut body) = serde_json::from_slice::<Value>(&exchange.body) {
        edit(&mut body);
        exchange.body = Bytes::from(body.to_string());
    }
}

/// A fault: what it breaks, and what the report must then say.
struct Fault {
    name: &'static str,
    mutation: Mutation,
    operation: &'static str,
    words: &'static str,
}

fn faults() -> Vec<Fault> {
    vec![
        Fault {
            name: "a wrong status",
            mutation: Arc::new(|method, path, exchange| {
                if method == "GET"
                    && path.contains("/leads/")
                    && exchange.status == 200
                    && !path.ends_with("/csv")
                {
                    exchange.status = 202;
                }
            }),
            operation: "getLead",
            words: "status 202 is not documented",
        },
        Fault {
            name: "a missing field",
            mutation: Arc::new(|_, _, exchange| {
                rewrite_json(exchange, |body| {
                    if let Some(lead) = body.as_object_mut().filter(|b| b.contains_key("lead_id")) {
                        lead.remove("createdAt");
                    }
                });
            }),
            // Every lead answer lacks it; the first operation to answer one is create.
            operation: "createLead",
            words: "createdAt",
        },
        Fault {
            name: "a leaked cross-project read",
            mutation: Arc::new(|method, _, exchange| {
                // A 404 for a well-formed lead id becomes the lead: the object-level
                // authorization flaw of the original service.
                if method == "GET" && exchange.status == 404 {
                    exchange.status = 200;
                    exchange.body = Bytes::from(
                        json!({
                            "_id": "5c81593adf767b0017d1aa66", "lead_id": "leaked",
                            "id_project": "5b55e806c93dde00143163dd", "createdBy": "system",
                            "attributes": {}, "createdAt": "2019-03-07T17:47:38.393Z",
                            "updatedAt": "2019-03-07T17:47:38.393Z", "__v": 0
                        })
                        .to_string(),
                    );
                }
            }),
            operation: "getLead",
            words: "status 200 where 404 was expected",
        },
        Fault {
            name: "a string where the spec says integer",
            mutation: Arc::new(|_, _, exchange| {
                rewrite_json(exchange, |body| {
                    if let Some(count) = body.get("count").cloned() {
                        body["count"] = json!(count.to_string());
                    }
                });
            }),
            operation: "listLeads",
            words: "/count",
        },
        Fault {
            name: "a 401 without WWW-Authenticate",
            mutation: Arc::new(|_, _, exchange| exchange.www_authenticate = None),
            operation: "listLeads",
            words: "WWW-Authenticate",
        },
        Fault {
            name: "a plain-text error",
            mutation: Arc::new(|_, _, exchange| {
                if exchange.status == 404 {
                    exchange.content_type = Some("text/plain".to_owned());
                    exchange.body = Bytes::from_static(b"Object not found.");
                }
            }),
            operation: "getLead",
            words: "content type `text/plain`",
        },
    ]
}

fn summary(report: &Report) -> String {
    report
        .failures
        .iter()
        .map(|f| format!("{} {} [{}]: {}", f.operation, f.expected, f.case, f.detail))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_seeded_server_fault_is_caught_where_it_is() {
    let server = ReferenceServer::start().expect("the reference server starts");
    let spec = spec_index().expect("the spec loads");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");

    let clean = runtime
        .block_on(run_cases(
            &spec,
            &server.base_url,
            server.fixture.clone(),
            None,
        ))
        .expect("the contract runs");
    assert!(
        clean.failures.is_empty(),
        "the unbroken server fails:\n{}",
        summary(&clean)
    );

    for fault in faults() {
        let report = runtime
            .block_on(run_cases(
                &spec,
                &server.base_url,
                server.fixture.clone(),
                Some(fault.mutation.clone()),
            ))
            .expect("the contract runs");
        let caught = report.failures.iter().any(|failure| {
            failure.operation == fault.operation
                && failure.pointer.starts_with("#/paths/")
                && failure.detail.contains(fault.words)
        });
        assert!(
            caught,
            "{}: no failure of {} mentioning `{}`:\n{}",
            fault.name,
            fault.operation,
            fault.words,
            summary(&report)
        );
    }
}

#[test]
fn the_fuzzer_reports_a_server_error_as_a_minimal_curl_line() {
    let server = ReferenceServer::start().expect("the reference server starts");
    let spec = spec_index().expect("the spec loads");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    // The fuzzer talks to the server directly; put the fault in a proxy of its own.
    let proxy = runtime
        .block_on(xtask::contract::Proxy::start(
            &server.base_url,
            Some(Arc::new(|_, path: &str, exchange: &mut Exchange| {
                if exchange.status == 400 && path.contains("limit=") {
                    exchange.status = 500;
                }
            })),
        ))
        .expect("a proxy");
    let budget = Budget {
        cases_per_operation: 30,
        ..Budget::default()
    };
    let report = runtime.block_on(run_fuzz(
        &spec,
        &proxy.base_url,
        server.fixture.clone(),
        budget,
    ));
    let failure = report
        .failures
        .iter()
        .find(|f| f.operation == "listLeads")
        .unwrap_or_else(|| panic!("the 500 was not found: {:?}", report.failures));
    assert!(failure.detail.contains("status 500"), "{failure:?}");
    assert!(failure.curl.starts_with("curl -X GET"), "{failure:?}");
    assert!(
        failure.curl.contains("limit="),
        "the shrunk request keeps its cause: {failure:?}"
    );
    let pairs = failure.curl.matches('&').count();
    assert_eq!(
        pairs, 0,
        "shrinking leaves only the offending parameter: {}",
        failure.curl
    );
}
