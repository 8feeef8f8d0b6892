-- Core schema: GitHub Actions runs, LLM calls, coverage snapshots, ingestion bookkeeping.
-- Columns and keys follow the ingestion-pipeline design (seed 000); the departures below are
-- there for correctness and each is explained where it is made.

-- One row per (run, attempt): GitHub re-runs keep the run id and bump run_attempt.
CREATE TABLE workflow_runs (
    id                BIGSERIAL PRIMARY KEY,
    github_run_id     BIGINT       NOT NULL,
    run_attempt       INTEGER      NOT NULL DEFAULT 1 CHECK (run_attempt >= 1),
    -- owner/name: run ids are global, but every query a team asks is per repository.
    repository        TEXT         NOT NULL,
    workflow_name     VARCHAR(255) NOT NULL,
    branch            VARCHAR(255),
    commit_sha        VARCHAR(40),
    event_type        VARCHAR(50),
    -- GitHub's status (queued, in_progress, completed, waiting, requested, pending) and
    -- conclusion (success, failure, cancelled, skipped, neutral, timed_out,
    -- action_required, stale, startup_failure): stored as sent, never remapped.
    status            VARCHAR(20)  NOT NULL,
    conclusion        VARCHAR(20),
    started_at        TIMESTAMPTZ,
    completed_at      TIMESTAMPTZ,
    duration_seconds  INTEGER CHECK (duration_seconds >= 0),
    html_url          TEXT,
    -- GitHub's updated_at: an upsert only overwrites a row with a newer one.
    github_updated_at TIMESTAMPTZ,
    created_at        TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ,
    UNIQUE (github_run_id, run_attempt)
);
CREATE INDEX workflow_runs_repo_started ON workflow_runs (repository, started_at);
CREATE INDEX workflow_runs_started ON workflow_runs (started_at);

-- LLM calls, one row per billed API call.
--
-- Identity. The seed keyed calls on UNIQUE(timestamp, session_id, prompt_name). That key is
-- wrong twice over: NULLs never conflict, so every usage.csv row (no session column, often
-- no prompt name) would be inserted again on each re-upload; and two distinct calls that
-- share a timestamp and prompt would be merged. Instead each source derives `dedup_key`:
-- the call's timestamp (8 bytes, big-endian, so the index stays append-mostly and a batch's
-- look-ups stay close together) followed by a 64-bit digest of what identifies one call
-- in that source:
--   * usage_csv: (timestamp, model, task_type, occurrence), where occurrence is the ordinal
--     of that (timestamp, model, task_type) triple among the rows before it in the file.
--     usage.csv is append-only, so a re-upload or a grown copy yields the same keys for the
--     rows it already had (they become duplicates, or updates when a value was corrected),
--     and two genuinely identical calls stay two rows (occurrence 0 and 1), never merged.
--     The key does not depend on the file's name or path, so the same file uploaded from
--     another place is still recognised.
--   * sources with their own ids (e.g. Claude Code message id + request id) hash those.
-- Tokens, cost, success, duration and notes are attributes: a changed value updates the row.
--
-- content_hash is a 64-bit digest of those attributes, computed by the writer. The unique index
-- carries it (INCLUDE), so a batch learns from the index alone which of its calls are new,
-- unchanged or changed: new calls are written with COPY, changed ones updated, unchanged ones
-- not touched at all (a re-ingest writes nothing).
CREATE TABLE llm_calls (
    id                 BIGSERIAL PRIMARY KEY,
    dedup_key          BYTEA        NOT NULL CHECK (octet_length(dedup_key) = 16),
    content_hash       BIGINT       NOT NULL,
    source             VARCHAR(32)  NOT NULL,
    timestamp          TIMESTAMPTZ  NOT NULL,
    phase              VARCHAR(50),
    prompt_name        VARCHAR(255),
    model              VARCHAR(100) NOT NULL,
    -- Split the way providers bill: uncached input, cache read, cache write, output.
    -- OpenAI-style sources (cached tokens inside input) are split before storing.
    input_tokens       INTEGER      NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
    cache_read_tokens  INTEGER      NOT NULL DEFAULT 0 CHECK (cache_read_tokens >= 0),
    cache_write_tokens INTEGER      NOT NULL DEFAULT 0 CHECK (cache_write_tokens >= 0),
    output_tokens      INTEGER      NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
    total_tokens       BIGINT GENERATED ALWAYS AS
        (input_tokens::BIGINT + cache_read_tokens + cache_write_tokens + output_tokens) STORED,
    -- NULL exactly when the model has no price: never a silent $0.
    estimated_cost     NUMERIC(14, 8),
    cost_status        VARCHAR(16)  NOT NULL
        CHECK (cost_status IN ('priced', 'unknown_model', 'from_source')),
    -- Price-table version used, so costs can be recomputed when prices change.
    price_version      VARCHAR(32),
    success            BOOLEAN,
    error_message      TEXT,
    duration_ms        INTEGER CHECK (duration_ms >= 0),
    session_id         VARCHAR(255),
    notes              TEXT,
    created_at         TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ,
    CHECK ((estimated_cost IS NULL) = (cost_status = 'unknown_model')),
    CONSTRAINT llm_calls_dedup_key UNIQUE (dedup_key) INCLUDE (content_hash)
);
CREATE INDEX llm_calls_timestamp ON llm_calls (timestamp);
CREATE INDEX llm_calls_session ON llm_calls (session_id) WHERE session_id IS NOT NULL;

