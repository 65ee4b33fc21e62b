//! Seeded faults of the server: the live contract and the fuzzer must catch each, and name
//! the operation and the place in the spec.
//!
//! A fault is injected by the recording proxy between the generated client and a real
//! reference server, so the server under test is the real one with one behaviour broken.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::Method;
use serde_json::{json, Value};
use xtask::contract::fuzz::{Budget, FuzzReport};
use xtask::contract::reference::ReferenceServer;
use xtask::contract::{run_cases, run_fuzz, spec_index, Exchange, Fault, Mutation, Report};

fn rewrite_json(exchange: &mut Exchange, edit: impl FnOnce(&mut Value)) {
    if let Ok(mut body) = serde_json::from_slice::<Value>(&exchange.body) {
        edit(&mut body);
        exchange.body = Bytes::from(body.to_string());
    }
}

/// A response-side fault.
fn response(mutation: Mutation) -> Fault {
    Fault::from(mutation)
}

/// A request-side fault: the server does `rewrite` instead of what was asked.
fn request(rewrite: impl Fn(&mut Method, &mut String) + Send + Sync + 'static) -> Fault {
    Fault {
        request: Some(Arc::new(rewrite)),
        response: None,
    }
}

/// The path of `/{project}/leads/{id}` itself, without a suffix or a query.
fn is_lead_path(path: &str) -> bool {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    parts.len() == 3 && parts[1] == "leads" && parts[2].len() == 24 && !path.contains('?')
}

/// A seeded fault: what it breaks, and what the report must then say.
struct Seeded {
    name: &'static str,
    fault: Fault,
    operation: &'static str,
    words: &'static str,
}

