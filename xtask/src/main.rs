//! `cargo xtask`: see the crate docs of `xtask` for the tasks.

mod docs;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use xtask::{bench, check, codegen, contract, lint, release};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Automation for the leads workspace")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

/// A backend the bench can run on.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum BenchBackend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Regenerate the committed snapshots of the generated client and server code.
    Codegen {
        /// Only report stale snapshots; write nothing.
        #[arg(long)]
        check: bool,
    },
    /// Check openapi/leads.yaml against the project's spec rules.
    Lint,
    /// Prove that spec, generated code and released contract agree; non-zero on any problem.
    Check {
        /// How to print the problems.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Record the current spec as the released baseline of its version.
    Release,
    /// Measure throughput, latency and memory as ratios against baselines of the same run.
    Bench {
        /// Concurrent workers of the load generator.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Measured seconds per scenario.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Leads in the largest project; the first page is also measured at a tenth and a
        /// hundredth of it.
        #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(4_000..=10_000_000))]
        largest: u64,
        /// Seconds of the sustained fixed-rate run.
        #[arg(long, default_value_t = 60)]
        sustained_seconds: u64,
        /// Run only these scenarios (comma-separated): first_page, healthz, get_jwt,
        /// get_basic (get_by_id for both), bare_read, filters, deep_page, mixed, sustained,
        /// export, create. The ceilings they are compared with always run.
        #[arg(long, value_delimiter = ',', value_parser = bench::Scenario::parse)]
        only: Vec<Vec<bench::Scenario>>,
        /// Run on this backend only (default: SQLite, and PostgreSQL when
        /// LEADS_TEST_POSTGRES_URL is set).
        #[arg(long, value_enum)]
        backend: Option<BenchBackend>,
        /// Serve the bare-axum baseline instead (used by the bench itself).
        #[arg(long, hide = true)]
        bare_server: bool,
        /// With --bare-server: read the lead by primary key from this database.
        #[arg(long, hide = true, requires = "bare_server")]
        bare_database: Option<String>,
    },
    /// Send seeded random requests, valid and broken, generated from the spec to a fresh
    /// reference server, or with --base-url to a deployment; shrink any failure to a
    /// minimal curl line.
    Fuzz {
        /// The generator's seed; the default makes runs reproducible.
        #[arg(long, default_value_t = contract::fuzz::DEFAULT_SEED)]
        seed: u64,
        /// Stop after this many seconds; operations that did not get their cases by then
        /// fail the run, by name.
        #[arg(long, default_value_t = 180)]
        time_limit: u64,
        /// Requests per operation at most.
        #[arg(long, default_value_t = 40)]
        cases: usize,
        /// Where to send them, as whom (as for `contract`).
        #[command(flatten)]
        target: Box<ContractArgs>,
    },
    /// Call every operation for every documented status and check each response against
    /// the spec. Without --base-url, against a freshly started reference server.
    Contract(Box<ContractArgs>),
    /// Write the offline API reference to target/docs/ and the crate docs to target/doc/.
    Docs {
        /// Instead, refresh the vendored Redoc bundle from the npm registry (needs npm).
        #[arg(long)]
        update_renderer: bool,
    },
}

/// Where `cargo xtask contract` runs, and as whom.
#[derive(Debug, Args)]
struct ContractArgs {
    /// A deployment to test, e.g. https://api.example.com/v1.
    #[arg(long, requires = "project")]
    base_url: Option<String>,
    /// The caller's email (with --password).
    #[arg(long, requires = "password", conflicts_with = "token")]
    email: Option<String>,
    /// The caller's password.
    #[arg(long, requires = "email")]
    password: Option<String>,
    /// A token from signin, instead of email and password.
    #[arg(long)]
    token: Option<String>,
    /// The project to test in; the caller needs the role agent or higher there.
    #[arg(long)]
    project: Option<String>,
    /// The project's owner (with --owner-password), for physical deletion.
    #[arg(long, requires = "owner_password")]
    owner_email: Option<String>,
    /// The owner's password.
    #[arg(long, requires = "owner_email")]
    owner_password: Option<String>,
    /// A member of the project below agent (with --low-role-password), for 403s.
    #[arg(long, requires = "low_role_password")]
    low_role_email: Option<String>,
    /// That member's password.
    #[arg(long, requires = "low_role_email")]
    low_role_password: Option<String>,
    /// A member of another project only (with --outsider-password and
    /// --outsider-project), for 403s and cross-project 404s.
    #[arg(long, requires_all = ["outsider_password", "outsider_project"])]
    outsider_email: Option<String>,
    /// That member's password.
    #[arg(long, requires = "outsider_email")]
    outsider_password: Option<String>,
    /// The project that member belongs to.
    #[arg(long, requires = "outsider_email")]
    outsider_project: Option<String>,
}

/// The contract's options from the command line.
fn options(args: ContractArgs) -> contract::Options {
    contract::Options {
        base_url: args.base_url,
        email: args.email,
        password: args.password,
        token: args.token,
        project: args.project,
        owner: args.owner_email.zip(args.owner_password),
        low_role: args.low_role_email.zip(args.low_role_password),
        outsider: args
            .outsider_email
            .zip(args.outsider_password)
            .zip(args.outsider_project)
            .map(|((email, password), project)| (email, password, project)),
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// One line per problem.
    Text,
    /// A JSON array of problems.
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Codegen { check } => codegen::run(check),
        Task::Lint => lint::run(),
        Task::Check { format } => check::run(matches!(format, Format::Json)),
        Task::Release => release::run(),
        Task::Contract(args) => contract::run(
            &options(*args),
            contract::Plan {
                contract: true,
                fuzz: None,
            },
        ),
        Task::Bench {
            bare_server: true,
            bare_database,
            ..
        } => bench::serve_bare(bare_database.as_deref()),
        Task::Bench {
            concurrency,
            seconds,
            largest,
            sustained_seconds,
            only,
            backend,
            ..
        } => bench::run(bench::Settings {
            concurrency,
            duration: std::time::Duration::from_secs(seconds),
            largest,
            sustained: std::time::Duration::from_secs(sustained_seconds),
            only: if only.is_empty() {
                bench::Selection::all()
            } else {
                bench::Selection::only(&only.concat())
            },
            backend: backend.map(|b| match b {
                BenchBackend::Sqlite => bench::Backend::Sqlite,
                BenchBackend::Postgres => bench::Backend::Postgres,
            }),
            ..bench::Settings::default()
        }),
        Task::Fuzz {
            seed,
            time_limit,
            cases,
            target,
        } => contract::run(
            &options(*target),
            contract::Plan {
                contract: false,
                fuzz: Some(contract::fuzz::Budget {
                    seed,
                    cases_per_operation: cases,
                    time_limit: std::time::Duration::from_secs(time_limit),
                }),
            },
        ),
        Task::Docs { update_renderer } => docs::run(update_renderer),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
