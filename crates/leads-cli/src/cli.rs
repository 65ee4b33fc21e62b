//! The command line: global options, subcommands and their arguments (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  leads --base-url http://localhost:3000/v1 --email andrea.leo@f21.it --password 123456 login
  export LEADS_PROJECT=5b55e806c93dde00143163dd
  leads list --full-text andrea --tag vip
  leads list --all --jsonl > leads.jsonl
  leads create --lead-id 123456 --fullname 'Andrea Leo' --email andrea.leo@f21.it --tag vip
  leads update 5c81593adf767b0017d1aa66 --company Frontiere21 --zipcode 00144
  leads update 5c81593adf767b0017d1aa66 --clear phone --clear tags
  leads tag add 5c81593adf767b0017d1aa66 vip newsletter
  leads attributes set 5c81593adf767b0017d1aa66 plan=premium newsletter=true
  leads export -o leads.csv
  leads import leads.csv --dry-run

Credentials come from --token, or --email and --password, or the token `leads login` stored.
Exit codes: 0 success, 1 the API or the network failed, 2 the command line is wrong.";

/// `leads`: list, edit, export and import the leads of a Tiledesk project.
#[derive(Debug, Parser)]
#[command(name = "leads", version, about, after_help = EXAMPLES)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Where the API is, who is calling, and how to print.
#[derive(Debug, Args)]
pub struct Global {
    /// The API's base URL [default: the one `leads login` stored, else http://localhost:3000/v1]
    #[arg(long, env = "LEADS_BASE_URL", global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// The project's id (24 hex characters) [default: the one `leads login` stored]
    #[arg(long, env = "LEADS_PROJECT", global = true, value_name = "ID")]
    pub project: Option<String>,
    /// Sign every request with HTTP Basic as this user (with --password). Give it before
    /// the subcommand: `leads --email … --password … list`.
    #[arg(
        id = "auth_email",
        long = "email",
        env = "LEADS_EMAIL",
        value_name = "EMAIL"
    )]
    pub email: Option<String>,
    /// The password for --email.
    #[arg(
        id = "auth_password",
        long = "password",
        env = "LEADS_PASSWORD",
        hide_env_values = true,
        value_name = "PASSWORD"
    )]
    pub password: Option<String>,
    /// A token from `signin` (`JWT …` or bare), instead of email and password.
    #[arg(long, env = "LEADS_TOKEN", global = true, hide_env_values = true)]
    pub token: Option<String>,
    /// Print JSON: one document.
    #[arg(long, global = true, conflicts_with = "jsonl")]
    pub json: bool,
    /// Print JSON Lines: one lead per line, as they arrive.
    #[arg(long, global = true)]
    pub jsonl: bool,
}

/// The subcommands, one per operation of the API, plus import, login and completions.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign in and store the token in the config dir (file mode 0600) for later commands.
    Login(LoginArgs),
    /// Forget the stored token.
    Logout,
    /// List leads, one page or (--all) every page.
    List(ListArgs),
    /// Show one lead, whatever its status.
    Get(IdArg),
    /// Create a lead.
    Create(CreateArgs),
    /// Change fields of a lead; fields left out keep their values.
    Update(UpdateArgs),
    /// Delete a lead: soft (status 1000, restorable) or --physical (for good, owner only).
    Delete(DeleteArgs),
    /// Restore a soft-deleted lead (status back to 100).
    Restore(IdArg),
    /// Add or remove tags.
    #[command(subcommand)]
    Tag(TagCommand),
    /// Merge keys into a lead's attributes.
    #[command(subcommand)]
    Attributes(MergeCommand),
    /// Merge keys into a lead's properties.
    #[command(subcommand)]
    Properties(MergeCommand),
    /// Download the leads as CSV (the server's fixed format).
    Export(ExportArgs),
    /// Create leads from a CSV export or a JSON Lines file.
    Import(ImportArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

/// `login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

/// A lead's id.
#[derive(Debug, Args)]
pub struct IdArg {
    /// The lead's `_id` (24 hex characters).
    pub id: String,
}

/// A lead's status, by number or name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Status {
    /// 50
    #[value(name = "temporary", alias = "50")]
    Temporary,
    /// 100
    #[value(name = "normal", alias = "100")]
    Normal,
    /// 1000
    #[value(name = "deleted", alias = "1000")]
    Deleted,
}

impl Status {
    /// The API's number for it.
    pub fn code(self) -> i32 {
        match self {
            Self::Temporary => 50,
            Self::Normal => 100,
            Self::Deleted => 1000,
        }
    }
}

/// A field to sort by.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SortBy {
    /// createdAt
    #[value(name = "createdAt", alias = "created-at")]
    CreatedAt,
    /// updatedAt
    #[value(name = "updatedAt", alias = "updated-at")]
    UpdatedAt,
    /// fullname
    Fullname,
    /// email
    Email,
    /// lead_id
    #[value(name = "lead_id", alias = "lead-id")]
    LeadId,
}

