-- Agent lifecycle records (design seed 002) and the S3 ingestion manifest.
--
-- Lines of one agent log can arrive out of order, twice, or split over several uploads, so
-- references between these tables are not foreign keys (a task line may land before its
-- session line), and every status change is an upsert that keeps the timeline right:
--   * each status has a rank (tasks: detected 1 < active 2 < completed/failed 3; workers:
--     spawned 1 < completed/failed 2); a record changes the status only when its rank is
--     higher, or equal with a later timestamp (`status_at`), so a late 'active' line never
--     reopens a completed task and a repeated line changes nothing;
--   * each milestone time keeps the earliest time it was reported (LEAST ignores NULLs).

CREATE TABLE sessions (
    session_id  TEXT PRIMARY KEY,
    started_at  TIMESTAMPTZ NOT NULL,
    ended_at    TIMESTAMPTZ,
    git_commit  TEXT,
    exit_reason TEXT,            -- normal, error, signal
    config      JSONB,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ
);

CREATE TABLE tasks (
    task_id      TEXT PRIMARY KEY,        -- e.g. gh-450
    session_id   TEXT,
    issue_number INTEGER,
    title        TEXT,
    -- The earliest time the task is known to exist: exact once its 'detected' line is in.
    detected_at  TIMESTAMPTZ NOT NULL,
    started_at   TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    failed_at    TIMESTAMPTZ,
    status       VARCHAR(16) NOT NULL CHECK (status IN ('detected', 'active', 'completed', 'failed')),
    status_at    TIMESTAMPTZ NOT NULL,
    pr_number    INTEGER,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ
);
CREATE INDEX tasks_session ON tasks (session_id);
CREATE INDEX tasks_status ON tasks (status, detected_at);

CREATE TABLE workers (
    worker_id    TEXT PRIMARY KEY,        -- e.g. w-abc123
    session_id   TEXT,
    task_id      TEXT,
    spawned_at   TIMESTAMPTZ NOT NULL,
    completed_at TIMESTAMPTZ,
    pid          INTEGER,
    status       VARCHAR(16) NOT NULL CHECK (status IN ('spawned', 'completed', 'failed')),
    status_at    TIMESTAMPTZ NOT NULL,
    exit_code    INTEGER,
    log_file     TEXT,                    -- path of the worker's JSONL conversation log
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ
);
CREATE INDEX workers_task ON workers (task_id);
CREATE INDEX workers_session ON workers (session_id);

-- Everything else: triggers, decisions, errors, worktree operations. `event_key` is a digest
-- of the record and its occurrence in the file, so a re-delivered line is stored once.
CREATE TABLE events (
    event_id     BIGSERIAL PRIMARY KEY,
    event_key    BYTEA NOT NULL UNIQUE CHECK (octet_length(event_key) = 16),
    session_id   TEXT,
    timestamp    TIMESTAMPTZ NOT NULL,
    event_type   TEXT NOT NULL,
    context_type TEXT,
    context_id   TEXT,
    severity     TEXT CHECK (severity IN ('debug', 'info', 'warning', 'error')),
    message      TEXT NOT NULL,
    details      JSONB,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX events_session ON events (session_id, timestamp);
CREATE INDEX events_type ON events (event_type, timestamp);
CREATE INDEX events_severity ON events (severity, timestamp);
CREATE INDEX events_context ON events (context_id, timestamp);

-- API calls from agent logs land in llm_calls, linked to their worker, task and session.
ALTER TABLE llm_calls ADD COLUMN worker_id TEXT, ADD COLUMN task_id TEXT;
CREATE INDEX llm_calls_worker ON llm_calls (worker_id) WHERE worker_id IS NOT NULL;
CREATE INDEX llm_calls_task ON llm_calls (task_id) WHERE task_id IS NOT NULL;

-- One row per S3 object version seen: an event delivered again for the same bucket, key and
-- ETag (or version id) is a no-op once its ingestion succeeded; a failed or interrupted one
-- is processed again (row-level idempotency makes that safe).
CREATE TABLE s3_objects (
    bucket        TEXT        NOT NULL,
    key           TEXT        NOT NULL,
    etag          TEXT        NOT NULL,
    version_id    TEXT        NOT NULL DEFAULT '',
    size_bytes    BIGINT,
    status        VARCHAR(16) NOT NULL CHECK (status IN ('processing', 'succeeded', 'rejected', 'failed')),
    attempts      INTEGER     NOT NULL DEFAULT 1,
    ingest_run_id BIGINT REFERENCES ingest_runs (id),
    rejects_key   TEXT,
    error         TEXT,
    first_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (bucket, key, etag, version_id)
);

-- Status ranks used by the upserts (see the top of this file).
CREATE FUNCTION task_status_rank(status TEXT) RETURNS INTEGER
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT CASE status WHEN 'detected' THEN 1 WHEN 'active' THEN 2 ELSE 3 END $$;
CREATE FUNCTION worker_status_rank(status TEXT) RETURNS INTEGER
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT CASE status WHEN 'spawned' THEN 1 ELSE 2 END $$;
