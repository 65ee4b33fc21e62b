//! Marks the PostgreSQL suites as ignored, with a reason that shows in `cargo test`'s
//! output, when `LEADS_TEST_POSTGRES_URL` is not set at build time.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=LEADS_TEST_POSTGRES_URL");
    println!("cargo::rustc-check-cfg=cfg(leads_postgres_tests)");
    if std::env::var_os("LEADS_TEST_POSTGRES_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=leads_postgres_tests");
    }
}
