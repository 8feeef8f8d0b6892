-- Outbox (seed 003's transactional outbox, published to EventBridge), briefings and job
-- history (seed 003), the LLM cost budget, and prune bookkeeping.

-- Facts other tools react to. A row is written in the same transaction as the data it
-- describes, so a rolled-back write leaves no event, and a committed one always has its event.
-- `event_id` is the replay cursor and the id consumers dedup on. `dedup_key`, when set, makes
-- a fact that can be observed again (a run seen failed twice, a budget crossed twice in a day)
-- produce one event.
CREATE TABLE outbox_events (
    event_id        BIGSERIAL PRIMARY KEY,
    ts              TIMESTAMPTZ NOT NULL DEFAULT now(),
    type            TEXT        NOT NULL,
    -- Ordering domain: events of one source are published in event_id order.
    source          TEXT        NOT NULL,
    project_id      TEXT,
    briefing_id     BIGINT,
    broadcast_level TEXT CHECK (broadcast_level IN ('silent', 'mention', 'highlight', 'alert')),
    payload         JSONB       NOT NULL,
    dedup_key       TEXT UNIQUE,
    delivered_at    TIMESTAMPTZ,
    attempts        INTEGER     NOT NULL DEFAULT 0,
    last_error      TEXT
);
CREATE INDEX outbox_events_undelivered ON outbox_events (event_id) WHERE delivered_at IS NULL;
CREATE INDEX outbox_events_project ON outbox_events (project_id, event_id);

-- Session completions (seed 003). The seed's unique key, with NULLs equal so that a briefing
-- without a task id is still stored once.
CREATE TABLE briefings (
    briefing_id      BIGSERIAL PRIMARY KEY,
    project_id       TEXT        NOT NULL REFERENCES projects (project_id),
    session_id       TEXT,
    task_id          TEXT,
    status           TEXT        NOT NULL
        CHECK (status IN ('completed', 'blocked', 'failed', 'waiting_for_input')),
    started_at       TIMESTAMPTZ,
    ended_at         TIMESTAMPTZ,
    impact_level     TEXT CHECK (impact_level IN ('trivial', 'minor', 'moderate', 'major')),
    broadcast_level  TEXT CHECK (broadcast_level IN ('silent', 'mention', 'highlight')),
    doc_drift_risk   TEXT CHECK (doc_drift_risk IN ('low', 'medium', 'high')),
    base_commit      TEXT,
    head_commit      TEXT,
    branch           TEXT,
    blockers         JSONB       NOT NULL DEFAULT '[]'::jsonb,
    next_steps       JSONB       NOT NULL DEFAULT '[]'::jsonb,
    docs_touched     JSONB       NOT NULL DEFAULT '[]'::jsonb,
    files_touched    JSONB       NOT NULL DEFAULT '[]'::jsonb,
    raw_markdown     TEXT        NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT briefings_identity UNIQUE NULLS NOT DISTINCT (project_id, session_id, task_id, ended_at)
);
CREATE INDEX briefings_project ON briefings (project_id, ended_at);

-- Headless job history (seed 003). The seed's job_id is a local autoincrement; here the
-- sender's id, unique per project, identifies a job across re-deliveries and status updates.
CREATE TABLE jobs (
    id              BIGSERIAL PRIMARY KEY,
    project_id      TEXT        NOT NULL REFERENCES projects (project_id),
    job_id          TEXT        NOT NULL,
    type            TEXT        NOT NULL
        CHECK (type IN ('worker_task', 'skill_patch', 'doc_patch', 'commander_turn')),
    model           TEXT        NOT NULL,
    status          TEXT        NOT NULL
        CHECK (status IN ('queued', 'running', 'completed', 'failed', 'canceled')),
    ts_created      TIMESTAMPTZ NOT NULL,
    ts_started      TIMESTAMPTZ,
    ts_finished     TIMESTAMPTZ,
    repo_root       TEXT,
    request         JSONB       NOT NULL,
    stream_chunks   JSONB,
    result          JSONB,
    error           TEXT,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT jobs_identity UNIQUE (project_id, job_id)
);
CREATE INDEX jobs_created ON jobs (ts_created);

-- The daily LLM cost above which an `llm_budget_exceeded` event is written (once per day).
CREATE TABLE llm_budget (
    scope      TEXT PRIMARY KEY CHECK (scope = 'daily'),
    usd        NUMERIC(14, 2) NOT NULL CHECK (usd > 0),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per prune (nightly or by hand): per table the cut-off, rows archived, deleted, kept.
CREATE TABLE prune_runs (
    id          BIGSERIAL PRIMARY KEY,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    dry_run     BOOLEAN     NOT NULL,
    complete    BOOLEAN     NOT NULL,
    tables      JSONB       NOT NULL,
    error       TEXT
);
CREATE INDEX prune_runs_started ON prune_runs (started_at);

-- Every archive object written, confirmed before any of its rows was deleted. A month is one
-- object, or several parts when its pruning was interrupted or rows arrived late.
CREATE TABLE prune_archives (
    table_name TEXT        NOT NULL,
    month      DATE        NOT NULL,
    part       INTEGER     NOT NULL,
    bucket     TEXT        NOT NULL,
    key        TEXT        NOT NULL,
    rows       BIGINT      NOT NULL,
    bytes      BIGINT      NOT NULL,
    written_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (table_name, month, part)
);

-- Time columns the retention deletes range over.
CREATE INDEX telemetry_events_time ON telemetry_events (timestamp);
CREATE INDEX events_time ON events (timestamp);
CREATE INDEX ingest_runs_started ON ingest_runs (started_at);
CREATE INDEX github_sync_runs_started ON github_sync_runs (started_at);