impl SortBy {
    /// The API's name for it.
    pub fn api_name(self) -> &'static str {
        match self {
            Self::CreatedAt => "createdAt",
            Self::UpdatedAt => "updatedAt",
            Self::Fullname => "fullname",
            Self::Email => "email",
            Self::LeadId => "lead_id",
        }
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Direction {
    /// Ascending (1).
    #[value(alias = "1")]
    Asc,
    /// Descending (-1), the default.
    #[value(alias = "-1")]
    Desc,
}

/// The filters `list` and `export` share.
#[derive(Debug, Args, Default, Clone)]
pub struct Filters {
    /// Only leads with this email (exact, case-insensitive).
    #[arg(long)]
    pub email: Option<String>,
    /// Only leads whose fullname or email contains one of these words.
    #[arg(long, value_name = "WORDS")]
    pub full_text: Option<String>,
    /// Only leads that have (true) or lack (false) an email.
    #[arg(long, value_name = "BOOL")]
    pub with_email: Option<bool>,
    /// Only leads that have (true) or lack (false) a full name.
    #[arg(long, value_name = "BOOL")]
    pub with_fullname: Option<bool>,
    /// Only leads carrying this tag; repeat for several (all must match).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Only leads with this status [list default: normal; export default: temporary and normal]
    #[arg(long, value_enum)]
    pub status: Option<Status>,
    /// Sort by this field [default: createdAt]
    #[arg(long, value_enum)]
    pub sort: Option<SortBy>,
    /// Sort direction [default: desc]
    #[arg(long, value_enum, allow_hyphen_values = true)]
    pub direction: Option<Direction>,
}

/// `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Filters and order.
    #[command(flatten)]
    pub filters: Filters,
    /// The page to show, from 0.
    #[arg(long, default_value_t = 0, conflicts_with = "all")]
    pub page: u32,
    /// Leads per page, 1 to 100 [default: 40, or 100 with --all]
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub limit: Option<u32>,
    /// Follow the pages, cursor by cursor, until every matching lead is listed.
    #[arg(long)]
    pub all: bool,
}

/// The fields a lead has, as options; `create` and `update` share them.
#[derive(Debug, Args, Default)]
pub struct LeadFields {
    /// Full name.
    #[arg(long)]
    pub fullname: Option<String>,
    /// Email address.
    #[arg(long)]
    pub email: Option<String>,
    /// Phone number.
    #[arg(long)]
    pub phone: Option<String>,
    /// Company.
    #[arg(long)]
    pub company: Option<String>,
    /// A free-text note.
    #[arg(long)]
    pub note: Option<String>,
    /// Street and number.
    #[arg(long)]
    pub street_address: Option<String>,
    /// City.
    #[arg(long)]
    pub city: Option<String>,
    /// Region, state or province.
    #[arg(long)]
    pub region: Option<String>,
    /// Postal code (kept as text: 00144 stays 00144).
    #[arg(long)]
    pub zipcode: Option<String>,
    /// Country.
    #[arg(long)]
    pub country: Option<String>,
    /// A tag; repeat for several. `update` replaces the lead's tags with these.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// An attribute as KEY=VALUE; repeat for several. `update` replaces all attributes.
    /// VALUE is JSON when it parses as JSON (3, true, {"a":1}), text otherwise.
    #[arg(long = "attr", value_name = "KEY=VALUE")]
    pub attributes: Vec<String>,
}

/// `create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The lead's id in an external system (need not be unique) [default: a new UUID]
    #[arg(long)]
    pub lead_id: Option<String>,
    /// The lead's fields.
    #[command(flatten)]
    pub fields: LeadFields,
    /// A property as KEY=VALUE; repeat for several.
    #[arg(long = "prop", value_name = "KEY=VALUE")]
    pub properties: Vec<String>,
}

/// `update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The lead's `_id`.
    pub id: String,
    /// The fields to set.
    #[command(flatten)]
    pub fields: LeadFields,
    /// Set the status.
    #[arg(long, value_enum)]
    pub status: Option<Status>,
    /// Clear a field: a text field becomes absent, `tags` and `attributes` empty. Repeat
    /// for several.
    #[arg(long = "clear", value_enum, value_name = "FIELD")]
    pub clear: Vec<Clearable>,
}

/// A field `update --clear` can clear: every field but `status`, which a lead always has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Clearable {
    /// fullname
    Fullname,
    /// email
    Email,
    /// phone
    Phone,
    /// company
    Company,
    /// note
    Note,
    /// streetAddress
    #[value(name = "street-address", alias = "streetAddress")]
    StreetAddress,
    /// city
    City,
    /// region
    Region,
    /// zipcode
    Zipcode,
    /// country
    Country,
    /// every tag
    Tags,
    /// every attribute
    Attributes,
}

