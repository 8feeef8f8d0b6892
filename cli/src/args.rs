//! The command line: every subcommand and its flags (clap derive).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Telemetry pipeline operator CLI.
#[derive(Parser)]
#[command(name = "telemetry", version, about)]
pub(crate) struct Cli {
    /// PostgreSQL connection string (URL or key=value; sslmode=disable|prefer|require|verify-full).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub(crate) database_url: Option<String>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Apply pending database migrations.
    Migrate {
        /// Create the database the URL names first, when it does not exist.
        #[arg(long)]
        create_database: bool,
    },
    /// Ingest telemetry from a source.
    #[command(subcommand)]
    Ingest(IngestCommand),
    /// Repositories synced from GitHub (in addition to GITHUB_REPOSITORIES).
    #[command(subcommand)]
    Github(GithubCommand),
    /// Write keys and public ingest tokens of the HTTP API.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// LLM cost over a period, in total or by model, task or session.
    Cost {
        /// Since midnight UTC today.
        #[arg(long, conflicts_with = "since")]
        today: bool,
        /// Since this day (YYYY-MM-DD) or time (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// Group by model, task or session.
        #[arg(long)]
        by: Option<String>,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// The dashboard as one HTML file, its data inlined (for a weekly mail).
    Report {
        /// Write the page here.
        #[arg(long, value_name = "FILE")]
        html: PathBuf,
        /// From: an RFC 3339 time, a UTC day (YYYY-MM-DD) or a span before now (24h, 7d;
        /// default 7d).
        #[arg(long)]
        since: Option<String>,
        /// Until (excluded; default now).
        #[arg(long)]
        until: Option<String>,
        /// Only this project (default: every project, and rows of none).
        #[arg(long)]
        project: Option<String>,
    },
    /// One agent task: status, workers with their calls and cost, and its timeline.
    Task {
        /// Task id (e.g. gh-450).
        id: String,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// One agent worker: its record, calls and cost; with --show-conversation, its log
    /// (log_file, a local path) read as turns.
    Worker {
        /// Worker id (e.g. w-abc123).
        id: String,
        /// Print the worker's conversation from its log_file.
        #[arg(long)]
        show_conversation: bool,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Agent events (triggers, decisions, ...) of the last period, optionally of one type.
    Events {
        /// Event type (trigger, decision, ...).
        #[arg(long = "type")]
        event_type: Option<String>,
        /// Period: 90m, 24h, 7d (default 24h).
        #[arg(long)]
        last: Option<String>,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Moved to `telemetry outbox --after N` (kept to say so).
        #[arg(long, hide = true)]
        after: Option<i64>,
    },
    /// Outbox events (the facts published to EventBridge) after a cursor, oldest first.
    Outbox {
        /// Events after this cursor (0, the default, for all).
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// Only this project's events.
        #[arg(long)]
        project: Option<String>,
        /// At most this many events.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Retention: archive rows past their table's retention to ARCHIVE_BUCKET, then delete
    /// them in batches; a report per table.
    Prune {
        /// Report what would be archived and deleted; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Override a table's retention, e.g. --retain llm_calls=12mo (repeatable).
        #[arg(long = "retain")]
        retain: Vec<String>,
        /// Stop after this many seconds (the next prune resumes).
        #[arg(long, default_value_t = 3600)]
        time_limit: u64,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Publish undelivered outbox events to the EventBridge bus EVENT_BUS_NAME; list the
    /// entries the bus kept rejecting (--parked), or send them again (--retry, --retry-all).
    Relay {
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
        /// List parked entries instead of relaying.
        #[arg(long, conflicts_with_all = ["retry", "retry_all"])]
        parked: bool,
        /// Unpark this entry (by event id) before relaying; repeatable.
        #[arg(long, value_name = "ID")]
        retry: Vec<i64>,
        /// Unpark every parked entry before relaying.
        #[arg(long, conflicts_with = "retry")]
        retry_all: bool,
    },
    /// Show or set the daily LLM cost budget (crossing it writes an llm_budget_exceeded event).
    Budget {
        /// Daily budget in USD.
        #[arg(long, conflicts_with = "clear")]
        daily: Option<f64>,
        /// Remove the budget.
        #[arg(long)]
        clear: bool,
    },
    /// Record a telemetry event and flush the local spool to the HTTP API (the client library
    /// CLIs embed, seed 001): batches of 25, oldest first; silent on failure.
    Send {
        /// Event name, e.g. cli_invocation.
        event: String,
        /// A property, KEY=VALUE (JSON values keep their type); repeatable.
        #[arg(long = "prop")]
        props: Vec<String>,
        /// API base with a public token (https://HOST/p/tp_...), or the base with --key.
        #[arg(long, env = "TELEMETRY_ENDPOINT")]
        endpoint: Option<String>,
        /// A secret key (Bearer), when the endpoint has no public token.
        #[arg(long, env = "TELEMETRY_KEY", hide_env_values = true)]
        key: Option<String>,
        /// Directory of the spool and the repository id.
        #[arg(long, env = "TELEMETRY_DIR", default_value = ".telemetry")]
        dir: std::path::PathBuf,
        /// Rename sent files to .flushed.json instead of deleting them.
        #[arg(long)]
        keep_flushed: bool,
        /// Print what happened as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The prices in force: the table's version and size and the team's overrides, or the
    /// rates that bill MODEL and how its name reached them.
    #[command(args_conflicts_with_subcommands = true)]
    Prices {
        #[command(subcommand)]
        action: Option<PricesCommand>,
        /// A model name as calls record it (e.g. us.anthropic.claude-sonnet-4-5-20250929-v1:0).
        model: Option<String>,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Recompute the cost of stored calls from the prices in force (after a price change
    /// or an override); calls whose cost came from their source keep it.
    Reprice {
        /// Only calls since this day (YYYY-MM-DD) or time (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// Only calls of this model (dated and prefixed names of it included).
        #[arg(long)]
        model: Option<String>,
        /// Report what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Run the HTTP API (the http-ingest routes) as an ordinary server, publishing the outbox
    /// in the background; stops on Ctrl-C or SIGTERM.
    Serve {
        /// Address to listen on (port 0 picks a free one, printed on stdout).
        #[arg(long, env = "TELEMETRY_LISTEN", default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// Database connections.
        #[arg(long, env = "DB_POOL_SIZE", default_value_t = 10)]
        pool_size: usize,
    },
    /// Briefings (seed 003), newest first: by project, status, impact and doc-drift risk.
    Briefings {
        /// Only this project (default: every project: the recent ones across projects).
        #[arg(long)]
        project: Option<String>,
        /// completed, blocked, failed or waiting_for_input.
        #[arg(long)]
        status: Option<String>,
        /// trivial, minor, moderate or major.
        #[arg(long)]
        impact: Option<String>,
        /// Doc-drift risk: low, medium or high (`--drift high`: the risky ones).
        #[arg(long)]
        drift: Option<String>,
        /// Since: a day, an RFC 3339 time or a span (default 30d).
        #[arg(long, default_value = "30d")]
        since: String,
        /// At most this many (1 to 1000).
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Headless jobs (seed 003), newest first: a project's history, or the pending ones.
    Jobs {
        /// Only this project.
        #[arg(long)]
        project: Option<String>,
        /// queued, running, completed, failed or canceled.
        #[arg(long, conflicts_with = "pending")]
        status: Option<String>,
        /// Only queued and running jobs.
        #[arg(long)]
        pending: bool,
        /// Since: a day, an RFC 3339 time or a span (default 30d).
        #[arg(long, default_value = "30d")]
        since: String,
        /// At most this many (1 to 1000).
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Projects (seed 003): the active ones, one found by its repository root, archiving.
    #[command(subcommand)]
    Projects(ProjectsCommand),
    /// Show totals and breakdowns: LLM cost and tokens, workflow runs.
    Stats {
        /// Start of the period (YYYY-MM-DD or RFC 3339); default: 30 days ago.
        #[arg(long)]
        since: Option<String>,
        /// Print one JSON document on stdout.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum ProjectsCommand {
    /// List projects: the active ones by default.
    List {
        /// The archived ones instead.
        #[arg(long, conflicts_with = "all")]
        archived: bool,
        /// Active and archived.
        #[arg(long)]
        all: bool,
        /// Only the project at this repository root (an absolute path).
        #[arg(long)]
        repo_root: Option<String>,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Archive a project (a soft delete: it leaves the active list; its rows and keys stay).
    Archive {
        /// Project id.
        id: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum PricesCommand {
    /// Price MODEL with the team's own rates (USD per million tokens), over the table.
    Set {
        /// A name as calls record it, or a normalised name (covers its dated variants).
        model: String,
        /// Uncached input.
        #[arg(long)]
        input: f64,
        /// Output.
        #[arg(long)]
        output: f64,
        /// Cache read (default: the input rate).
        #[arg(long)]
        cache_read: Option<f64>,
        /// 5-minute cache write (default: the input rate).
        #[arg(long)]
        cache_write: Option<f64>,
        /// 1-hour cache write (default: the 5-minute rate).
        #[arg(long)]
        cache_write_1h: Option<f64>,
        /// Provider label (default: the table's, else "custom").
        #[arg(long)]
        provider: Option<String>,
        /// Why (shown nowhere else: a reminder for the team).
        #[arg(long)]
        note: Option<String>,
    },
    /// Remove the team's rates for MODEL: the table prices it again.
    Unset {
        /// The model as given to `prices set`.
        model: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum KeysCommand {
    /// Create a key (printed once; only its hash is stored).
    Create {
        /// Project id (repo_name__8hex), or a repository name together with --remote.
        #[arg(long, required_unless_present = "all_projects")]
        project: Option<String>,
        /// The repository's git remote URL: derives the project id from --project as a name.
        #[arg(long)]
        remote: Option<String>,
        /// The repository's root (an absolute path), kept to find the project by it; without
        /// --remote the id derives from it (seed 003).
        #[arg(long)]
        repo_root: Option<String>,
        /// A public ingest token for the URL path (append-only, rate limited) instead of a
        /// secret bearer key.
        #[arg(long, conflicts_with = "read")]
        public: bool,
        /// A read key (bearer, for the read API and the dashboard): reads the project's
        /// data, writes nothing.
        #[arg(long)]
        read: bool,
        /// With --read: an admin read key that reads every project (and rows of none).
        #[arg(long, requires = "read", conflicts_with_all = ["project", "remote", "repo_root"])]
        all_projects: bool,
        /// A note shown by `keys list`.
        #[arg(long)]
        label: Option<String>,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// List keys (never the keys themselves).
    List {
        /// Only this project.
        #[arg(long)]
        project: Option<String>,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key or token by its prefix; it stops working at once.
    Revoke {
        /// The prefix shown by `keys list` (tk_..., tp_... or tr_...).
        prefix: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum GithubCommand {
    /// Add a repository to the sync (stored in the database).
    Add {
        /// owner/name
        repository: String,
    },
    /// Stop syncing a repository; its stored runs are kept.
    Remove {
        /// owner/name
        repository: String,
    },
    /// The repositories a sync covers, with their last sync.
    List {
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum IngestCommand {
    /// Sync GitHub Actions workflow runs, as the github-sync function does (token from
    /// GITHUB_TOKEN, else GITHUB_PERSONAL_TOKEN).
    Github {
        /// First day to fetch (YYYY-MM-DD); default: GITHUB_SYNC_DAYS (30) days ago.
        #[arg(long)]
        since: Option<String>,
        /// Only this repository (owner/name); repeatable. Default: every configured one.
        #[arg(long = "repo")]
        repos: Vec<String>,
        /// Print the report as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Stop cleanly after this many seconds (the next run resumes).
        #[arg(long, default_value_t = 900)]
        time_limit: u64,
    },
    /// Ingest a usage.csv file (default: $TELEMETRY_CSV_PATH, else .telemetry/usage.csv).
    Csv {
        /// Path to the CSV file.
        path: Option<PathBuf>,
        /// Print the report as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Rows per transaction.
        #[arg(long, env = "INGEST_BATCH_ROWS", default_value_t = telemetry_shared::config::DEFAULT_BATCH_ROWS)]
        batch_rows: usize,
    },
    /// Ingest JSONL logs (agent lifecycle records, Claude Code transcripts, Codex sessions)
    /// as one run: files (any name; .gz is decompressed), directories (walked for *.jsonl,
    /// *.jsonl.gz, *.ndjson) and glob patterns. Files unchanged since the last run are
    /// skipped, and grown ones read from where it stopped.
    Jsonl {
        /// Files, directories or patterns.
        paths: Vec<PathBuf>,
        #[command(flatten)]
        tree: TreeArgs,
    },
    /// Ingest one S3 object exactly as the s3-ingest function does (manifest, rejects file).
    S3 {
        /// s3://BUCKET/KEY
        uri: String,
        /// Print the outcome as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Lines per transaction.
        #[arg(long, env = "INGEST_BATCH_ROWS", default_value_t = telemetry_shared::config::DEFAULT_BATCH_ROWS)]
        batch_rows: usize,
    },
    /// Ingest any supported files, each's format taken from its name as s3-ingest does
    /// (.csv, .jsonl, .ndjson, each optionally .gz; coverage reports); directories and
    /// patterns as for `ingest jsonl`.
    File {
        /// Files, directories or patterns.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        tree: TreeArgs,
    },
    /// Run every ingestion in one command: the GitHub sync, the default usage.csv
    /// ($TELEMETRY_CSV_PATH, else .telemetry/usage.csv) and, with --claude / --codex, the
    /// default transcript trees. A source that is not there is skipped with a note.
    All {
        /// Also read Claude Code's transcripts (~/.claude/projects, $CLAUDE_CONFIG_DIR).
        #[arg(long)]
        claude: bool,
        /// Also read Codex's sessions (~/.codex/sessions, $CODEX_HOME).
        #[arg(long)]
        codex: bool,
        /// Print the report as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Stop the GitHub sync cleanly after this many seconds (the next run resumes).
        #[arg(long, default_value_t = 900)]
        time_limit: u64,
        /// Lines per transaction.
        #[arg(long, env = "INGEST_BATCH_ROWS", default_value_t = telemetry_shared::config::DEFAULT_BATCH_ROWS)]
        batch_rows: usize,
    },
}

/// How `ingest jsonl` and `ingest file` read many files.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct TreeArgs {
    /// Also read Claude Code's transcripts (~/.claude/projects, $CLAUDE_CONFIG_DIR).
    #[arg(long)]
    pub claude: bool,
    /// Also read Codex's sessions (~/.codex/sessions, $CODEX_HOME).
    #[arg(long)]
    pub codex: bool,
    /// Print the report as JSON on stdout (each file's counts under `files`).
    #[arg(long)]
    pub json: bool,
    /// Lines per transaction.
    #[arg(long, env = "INGEST_BATCH_ROWS", default_value_t = telemetry_shared::config::DEFAULT_BATCH_ROWS)]
    pub batch_rows: usize,
    /// Reading threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Read every file whole, even those unchanged since the last run.
    #[arg(long)]
    pub full: bool,
}
