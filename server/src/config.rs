//! Typed configuration: every flag also reads a `ROSTER_*` environment variable, and a bad
//! value fails at start-up with a message naming it, never at the first request.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// The roster-sync gRPC service.
///
/// Flags go after the subcommand (`roster-server serve --listen ...`), or with none at
/// all (`roster-server --listen ...` serves): flags before a subcommand are refused, not
/// silently ignored for that subcommand's defaults.
#[derive(Debug, Parser)]
#[command(
    name = "roster-server",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Used when no subcommand is given: `roster-server` alone serves.
    #[command(flatten)]
    pub serve: ServeConfig,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the gRPC API (the default).
    Serve(Box<ServeConfig>),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseConfig),
    /// API keys, made on the server's own machine (the first admin key).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Source secrets at rest.
    #[command(subcommand)]
    Secrets(SecretsCommand),
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Creates an API key and prints it once: the first admin key is made this way,
    /// every other over the API (`rosterctl keys create`).
    Create(CreateKey),
}

#[derive(Debug, Clone, Args)]
pub struct CreateKey {
    #[command(flatten)]
    pub database: DatabaseConfig,
    /// admin, operator or reader.
    #[arg(long, value_enum)]
    pub role: KeyRole,
    /// What the key is for, e.g. `ops-laptop` or `backend`.
    #[arg(long)]
    pub name: String,
    /// A district an operator or reader key covers (repeatable).
    #[arg(long = "district")]
    pub districts: Vec<i64>,
    /// An operator or reader key for every district (the product's own backend).
    #[arg(long)]
    pub all_districts: bool,
}

/// An API key's role, on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyRole {
    Admin,
    Operator,
    Reader,
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Ends a rolling deploy from the previous release: clears the plain copies of
    /// secrets that release stored, once every replica runs this one (each was sealed
    /// at this release's first start).
    FinishRollout(DatabaseConfig),
}

