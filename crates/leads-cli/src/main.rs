//! The `leads` binary; see the `leads_cli` crate.

fn main() -> std::process::ExitCode {
    leads_cli::main()
}