-- Coverage summaries (also used by the coverage-report phase): totals per commit and format.
CREATE TABLE coverage_snapshots (
    id                BIGSERIAL PRIMARY KEY,
    repository        TEXT        NOT NULL,
    branch            VARCHAR(255),
    commit_sha        VARCHAR(40) NOT NULL,
    format            VARCHAR(16) NOT NULL CHECK (format IN ('lcov', 'cobertura', 'istanbul')),
    lines_covered     INTEGER     NOT NULL CHECK (lines_covered >= 0),
    lines_total       INTEGER     NOT NULL CHECK (lines_total >= lines_covered),
    branches_covered  INTEGER CHECK (branches_covered >= 0),
    branches_total    INTEGER CHECK (branches_total >= branches_covered),
    functions_covered INTEGER CHECK (functions_covered >= 0),
    functions_total   INTEGER CHECK (functions_total >= functions_covered),
    -- Derived, so a percentage can never disagree with its counts.
    line_percent      NUMERIC(5, 2) GENERATED ALWAYS AS
        (CASE WHEN lines_total > 0 THEN round(100.0 * lines_covered / lines_total, 2) END) STORED,
    branch_percent    NUMERIC(5, 2) GENERATED ALWAYS AS
        (CASE WHEN branches_total > 0 THEN round(100.0 * branches_covered / branches_total, 2) END) STORED,
    captured_at       TIMESTAMPTZ NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (repository, commit_sha, format)
);
CREATE INDEX coverage_snapshots_branch ON coverage_snapshots (repository, branch, captured_at);

-- One row per ingestion of one source (a file path, later an S3 object or a sync), with its
-- counts. A finished run's counts add up to the records it read (enforced).
CREATE TABLE ingest_runs (
    id            BIGSERIAL PRIMARY KEY,
    source_kind   VARCHAR(32) NOT NULL,
    source_uri    TEXT        NOT NULL,
    -- What identifies this version of the source (size + digest, ETag, ...).
    source_version TEXT,
    status        VARCHAR(16) NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'succeeded', 'failed')),
    started_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at   TIMESTAMPTZ,
    rows_read     BIGINT      NOT NULL DEFAULT 0,
    inserted      BIGINT      NOT NULL DEFAULT 0,
    updated       BIGINT      NOT NULL DEFAULT 0,
    duplicates    BIGINT      NOT NULL DEFAULT 0,
    rejected      BIGINT      NOT NULL DEFAULT 0,
    -- Valid lines that carry no telemetry (JSONL user turns, summaries).
    skipped       BIGINT      NOT NULL DEFAULT 0,
    cost_usd      NUMERIC(18, 8),
    -- The first rejects (line, reason); `rejected` holds the full count.
    rejects       JSONB       NOT NULL DEFAULT '[]'::jsonb,
    error         TEXT,
    CONSTRAINT ingest_runs_counts_add_up CHECK
        (status <> 'succeeded' OR rows_read = inserted + updated + duplicates + rejected + skipped)
);
CREATE INDEX ingest_runs_source ON ingest_runs (source_kind, source_uri, started_at);
