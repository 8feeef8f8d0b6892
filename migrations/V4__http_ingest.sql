-- http-ingest: projects, their write keys and public ingest tokens, and the events CLIs post.

-- A project is one repository's identity (seed 003): `{repo_name}__{8-char-hash}`, the hash
-- being the first 8 hex digits of SHA-256 of the git remote (or the repository root when
-- there is no remote), so forks and same-named repositories stay apart.
CREATE TABLE projects (
    project_id TEXT PRIMARY KEY CHECK (project_id ~ '^[A-Za-z0-9._-]{1,100}__[0-9a-f]{8}$'),
    repo_name  TEXT        NOT NULL,
    git_remote TEXT,
    status     TEXT        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Credentials. Only a SHA-256 of each key is kept; `prefix` (the key's first characters,
-- random and not secret) finds the row, and the hash is compared in constant time.
--   secret: `Authorization: Bearer tk_...`, for servers and CI.
--   public: `POST /p/tp_.../ingest`, for CLIs shipped to users: append-only, rate limited.
CREATE TABLE api_keys (
    id           BIGSERIAL PRIMARY KEY,
    project_id   TEXT        NOT NULL REFERENCES projects (project_id),
    kind         TEXT        NOT NULL CHECK (kind IN ('secret', 'public')),
    prefix       TEXT        NOT NULL UNIQUE,
    key_hash     BYTEA       NOT NULL CHECK (octet_length(key_hash) = 32),
    label        TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ
);

-- Events accepted per public token per minute (the rate limit's counter).
CREATE TABLE api_key_usage (
    key_id       BIGINT      NOT NULL REFERENCES api_keys (id),
    window_start TIMESTAMPTZ NOT NULL,
    events       INTEGER     NOT NULL,
    PRIMARY KEY (key_id, window_start)
);

-- Events posted to POST /ingest. `insert_id` is the client's when it sent one, otherwise a
-- digest of the event's content: a batch sent twice is stored once.
CREATE TABLE telemetry_events (
    id           BIGSERIAL PRIMARY KEY,
    project_id   TEXT        NOT NULL,
    insert_id    TEXT        NOT NULL,
    event        TEXT        NOT NULL,
    distinct_id  TEXT        NOT NULL,
    properties   JSONB       NOT NULL DEFAULT '{}'::jsonb,
    -- The client's timestamp as sent, and corrected by (received_at - sent_at) when the batch
    -- carried sent_at: a client clock that is off shifts both the same way.
    client_timestamp TIMESTAMPTZ,
    timestamp    TIMESTAMPTZ NOT NULL,
    sent_at      TIMESTAMPTZ,
    received_at  TIMESTAMPTZ NOT NULL,
    CONSTRAINT telemetry_events_insert_id UNIQUE (project_id, insert_id)
);
CREATE INDEX telemetry_events_project_time ON telemetry_events (project_id, timestamp);
CREATE INDEX telemetry_events_event_time ON telemetry_events (event, timestamp);
