//! The command line: global options and every command's arguments.

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};
use roster_client::prost_types::Timestamp;
use roster_client::{
    AbandonedFamilyPolicy, ApiKeyRole, IssueSeverity, PlannedChangeAction, RecordKind, Schedule,
    StatusFilter,
};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// Operate a roster-sync server: districts, sync settings, runs and what they did, record
/// history, API keys, the audit log and erasure.
#[derive(Debug, Parser)]
#[command(name = "rosterctl", version)]
pub struct Cli {
    /// The server's gRPC endpoint.
    #[arg(
        long,
        global = true,
        env = "ROSTER_SERVER",
        default_value = "http://127.0.0.1:50051"
    )]
    pub server: String,
    /// A bearer token sent with every call.
    #[arg(long, global = true, env = "ROSTER_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// How to print results: tables for people, JSON for scripts, CSV for spreadsheets.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns.
    Table,
    /// Pretty-printed JSON.
    Json,
    /// Comma-separated values with a header row (RFC 4180), for spreadsheets.
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create, list and show districts.
    #[command(subcommand)]
    District(DistrictCommand),
    /// Read and change a district's sync settings.
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Start, follow, inspect and revert sync runs.
    #[command(subcommand)]
    Sync(SyncCommand),
    /// Records abandoned by syncs.
    #[command(subcommand)]
    Abandoned(AbandonedCommand),
    /// A district's schools.
    #[command(subcommand)]
    Schools(SchoolsCommand),
    /// A school's students.
    #[command(subcommand)]
    Students(StudentsCommand),
    /// Upload a OneRoster CSV zip, or a folder zipped on the fly; prints the upload id.
    Upload(UploadArgs),
    /// Create, list and revoke API keys (admin key needed).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// List the audit log: every call that changed something, newest first.
    Audit(AuditArgs),
    /// Erase a person or a whole district, for good.
    #[command(subcommand)]
    Erase(EraseCommand),
    /// The source ids erased people leave behind, which syncs skip.
    #[command(subcommand)]
    Suppressions(SuppressionsCommand),
    /// A school's guardians.
    #[command(subcommand)]
    Guardians(GuardiansCommand),
    /// A school's staff.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// A school's classes.
    #[command(subcommand)]
    Classes(ClassesCommand),
    /// A class's teachers and students.
    #[command(subcommand)]
    Members(MembersCommand),
    /// What a guardian reaches now: linked students, their schools and classrooms.
    Access {
        /// The guardian's id.
        guardian_id: String,
    },
    /// Find a district's people by source id, SIS ID, email or phone (whole), or by the
    /// start of a name; archived students and removed families are found too.
    Search(SearchArgs),
    /// Show one record with what it links to.
    #[command(subcommand)]
    Get(GetCommand),
    /// What runs and edits changed on a record, newest first: old and new values, and the
    /// run or the key (and end user) that made each change.
    History {
        /// The id of a student, guardian, staff member or class.
        record_id: String,
    },
    /// Which districts' syncs need someone to look at them, and why.
    Health(HealthArgs),
    /// Print a shell completion script, e.g. `rosterctl completions bash >
    /// /etc/bash_completion.d/rosterctl`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum GuardiansCommand {
    /// List a school's guardians (those of its students).
    List {
        /// The school's id.
        #[arg(long, value_name = "SCHOOL_ID")]
        school: String,
        /// Guardians of active, archived or all students.
        #[arg(long, value_name = "active|archived|all", default_value = "active")]
        status: StatusFilter,
    },
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// List a school's staff.
    List {
        /// The school's id.
        #[arg(long, value_name = "SCHOOL_ID")]
        school: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClassesCommand {
    /// List a school's classes.
    List {
        /// The school's id.
        #[arg(long, value_name = "SCHOOL_ID")]
        school: String,
        /// Which classes: active, archived or all.
        #[arg(long, value_name = "active|archived|all", default_value = "active")]
        status: StatusFilter,
    },
}

#[derive(Debug, Subcommand)]
pub enum MembersCommand {
    /// List a class's teachers, then its students.
    List {
        /// The class's id.
        #[arg(long = "class", value_name = "CLASS_ID")]
        class_id: String,
        /// Which students: active, archived (who stay in their classrooms) or all.
        #[arg(long, value_name = "active|archived|all", default_value = "active")]
        status: StatusFilter,
    },
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The district's id.
    pub district_id: String,
    /// A source id, SIS ID, email, phone number (any format), or the start of a name.
    pub query: String,
    /// Only people of this kind: student, guardian or staff (repeatable).
    #[arg(long = "kind", value_name = "KIND")]
    pub kinds: Vec<RecordKind>,
    /// Show at most this many people.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

#[derive(Debug, Subcommand)]
pub enum GetCommand {
    /// A student with its guardians and classes.
    Student {
        /// The student's id.
        id: String,
    },
    /// A guardian with its students, active or archived.
    Guardian {
        /// The guardian's id.
        id: String,
    },
    /// A staff member with the classes it teaches.
    Staff {
        /// The staff member's id.
        id: String,
    },
    /// A class with its school.
    Class {
        /// The class's id.
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// One district; without it, every district the key covers.
    pub district_id: Option<String>,
    /// Only districts that need attention.
    #[arg(long, conflicts_with = "district_id")]
    pub needs_attention: bool,
}

#[derive(Debug, Subcommand)]
pub enum DistrictCommand {
    /// Create a district.
    Create {
        /// Its display name.
        #[arg(long)]
        name: String,
    },
    /// List every district, oldest first.
    List,
    /// Show one district.
    Get {
        /// The district's id.
        district_id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Show a district's sync settings (secrets show only as set or not).
    Get {
        /// The district's id.
        district_id: String,
    },
    /// Change some of a district's sync settings; the others stay as they are.
    Set(Box<SettingsSetArgs>),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("clever_source").args(["clever", "clever_token"]).multiple(true)))]
pub struct SettingsSetArgs {
    /// The district's id.
    pub district_id: String,
    /// Whether the sync manages active users' contact details.
    #[arg(long, value_name = "true|false", value_parser = BoolishValueParser::new())]
    pub update_active_users: Option<bool>,
    /// What happens to abandoned families.
    #[arg(long, value_name = "soft|extreme")]
    pub family_policy: Option<AbandonedFamilyPolicy>,
    /// Largest share (percent) of the records of one kind a run may abandon.
    #[arg(long, value_name = "PERCENT")]
    pub threshold: Option<u32>,
    /// Largest share (percent) of one school's students or staff a run may abandon (R7.5).
    #[arg(long, value_name = "PERCENT")]
    pub school_threshold: Option<u32>,
    /// ISO 3166 region for phone numbers without a country code, e.g. US.
    #[arg(long, value_name = "REGION")]
    pub phone_region: Option<String>,
    /// Automatic runs: off, every:MINUTES or daily:HH:MM@TIME_ZONE.
    #[arg(long, value_name = "SCHEDULE")]
    pub schedule: Option<Schedule>,
    /// Whether every run (scheduled ones too) stops after planning, AWAITING_APPROVAL,
    /// until `sync approve` or `sync reject`.
    #[arg(long, value_name = "true|false", value_parser = BoolishValueParser::new())]
    pub require_approval: Option<bool>,
    /// How long a plan can be approved, 1m to 30d: e.g. 90m, 24h or 7d (a bare number is
    /// seconds).
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub plan_ttl: Option<Duration>,
    /// Source: a OneRoster CSV folder or zip, relative to the server's import directory.
    #[arg(long, value_name = "PATH", group = "source")]
    pub csv_path: Option<String>,
    /// Source: a OneRoster CSV zip uploaded with `rosterctl upload`.
    #[arg(long, value_name = "ID", group = "source")]
    pub upload_id: Option<String>,
    /// Source: the Clever API, with the district token of --secret-file, --secret-env,
    /// --secret-prompt or ROSTER_CLEVER_TOKEN (none of them: the stored token is kept).
    #[arg(long, group = "source")]
    pub clever: bool,
    /// Source: the Clever API with this district token. It stays in your shell history:
    /// prefer --clever with --secret-prompt or --secret-file.
    #[arg(
        long,
        value_name = "TOKEN",
        conflicts_with_all = ["csv_path", "upload_id", "oneroster_url", "secret"]
    )]
    pub clever_token: Option<String>,
    /// The Clever API's base URL (default `https://api.clever.com`).
    #[arg(long, value_name = "URL", requires = "clever_source")]
    pub clever_url: Option<String>,
    /// Source: a OneRoster 1.1 REST provider (ClassLink and others) at this base URL,
    /// ending in /ims/oneroster/v1p1; with --oauth1-key, or --oauth2-token-url and
    /// --oauth2-client-id. Its secret comes from --secret-file, --secret-env or
    /// --secret-prompt (none of them: the stored secret is kept).
    #[arg(long, value_name = "URL", group = "source")]
    pub oneroster_url: Option<String>,
    /// OneRoster REST with OAuth 1.0a: the consumer key.
    #[arg(
        long,
        value_name = "KEY",
        requires = "oneroster_url",
        conflicts_with = "oauth2_token_url"
    )]
    pub oauth1_key: Option<String>,
    /// OneRoster REST with OAuth 2 client credentials: the token endpoint.
    #[arg(
        long,
        value_name = "URL",
        requires_all = ["oneroster_url", "oauth2_client_id"]
    )]
    pub oauth2_token_url: Option<String>,
    /// OneRoster REST with OAuth 2: the client id.
    #[arg(long, value_name = "ID", requires = "oauth2_token_url")]
    pub oauth2_client_id: Option<String>,
    /// OneRoster REST with OAuth 2: the scope to ask for.
    #[arg(long, value_name = "SCOPE", requires = "oauth2_token_url")]
    pub oauth2_scope: Option<String>,
    /// The source's secret (Clever token, OAuth consumer or client secret): the first
    /// line of this file.
    #[arg(long, value_name = "PATH", group = "secret")]
    pub secret_file: Option<PathBuf>,
    /// The source's secret: the value of this environment variable.
    #[arg(long, value_name = "VAR", group = "secret")]
    pub secret_env: Option<String>,
    /// The source's secret: typed at a prompt, not echoed.
    #[arg(long, group = "secret")]
    pub secret_prompt: bool,
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Start a run of the district's configured source (or of --csv-path / --upload-id).
    Start(SyncStartArgs),
    /// Show one run with its counts per record kind.
    Status {
        /// The run's id.
        run_id: String,
    },
    /// List a district's runs, newest first.
    List {
        /// The district's id.
        district_id: String,
        /// Show at most this many runs.
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Cancel a queued or running run.
    Cancel {
        /// The run's id.
        run_id: String,
    },
    /// List the changes a planned run makes or would make (a run AWAITING_APPROVAL or
    /// BLOCKED, or a dry run), with old and new values, in plan order.
    Plan {
        /// The run's id.
        run_id: String,
        /// Only changes of this kind of record, e.g. student or student-enrollment.
        #[arg(long, value_name = "KIND")]
        kind: Option<RecordKind>,
        /// Only changes with this action.
        #[arg(long, value_name = "create|update|abandon|restore|move")]
        action: Option<PlannedChangeAction>,
    },
    /// Apply exactly the plan `sync plan` shows of a run AWAITING_APPROVAL or BLOCKED
    /// (approving a BLOCKED run overrides the abandon thresholds).
    Approve {
        /// The run's id.
        run_id: String,
        /// Idempotency key: approving again with the same id returns the run.
        #[arg(long, value_name = "ID")]
        request_id: Option<String>,
        #[command(flatten)]
        waiting: WaitArgs,
    },
    /// Discard the plan of a run AWAITING_APPROVAL or BLOCKED: the run ends CANCELLED and
    /// nothing is written.
    Reject {
        /// The run's id.
        run_id: String,
    },
    /// Revert the district's latest run that changed something (R9.2): start a run that
    /// reverses its every change, and pause the schedule until `sync resume-schedule`.
    Revert {
        /// The id of the run to revert.
        run_id: String,
        /// Idempotency key: reverting again with the same id returns the same revert run.
        #[arg(long, value_name = "ID")]
        request_id: Option<String>,
        #[command(flatten)]
        waiting: WaitArgs,
    },
    /// Resume a district's schedule paused by `sync revert`; the next run is due from now
    /// by the schedule. Prints the settings.
    ResumeSchedule {
        /// The district's id.
        district_id: String,
    },
    /// List a run's issues: skipped guardians, invalid rows, warnings.
    Issues {
        /// The run's id.
        run_id: String,
        /// Only issues of this severity.
        #[arg(long, value_name = "info|warning|error")]
        severity: Option<IssueSeverity>,
        /// Only issues about this kind of record, e.g. guardian.
        #[arg(long, value_name = "KIND")]
        kind: Option<RecordKind>,
    },
}

