//! Project automation, run as `cargo xtask <task>`.
//!
//! Each task is one module with a `run` function, in the style of rust-analyzer's xtask.
//! Every check is also reachable from `cargo test --workspace` (see `xtask/tests/`), so CI
//! runs nothing a developer cannot.

pub mod agreement;
pub mod bench;
pub mod check;
pub mod codegen;
pub mod contract;
pub mod error;
pub mod lint;
pub mod problem;
pub mod project;
pub mod release;

pub use error::XtaskError;
pub use problem::Problem;