impl Clearable {
    /// The API's name for it.
    pub fn api_name(self) -> &'static str {
        match self {
            Self::Fullname => "fullname",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Company => "company",
            Self::Note => "note",
            Self::StreetAddress => "streetAddress",
            Self::City => "city",
            Self::Region => "region",
            Self::Zipcode => "zipcode",
            Self::Country => "country",
            Self::Tags => "tags",
            Self::Attributes => "attributes",
        }
    }
}

/// `delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The lead's `_id`.
    pub id: String,
    /// Remove the lead for good instead (needs the role owner; cannot be undone).
    #[arg(long)]
    pub physical: bool,
}

/// `tag add` and `tag rm`.
#[derive(Debug, Subcommand)]
pub enum TagCommand {
    /// Append tags (existing ones are skipped, order is kept).
    Add {
        /// The lead's `_id`.
        id: String,
        /// The tags to add.
        #[arg(required = true)]
        tags: Vec<String>,
    },
    /// Remove a tag (removing an absent tag is not an error).
    #[command(alias = "remove")]
    Rm {
        /// The lead's `_id`.
        id: String,
        /// The tag to remove.
        tag: String,
    },
}

/// `attributes set` and `properties set`.
#[derive(Debug, Subcommand)]
pub enum MergeCommand {
    /// Set keys, keeping the others (a shallow merge).
    Set {
        /// The lead's `_id`.
        id: String,
        /// KEY=VALUE pairs; VALUE is JSON when it parses as JSON, text otherwise.
        #[arg(required = true, value_name = "KEY=VALUE")]
        pairs: Vec<String>,
    },
}

/// `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to this file, with a progress bar [default: standard output]
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Filters and order.
    #[command(flatten)]
    pub filters: Filters,
}

/// The input format of `import`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// The CSV of `leads export`: `;`-separated, with its header.
    Csv,
    /// One JSON object per line, e.g. from `leads list --all --jsonl`.
    Jsonl,
}

/// `import`.
#[derive(Debug, Args)]
#[command(after_help = "\
The CSV columns are those of `leads export`; `_id`, `createdBy`, `createdAt` and `updatedAt`
are the server's and are not imported. A status other than 100 is set after creation.
Rows that fail are written, with the reason in an extra `error` column (`_error` key in
JSON Lines), to the report file; fix them there and import the report.")]
pub struct ImportArgs {
    /// The file to import.
    pub file: PathBuf,
    /// The file's format [default: from the extension; .jsonl, .ndjson and .json are JSON Lines]
    #[arg(long, value_enum)]
    pub format: Option<InputFormat>,
    /// Check every row and report the bad ones; create nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// How many requests may be in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Where to write the failed rows [default: FILE with `.failed` before the extension]
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

/// `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("leads").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn list_takes_every_filter() {
        let cli = parse(&[
            "list",
            "--email",
            "a@b.c",
            "--full-text",
            "andrea leo",
            "--with-email",
            "true",
            "--with-fullname",
            "false",
            "--tag",
            "vip",
            "--tag",
            "new",
            "--status",
            "deleted",
            "--sort",
            "fullname",
            "--direction",
            "-1",
            "--limit",
            "100",
            "--all",
        ])
        .expect("parses");
        let Command::List(args) = cli.command else {
            panic!("not list")
        };
        assert_eq!(args.filters.tags, ["vip", "new"]);
        assert_eq!(args.filters.status, Some(Status::Deleted));
        assert_eq!(args.filters.with_fullname, Some(false));
        assert!(args.all);
    }

    #[test]
    fn usage_errors_are_exit_code_2() {
        for bad in [
            &["list", "--limit", "0"][..],
            &["list", "--limit", "101"],
            &["list", "--status", "7"],
            &["tag", "add", "5c81593adf767b0017d1aa66"],
            &["frobnicate"],
        ] {
            let error = parse(bad).expect_err("rejected");
            assert_eq!(error.exit_code(), 2, "{bad:?}");
        }
    }

    #[test]
    fn statuses_take_names_and_numbers() {
        for (text, status) in [("100", Status::Normal), ("temporary", Status::Temporary)] {
            let cli = parse(&["list", "--status", text]).expect("parses");
            let Command::List(args) = cli.command else {
                panic!("not list")
            };
            assert_eq!(args.filters.status, Some(status));
        }
    }

    #[test]
    fn global_options_go_anywhere() {
        let cli = parse(&[
            "get",
            "5c81593adf767b0017d1aa66",
            "--json",
            "--project",
            "p",
        ])
        .expect("parses");
        assert!(cli.global.json);
        assert_eq!(cli.global.project.as_deref(), Some("p"));
    }
}