#[derive(Debug, Args)]
pub struct SyncStartArgs {
    /// The district's id.
    pub district_id: String,
    /// Compute and report the plan without writing roster data.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub waiting: WaitArgs,
    /// Apply even if the run would abandon more than the district's threshold.
    #[arg(long)]
    pub override_threshold: bool,
    /// Read this OneRoster CSV folder or zip (under the server's import directory) instead
    /// of the configured source.
    #[arg(long, value_name = "PATH", conflicts_with = "upload_id")]
    pub csv_path: Option<String>,
    /// Read this uploaded zip instead of the configured source.
    #[arg(long, value_name = "ID")]
    pub upload_id: Option<String>,
    /// Idempotency key: starting again with the same id returns the same run.
    #[arg(long, value_name = "ID")]
    pub request_id: Option<String>,
}

/// `--wait` of the commands that set a run going (`sync start`, `sync approve`, `sync
/// revert`).
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Follow the run with a progress bar until it stops, then print its counts; exits
    /// with 2 if it ends FAILED or BLOCKED, 3 if it stops AWAITING_APPROVAL.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: give up waiting after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub timeout: u64,
}

#[derive(Debug, Subcommand)]
pub enum AbandonedCommand {
    /// List the records a district's syncs abandoned, newest first.
    List {
        /// The district's id.
        district_id: String,
        /// Only records of this kind, e.g. student.
        #[arg(long, value_name = "KIND")]
        kind: Option<RecordKind>,
        /// Only records abandoned by this run.
        #[arg(long, value_name = "RUN_ID")]
        run: Option<String>,
        /// Only records restored since (true) or not restored (false).
        #[arg(long, value_name = "true|false", value_parser = BoolishValueParser::new())]
        restored: Option<bool>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SchoolsCommand {
    /// List a district's schools.
    List {
        /// The district's id.
        district_id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum StudentsCommand {
    /// List a school's students.
    List {
        /// The school's id.
        #[arg(long, value_name = "SCHOOL_ID")]
        school: String,
        /// Which students: active, archived or all.
        #[arg(long, value_name = "active|archived|all", default_value = "active")]
        status: StatusFilter,
    },
}

#[derive(Debug, Args)]
pub struct UploadArgs {
    /// A OneRoster CSV zip, or a folder of OneRoster CSV files.
    pub path: PathBuf,
    /// The district the roster is for.
    #[arg(long, value_name = "DISTRICT_ID")]
    pub district: String,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create an API key and print its secret, once: it cannot be shown again.
    Create(KeysCreateArgs),
    /// List every API key, newest first (never their secrets).
    List,
    /// Revoke an API key: the next call made with it fails.
    Revoke {
        /// The key's id (from `keys list`).
        key_id: String,
    },
}

#[derive(Debug, Args)]
pub struct KeysCreateArgs {
    /// The key's name, shown by `keys list`.
    #[arg(long)]
    pub name: String,
    /// What the key may do.
    #[arg(long, value_name = "admin|operator|reader")]
    pub role: ApiKeyRole,
    /// A district an operator or reader key covers (repeatable).
    #[arg(
        long = "district",
        value_name = "DISTRICT_ID",
        conflicts_with = "all_districts"
    )]
    pub districts: Vec<String>,
    /// An operator or reader key for every district (the product's own backend).
    #[arg(long)]
    pub all_districts: bool,
    /// Calls per second the key may make (default: the server's).
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<u32>,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only events of this district.
    #[arg(long, value_name = "DISTRICT_ID")]
    pub district: Option<String>,
    /// Only events of calls made with this key.
    #[arg(long, value_name = "KEY_ID")]
    pub key: Option<String>,
    /// Only events at or after this time (RFC 3339, e.g. 2026-09-01T00:00:00Z).
    #[arg(long, value_name = "RFC3339", value_parser = rfc3339)]
    pub since: Option<SystemTime>,
    /// Only events before this time (RFC 3339).
    #[arg(long, value_name = "RFC3339", value_parser = rfc3339)]
    pub until: Option<SystemTime>,
    /// Show at most this many events.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

/// Reads an RFC 3339 time, e.g. `2026-09-01T06:30:00Z` or `2026-09-01T08:30:00+02:00`.
fn rfc3339(text: &str) -> Result<SystemTime, String> {
    let bad = || format!("`{text}` is not an RFC 3339 time, e.g. 2026-09-01T06:30:00Z");
    let timestamp: Timestamp = text.trim().parse().map_err(|_| bad())?;
    SystemTime::try_from(timestamp).map_err(|_| bad())
}

/// The units of durations rosterctl reads and prints, largest first, in seconds.
pub const DURATION_UNITS: [(&str, u64); 4] = [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)];

/// Reads a duration in whole seconds: `90s`, `30m`, `24h`, `7d`, or a bare number of
/// seconds, as the server's own duration flags read them (less `ms`: the API takes plan
/// lifetimes in whole seconds).
fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bad = || format!("`{text}` is not a duration like 90m, 24h or 7d");
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let count: u64 = number.parse().map_err(|_| bad())?;
    let unit = if unit.is_empty() { "s" } else { unit };
    let (_, seconds) = DURATION_UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .ok_or_else(bad)?;
    Ok(Duration::from_secs(count.saturating_mul(*seconds)))
}

#[derive(Debug, Subcommand)]
pub enum EraseCommand {
    /// Erase a student, guardian or staff member and everything that names it; syncs
    /// then skip its source id until the suppression is lifted.
    Person {
        /// The person's id.
        person_id: String,
    },
    /// Erase a whole district: every roster row, run, issue, upload, setting and secret
    /// of it (admin key needed).
    District {
        /// The district's id.
        district_id: String,
        /// The district's display name, repeated exactly, as a guard against erasing the
        /// wrong one.
        #[arg(long, value_name = "NAME")]
        confirm_name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SuppressionsCommand {
    /// List a district's suppressed source ids.
    List {
        /// The district's id.
        district_id: String,
    },
    /// Lift a suppression: the next sync may create the record again.
    Lift {
        /// The suppression's id (from `suppressions list` or `erase person`).
        suppression_id: String,
    },
}
