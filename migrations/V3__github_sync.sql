-- github-sync state: which repositories to sync, how far each sync got, and what it did.

-- GitHub's created_at of the run (the same for every attempt). The runs list is filtered by it,
-- so a re-run of an old run appears only under its creation date; rows created before the
-- re-scanned period are refreshed one by one while they are not completed.
ALTER TABLE workflow_runs ADD COLUMN github_created_at TIMESTAMPTZ;
CREATE INDEX workflow_runs_not_completed ON workflow_runs (repository)
    WHERE status <> 'completed';

-- Repositories to sync, in addition to any listed in GITHUB_REPOSITORIES.
CREATE TABLE github_repositories (
    repository TEXT PRIMARY KEY
        CHECK (repository ~ '^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$'),
    enabled    BOOLEAN     NOT NULL DEFAULT true,
    added_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One `created=` window of one repository's runs list: a UTC day, or a part of one when the
-- day reached GitHub's 1,000-result cap for filtered queries and was split.
--
-- `pages` holds, per page of the window, the URL fetched (page 1 is built, later pages are the
-- `Link: rel="next"` URLs as given) and the ETag of the response. An ETag is stored in the same
-- transaction as the runs of its page, so a later 304 for that page proves its runs are stored:
-- an unchanged window costs no counted request. `synced_at` is set when the last page is done;
-- windows are taken least recently synced first, which is how an interrupted sync resumes.
CREATE TABLE github_sync_windows (
    repository   TEXT        NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    window_end   TIMESTAMPTZ NOT NULL CHECK (window_end > window_start),
    pages        JSONB       NOT NULL DEFAULT '[]'::jsonb,
    total_count  INTEGER,
    synced_at    TIMESTAMPTZ,
    PRIMARY KEY (repository, window_start)
);

-- One row per repository per sync: the report the CLI prints and the function logs.
CREATE TABLE github_sync_runs (
    id                  BIGSERIAL PRIMARY KEY,
    repository          TEXT        NOT NULL,
    started_at          TIMESTAMPTZ NOT NULL,
    finished_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    runs_seen           BIGINT      NOT NULL,
    inserted            BIGINT      NOT NULL,
    updated             BIGINT      NOT NULL,
    unchanged           BIGINT      NOT NULL,
    -- Run objects that did not parse (named in `error`).
    rejected            BIGINT      NOT NULL,
    attempts_backfilled BIGINT      NOT NULL,
    refreshed           BIGINT      NOT NULL,
    requests            BIGINT      NOT NULL,
    not_modified        BIGINT      NOT NULL,
    rate_limit_waits    BIGINT      NOT NULL,
    windows_done        INTEGER     NOT NULL,
    windows_total       INTEGER     NOT NULL,
    complete            BOOLEAN     NOT NULL,
    error               TEXT,
    CONSTRAINT github_sync_runs_counts_add_up CHECK
        (runs_seen = inserted + updated + unchanged + rejected)
);
CREATE INDEX github_sync_runs_repo ON github_sync_runs (repository, started_at);
