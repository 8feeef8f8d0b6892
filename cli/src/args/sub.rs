//! The subcommands' own subcommands and shared flags: ingest, github, keys, prices, projects.

use std::path::PathBuf;

use clap::Subcommand;

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

/// `telemetry push`.
#[derive(clap::Args)]
pub(crate) struct PushArgs {
    /// Files, directories (walked for *.jsonl, *.jsonl.gz) or globs; with none and neither
    /// flag, both default trees.
    pub paths: Vec<PathBuf>,
    /// Claude Code's transcripts (~/.claude/projects, $CLAUDE_CONFIG_DIR).
    #[arg(long)]
    pub claude: bool,
    /// Codex's sessions (~/.codex/sessions, $CODEX_HOME).
    #[arg(long)]
    pub codex: bool,
    /// Say what was sent, per file.
    #[arg(short, long)]
    pub verbose: bool,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}