/// Where the store lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// `mysql://user:pass@host:port/db` (production) or `sqlite://path` (embedded default).
    #[arg(
        long,
        env = "ROSTER_DATABASE_URL",
        default_value = "sqlite://./roster.db"
    )]
    pub database_url: String,
    /// Most connections the pool keeps open (SQLite uses at most 4 whatever this says).
    #[arg(long, env = "ROSTER_DB_POOL_SIZE", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub db_pool_size: u32,
    /// How long a request waits for a free database connection, e.g. `5s`.
    #[arg(long, env = "ROSTER_DB_CONNECT_TIMEOUT", default_value = "5s", value_parser = parse_duration)]
    pub db_connect_timeout: Duration,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    #[command(flatten)]
    pub database: DatabaseConfig,
    /// Address to listen on.
    #[arg(long, env = "ROSTER_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// Do not apply pending migrations at start-up.
    #[arg(long, env = "ROSTER_NO_MIGRATE")]
    pub no_migrate: bool,
    #[arg(long, env = "ROSTER_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Longest a unary call may take, e.g. `30s`.
    #[arg(long, env = "ROSTER_REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// Longest an UploadRosterArchive stream may take, e.g. `30m`.
    #[arg(long, env = "ROSTER_UPLOAD_TIMEOUT", default_value = "30m", value_parser = parse_duration)]
    pub upload_timeout: Duration,
    /// Serve Prometheus metrics at `http://ADDR/metrics` (off unless given), e.g.
    /// `0.0.0.0:9464`.
    #[arg(long, env = "ROSTER_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Most requests served at once per connection.
    #[arg(long, env = "ROSTER_CONCURRENCY_LIMIT", default_value_t = 256)]
    pub concurrency_limit: usize,
    /// How often the store is checked for health reporting, e.g. `5s`.
    #[arg(long, env = "ROSTER_HEALTH_INTERVAL", default_value = "5s", value_parser = parse_duration)]
    pub health_interval: Duration,
    /// Folder under which OneRoster CSV sources may be read by path.
    #[arg(long, env = "ROSTER_IMPORT_DIR", default_value = "./import")]
    pub import_dir: PathBuf,
    /// Folder for uploaded roster archives.
    #[arg(long, env = "ROSTER_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// PEM certificate chain to serve TLS with (with --tls-key); plain HTTP/2 without.
    #[arg(long, env = "ROSTER_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "ROSTER_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// PEM CA certificates: only clients with a certificate from one of them connect
    /// (mutual TLS, with --tls-cert and --tls-key).
    #[arg(long, env = "ROSTER_TLS_CLIENT_CA", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
    /// Let every call in without an API key. Logged as a warning at start-up; never for
    /// a server others can reach.
    #[arg(long, env = "ROSTER_INSECURE_NO_AUTH")]
    pub insecure_no_auth: bool,
    /// Calls per second an API key may make unless it has a rate of its own.
    #[arg(long, env = "ROSTER_RATE_LIMIT_PER_SECOND", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_per_second: u32,
    /// File holding the key (32 bytes, base64) source secrets are sealed with. Without
    /// it, `ROSTER_SECRET_KEY` holds the key itself; without either, the server uses (and
    /// on first start creates) `<data-dir>/secret.key`. Replicas must share one key.
    #[arg(long, env = "ROSTER_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,
    /// Runs worked on at once by this server.
    #[arg(long, env = "ROSTER_WORKER_CONCURRENCY", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub worker_concurrency: u32,
    /// Roster rows this server keeps loaded between runs, over every district (0: none).
    /// A run that settles its district leaves the roster loaded for the district's next
    /// run, which then reads its source without loading the roster beside it; about
    /// 125 bytes of memory per row (a 100k-student district counts about a million, a 1M
    /// one about ten million).
    #[arg(long, env = "ROSTER_WARM_ROSTER_ROWS", default_value_t = 2_000_000)]
    pub warm_roster_rows: usize,
    /// How long a roster is kept loaded without a run of its district, e.g. `30m`.
    #[arg(long, env = "ROSTER_WARM_ROSTER_IDLE", default_value = "30m", value_parser = parse_duration)]
    pub warm_roster_idle: Duration,
    /// How long a run stays this server's without a renewal (renewed every third of it);
    /// a crashed server's district is free again within it.
    #[arg(long, env = "ROSTER_RUN_LEASE", default_value = "30s", value_parser = parse_duration)]
    pub run_lease: Duration,
    /// Most WatchSync streams open at once on this server.
    #[arg(long, env = "ROSTER_MAX_WATCH_STREAMS", default_value_t = 10_000)]
    pub max_watch_streams: usize,
    /// A source host the server may reach although it is plain http or an internal
    /// address, e.g. `sis.district.local` or `127.0.0.1:8080` (repeatable; the
    /// environment variable takes a comma-separated list).
    #[arg(
        long = "allow-source-host",
        env = "ROSTER_ALLOW_SOURCE_HOSTS",
        value_delimiter = ','
    )]
    pub allow_source_hosts: Vec<String>,
    /// Largest answer a source may give to one request, in bytes.
    #[arg(long, env = "ROSTER_MAX_RESPONSE_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_response_bytes: u64,
    /// Most pages one run may fetch from a source.
    #[arg(long, env = "ROSTER_MAX_PAGES", default_value_t = 100_000)]
    pub max_pages: u64,
    /// Longest a run may take before it is failed, e.g. `2h`.
    #[arg(long, env = "ROSTER_RUN_DEADLINE", default_value = "2h", value_parser = parse_duration)]
    pub run_deadline: Duration,
    /// Largest zip entry of a OneRoster archive, counted as it inflates, in bytes (S5.1).
    #[arg(long, env = "ROSTER_MAX_ZIP_ENTRY_BYTES", default_value_t = 2 << 30)]
    pub max_zip_entry_bytes: u64,
    /// Longest cell of a OneRoster CSV file, in bytes (S5.1).
    #[arg(long, env = "ROSTER_MAX_CSV_CELL_BYTES", default_value_t = 64 << 10)]
    pub max_csv_cell_bytes: usize,
    /// Most cells in one row of a OneRoster CSV file (S5.1).
    #[arg(long, env = "ROSTER_MAX_CSV_CELLS_PER_ROW", default_value_t = 512)]
    pub max_csv_cells_per_row: usize,
    /// Most data rows in one OneRoster CSV file (S5.1).
    #[arg(long, env = "ROSTER_MAX_CSV_ROWS", default_value_t = 20_000_000)]
    pub max_csv_rows: u64,
    /// Largest roster archive UploadRosterArchive accepts, in bytes.
    #[arg(long, env = "ROSTER_MAX_UPLOAD_BYTES", default_value_t = 512 * 1024 * 1024)]
    pub max_upload_bytes: u64,
    /// Most bytes one district's uploads may hold together.
    #[arg(long, env = "ROSTER_UPLOAD_QUOTA_BYTES", default_value_t = 4 * 1024 * 1024 * 1024)]
    pub upload_quota_bytes: u64,
    /// How long run reports (issues) and audit events are kept, e.g. `365d`.
    #[arg(long, env = "ROSTER_REPORT_RETENTION", default_value = "365d", value_parser = parse_duration)]
    pub report_retention: Duration,
    /// How long an upload is kept after its last use, e.g. `7d`.
    #[arg(long, env = "ROSTER_UPLOAD_RETENTION", default_value = "7d", value_parser = parse_duration)]
    pub upload_retention: Duration,
}

/// Parses `500ms`, `5s`, `2m`, `2h`, `7d` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 500ms, 5s or 2m"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        "h" => Ok(Duration::from_secs(n.saturating_mul(3600))),
        "d" => Ok(Duration::from_secs(n.saturating_mul(86_400))),
        _ => Err(format!(
            "`{text}`: unknown unit `{unit}` (use ms, s, m, h or d)"
        )),
    }
}

impl ServeConfig {
    /// A configuration for tests and embedding: the given store, an ephemeral port on
    /// loopback, everything else at its default.
    pub fn for_database(database_url: &str) -> Self {
        let mut config = Cli::parse_from(["roster-server"]).serve;
        config.database.database_url = database_url.to_owned();
        config.listen = "127.0.0.1:0".parse().expect("valid address");
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_before_a_subcommand_are_refused_not_ignored() {
        let refused = Cli::try_parse_from(["roster-server", "--database-url", "x", "serve"]);
        assert!(refused.is_err());
        let keys = ["roster-server", "--database-url", "x", "keys", "create"];
        assert!(Cli::try_parse_from(keys).is_err());
        let alone = Cli::try_parse_from(["roster-server", "--listen", "127.0.0.1:1"]).unwrap();
        assert!(alone.command.is_none());
        assert_eq!(alone.serve.listen.port(), 1);
        let after = ["roster-server", "serve", "--database-url", "sqlite://x.db"];
        match Cli::try_parse_from(after).unwrap().command {
            Some(Command::Serve(c)) => assert_eq!(c.database.database_url, "sqlite://x.db"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert!(parse_duration("5w").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
