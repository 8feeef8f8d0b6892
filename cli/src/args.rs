//! The command line: every subcommand and its flags (clap derive).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

mod sub;

pub(crate) use sub::{
    GithubCommand, IngestCommand, KeysCommand, PricesCommand, ProjectsCommand, PushArgs, TreeArgs,
};

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
        /// Group by any of project, repository, branch, user, tool, model, task, session,
        /// comma-separated (`--by project,model`).
        #[arg(long)]
        by: Option<String>,
        /// Per branch (of each repository): the LLM cost beside the branch's workflow runs,
        /// failures and run minutes. Takes `--by branch`.
        #[arg(long)]
        with_ci: bool,
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
    /// Send this machine's Claude Code and Codex transcripts to the HTTP API with the key of
    /// `telemetry login` (no database or AWS credentials): each call once, however often it
    /// runs; what cannot be sent now is sent next time. Silent unless -v.
    Push(PushArgs),
    /// Keep the API's endpoint and a secret key for `telemetry push` in
    /// ~/.config/telemetry/config.toml (mode 0600).
    Login {
        /// The API base, e.g. https://API_ID.execute-api.REGION.amazonaws.com.
        #[arg(long)]
        endpoint: String,
        /// A project's secret key (tk_...).
        #[arg(long, env = "TELEMETRY_KEY", hide_env_values = true)]
        key: String,
        /// Use this key only for sessions in this project's repository (repo__8hex, as
        /// `telemetry keys create` prints it); without it, the key for every session.
        #[arg(long)]
        project: Option<String>,
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
