//! The command line: `serve` (the default) and the `admin` commands. Every flag has an
//! environment variable, so a container needs no arguments.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::time::Duration;

/// The reference server of the Tiledesk leads API.
#[derive(Debug, Parser)]
#[command(name = "leads-server", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// `serve`'s options, for running without a subcommand.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve(ServeArgs),
    /// Manage users, projects, memberships and tokens.
    Admin(AdminArgs),
}

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://PATH` (created on first start) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "LEADS_DATABASE_URL", default_value = "sqlite://leads.db")]
    pub database_url: String,
    /// The most database connections this server opens (PostgreSQL: 16; SQLite: 4
    /// readers beside the one writer). Several servers on one PostgreSQL share its
    /// `max_connections`.
    #[arg(long, env = "LEADS_DATABASE_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub database_max_connections: Option<u32>,
    /// How long a request waits for a free database connection before it is answered 503.
    #[arg(long, env = "LEADS_DATABASE_ACQUIRE_TIMEOUT", default_value = "5s", value_parser = parse_duration)]
    pub database_acquire_timeout: Duration,
    /// How many MiB of an SQLite database each reader maps into memory; 0 reads every
    /// page with a system call instead. Mapped pages are the operating system's page
    /// cache, shared and reclaimable, but they count in the server's RSS.
    #[arg(long, env = "LEADS_SQLITE_MMAP_MIB", default_value_t = crate::store::SQLITE_MAP_BYTES >> 20)]
    pub sqlite_mmap_mib: u64,
}

impl DatabaseArgs {
    /// The pool settings these flags ask for.
    pub fn store_options(&self) -> crate::store::StoreOptions {
        crate::store::StoreOptions {
            max_connections: self.database_max_connections,
            acquire_timeout: self.database_acquire_timeout,
            sqlite_map_bytes: self.sqlite_mmap_mib.saturating_mul(1 << 20),
        }
    }
}

/// Where the data lives, settable after any `admin` subcommand.
#[derive(Debug, Clone, Args)]
pub struct AdminDatabaseArgs {
    /// `sqlite://PATH` (created on first start) or `postgres://USER@HOST/DB`.
    #[arg(
        long,
        env = "LEADS_DATABASE_URL",
        default_value = "sqlite://leads.db",
        global = true
    )]
    pub database_url: String,
}

/// How tokens are signed.
#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// The HS256 secret for tokens, at least 32 bytes. Without it, a random secret is
    /// generated on first start and kept in the database.
    #[arg(long, env = "LEADS_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// How long a token lives: seconds, or a number with `s`, `m`, `h` or `d`.
    #[arg(long, env = "LEADS_TOKEN_TTL", default_value = "24h", value_parser = parse_duration)]
    pub token_ttl: Duration,
}

/// Options of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "LEADS_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub token: TokenArgs,
    /// Do not create the demo project and owner on first start.
    #[arg(long, env = "LEADS_NO_DEMO")]
    pub no_demo: bool,
    /// The longest a request may take to answer (the CSV body may stream for longer).
    #[arg(long, env = "LEADS_REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// How long a client may take to send its request headers.
    #[arg(long, env = "LEADS_HEADER_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub header_timeout: Duration,
    /// How long shutdown waits for requests in flight.
    #[arg(long, env = "LEADS_SHUTDOWN_GRACE", default_value = "30s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,
    /// Serve `/metrics` on this address instead of next to the API, e.g. for a port that
    /// only the monitoring network reaches.
    #[arg(long, env = "LEADS_METRICS_ADDR", conflicts_with = "no_metrics")]
    pub metrics_addr: Option<SocketAddr>,
    /// Do not serve `/metrics` at all.
    #[arg(long, env = "LEADS_NO_METRICS")]
    pub no_metrics: bool,
    /// Log every request (method, path, status, latency, request id) at INFO under the
    /// target `leads_server::access`. Off by default: a line per request costs a good
    /// share of a read's time. Requests answered 5xx are logged either way.
    #[arg(long, env = "LEADS_ACCESS_LOG")]
    pub access_log: bool,
}

/// The `admin` commands. Each prints only the new id or token on stdout, for scripts.
#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    pub command: AdminCommand,
    #[command(flatten)]
    pub database: AdminDatabaseArgs,
}

/// An admin command.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Users.
    #[command(subcommand)]
    User(UserCommand),
    /// Projects.
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Memberships.
    #[command(subcommand)]
    Member(MemberCommand),
    /// Write a consistent copy of the SQLite database to FILE while servers keep using it.
    Backup {
        /// Where to write the copy; must not exist yet.
        file: std::path::PathBuf,
    },
    /// Add synthetic leads to a project in bulk, for load tests and trials at scale.
    Seed {
        /// The project id.
        project_id: String,
        /// The email of the member the leads are created by.
        email: String,
        /// How many leads to add.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
        count: u64,
    },
    /// Print a token for a user.
    Token {
        /// The user's email.
        email: String,
        #[command(flatten)]
        token: TokenArgs,
    },
}

/// `admin user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; prints its id.
    Add {
        /// The email, unique case-insensitively.
        email: String,
        /// The password.
        #[arg(long, env = "LEADS_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Change a user's password. Every token and cached verification of the old one is
    /// refused from the next request on, on every server of the database.
    Password {
        /// The user's email.
        email: String,
        /// The new password.
        #[arg(long, env = "LEADS_PASSWORD", hide_env_values = true)]
        password: String,
    },
}

/// `admin project …`
#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project; prints its id.
    Add {
        /// The project's name.
        name: String,
    },
}

/// `admin member …`
#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Make a user a member of a project, or change the member's role.
    Add {
        /// The project id.
        project_id: String,
        /// The user's email.
        email: String,
        /// guest, user, teammate, agent, supervisor, admin or owner.
        #[arg(long)]
        role: crate::store::Role,
    },
    /// End a user's membership of a project; it takes effect on the next request.
    Remove {
        /// The project id.
        project_id: String,
        /// The user's email.
        email: String,
    },
    /// Change the role of an existing member; it takes effect on the next request.
    Role {
        /// The project id.
        project_id: String,
        /// The user's email.
        email: String,
        /// guest, user, teammate, agent, supervisor, admin or owner.
        #[arg(long)]
        role: crate::store::Role,
    },
}

/// Reads `90`, `250ms`, `90s`, `15m`, `24h` or `7d`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 90s, 15m, 24h or 7d"))?;
    let millis = match unit {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("`{text}`: the unit must be ms, s, m, h or d")),
    };
    number
        .checked_mul(millis)
        .filter(|ms| *ms > 0)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("`{text}` is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("0ms").is_err());
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("h").is_err());
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn no_subcommand_means_serve_with_defaults() {
        let cli = Cli::try_parse_from(["leads-server"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.serve.addr.to_string(), "127.0.0.1:3000");
        let cli = Cli::try_parse_from([
            "leads-server",
            "admin",
            "member",
            "add",
            "p",
            "e@x",
            "--role",
            "agent",
            "--database-url",
            "sqlite://x.db",
        ])
        .unwrap();
        assert!(matches!(cli.command, Some(Command::Admin(_))));
    }
}