fn faults() -> Vec<Seeded> {
    vec![
        Seeded {
            name: "a wrong status",
            fault: response(Arc::new(|method, path, exchange| {
                if method == "GET"
                    && path.contains("/leads/")
                    && exchange.status == 200
                    && !path.ends_with("/csv")
                {
                    exchange.status = 202;
                }
            })),
            operation: "getLead",
            words: "status 202 is not documented",
        },
        Seeded {
            name: "a missing field",
            fault: response(Arc::new(|_, _, exchange| {
                rewrite_json(exchange, |body| {
                    if let Some(lead) = body.as_object_mut().filter(|b| b.contains_key("lead_id")) {
                        lead.remove("createdAt");
                    }
                });
            })),
            // Every lead answer lacks it; the first operation to answer one is create.
            operation: "createLead",
            words: "createdAt",
        },
        Seeded {
            name: "a leaked cross-project read",
            fault: response(Arc::new(|method, _, exchange| {
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
            })),
            operation: "getLead",
            words: "status 200 where 404 was expected",
        },
        Seeded {
            name: "a string where the spec says integer",
            fault: response(Arc::new(|_, _, exchange| {
                rewrite_json(exchange, |body| {
                    if let Some(count) = body.get("count").cloned() {
                        body["count"] = json!(count.to_string());
                    }
                });
            })),
            operation: "listLeads",
            words: "/count",
        },
        Seeded {
            name: "a 401 without WWW-Authenticate",
            fault: response(Arc::new(|_, _, exchange| exchange.www_authenticate = None)),
            operation: "listLeads",
            words: "WWW-Authenticate",
        },
        Seeded {
            name: "a plain-text error",
            fault: response(Arc::new(|_, _, exchange| {
                if exchange.status == 404 {
                    exchange.content_type = Some("text/plain".to_owned());
                    exchange.body = Bytes::from_static(b"Object not found.");
                }
            })),
            operation: "getLead",
            words: "content type `text/plain`",
        },
        Seeded {
            name: "an update that answers 200 and stores nothing",
            fault: request(|method, path| {
                if *method == Method::PUT && is_lead_path(path) {
                    *method = Method::GET;
                }
            }),
            operation: "updateLead",
            words: "not what the operation promises",
        },
        Seeded {
            name: "an ignored filter",
            fault: request(|method, path| {
                if *method == Method::GET && path.contains("with_email=") {
                    *path = path.replace("with_email=", "ignored=");
                }
            }),
            operation: "listLeads",
            words: "where exactly",
        },
        Seeded {
            name: "a soft delete that leaves the lead in the default list",
            fault: request(|method, path| {
                if *method == Method::DELETE && is_lead_path(path) {
                    *method = Method::GET;
                }
            }),
            operation: "listLeads",
            words: "where exactly [] match",
        },
        Seeded {
            name: "a count off by one",
            fault: response(Arc::new(|method, path, exchange| {
                if method == "GET" && path.contains("/leads?") {
                    rewrite_json(exchange, |body| {
                        if let Some(count) = body["count"].as_u64() {
                            body["count"] = json!(count + 1);
                        }
                    });
                }
            })),
            operation: "listLeads",
            words: "`count` is",
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
    let server = ReferenceServer::start(leads_e2e_tests::Backend::Sqlite)
        .expect("the reference server starts");
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
                Some(fault.fault.clone()),
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

/// Fuzzes a fresh reference server within `budget`, through a proxy holding `fault` if
/// there is one (the fuzzer talks to its target directly).
fn fuzz_through(fault: Option<Mutation>, budget: Budget) -> FuzzReport {
    let server = ReferenceServer::start(leads_e2e_tests::Backend::Sqlite)
        .expect("the reference server starts");
    let spec = spec_index().expect("the spec loads");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let base_url = match fault {
        Some(fault) => {
            runtime
                .block_on(xtask::contract::Proxy::start(&server.base_url, Some(fault)))
                .expect("a proxy")
                .base_url
        }
        None => server.base_url.clone(),
    };
    runtime.block_on(run_fuzz(&spec, &base_url, server.fixture.clone(), budget))
}

#[test]
fn the_fuzzer_reports_a_server_error_as_a_minimal_curl_line() {
    let fault: Mutation = Arc::new(|_, path: &str, exchange: &mut Exchange| {
        if exchange.status == 200 && path.contains("limit=") {
            exchange.status = 500;
        }
    });
    let budget = Budget {
        cases_per_operation: 30,
        ..Budget::default()
    };
    let report = fuzz_through(Some(fault), budget);
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

#[test]
fn a_fuzz_run_cut_short_by_its_time_limit_fails_and_names_what_it_missed() {
    let budget = Budget {
        time_limit: std::time::Duration::ZERO,
        ..Budget::default()
    };
    let report = fuzz_through(None, budget);
    let spec = spec_index().expect("the spec loads");
    assert!(report.timed_out);
    let missed: Vec<&str> = report
        .unfinished
        .iter()
        .map(|(op, _)| op.as_str())
        .collect();
    for operation in spec.operation_ids() {
        assert!(
            missed.contains(&operation),
            "{operation} is not named among {missed:?}"
        );
    }
    let outcome = xtask::contract::Outcome {
        runs: vec![xtask::contract::Run {
            target: "the reference server on SQLite".to_owned(),
            contract: None,
            fuzz: Some(report),
        }],
    };
    let problems = outcome.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    let line = problems[0].to_string();
    assert!(line.contains("updateLead (0 cases)"), "{line}");
}

#[test]
fn the_fuzzer_catches_a_rule_the_spec_does_not_state() {
    // The old rule: `sort` and `sortField` must agree. The spec says `sort` wins.
    let fault: Mutation = Arc::new(|method, path, exchange| {
        let disagree = path.contains("sort=") && path.contains("sortField=");
        if method == "GET" && path.contains("/leads?") && disagree && exchange.status == 200 {
            exchange.status = 400;
            exchange.content_type = Some("application/json".to_owned());
            exchange.body = Bytes::from_static(b"{\"success\":false,\"msg\":\"must agree\"}");
        }
    });
    let failures = fuzz_through(Some(fault), Budget::default()).failures;
    let caught = failures
        .iter()
        .find(|f| f.operation == "listLeads")
        .unwrap_or_else(|| panic!("not caught: {failures:?}"));
    assert!(
        caught.detail.contains("a valid request got 400"),
        "{caught:?}"
    );
    assert!(caught.curl.contains("sort="), "{caught:?}");
}

#[test]
fn the_fuzzer_catches_a_router_that_accepts_what_the_spec_forbids() {
    // Every refused update answers 200 with the lead, as if `null` (or any other breakage)
    // had been let through.
    let lead = Arc::new(std::sync::Mutex::new(None::<Bytes>));
    let fault: Mutation = Arc::new(move |method, path, exchange| {
        let mut lead = lead.lock().unwrap_or_else(|e| e.into_inner());
        if exchange.status == 200 && path.contains("/leads/") && !path.contains("csv") {
            *lead = Some(exchange.body.clone());
        }
        if method == "PUT" && exchange.status == 400 && path.matches('/').count() == 3 {
            if let Some(body) = lead.clone() {
                exchange.status = 200;
                exchange.body = body;
            }
        }
    });
    let failures = fuzz_through(Some(fault), Budget::default()).failures;
    let caught = failures
        .iter()
        .find(|f| f.operation == "updateLead")
        .unwrap_or_else(|| panic!("not caught: {failures:?}"));
    assert!(caught.detail.contains("an invalid request"), "{caught:?}");
    assert!(caught.detail.contains("got 200"), "{caught:?}");
}
