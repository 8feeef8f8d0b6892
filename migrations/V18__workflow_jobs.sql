-- GitHub Actions jobs: one row per (job id, run attempt), as the REST API's jobs of an
-- attempt and `workflow_job` webhook deliveries give them. GitHub's status (queued,
-- in_progress, completed, waiting, requested, pending) and conclusion are stored as sent.
-- A job has no updated_at: a row is overwritten only by a copy further along (status
-- queued/waiting < in_progress < completed, then completion, start, steps completed), so
-- a late or repeated delivery never rolls a job back.
CREATE TABLE workflow_jobs (
    id                 BIGSERIAL PRIMARY KEY,
    github_job_id      BIGINT       NOT NULL,
    run_attempt        INTEGER      NOT NULL DEFAULT 1 CHECK (run_attempt >= 1),
    github_run_id      BIGINT       NOT NULL,
    repository         TEXT         NOT NULL,
    workflow_name      VARCHAR(255),
    job_name           VARCHAR(255) NOT NULL,
    head_branch        VARCHAR(255),
    head_sha           VARCHAR(40),
    status             VARCHAR(20)  NOT NULL,
    conclusion         VARCHAR(20),
    -- When GitHub queued the job, when a runner picked it up, when it finished.
    github_created_at  TIMESTAMPTZ,
    started_at         TIMESTAMPTZ,
    completed_at       TIMESTAMPTZ,
    -- started_at - github_created_at: the time the job waited for a runner.
    queue_seconds      INTEGER CHECK (queue_seconds >= 0),
    duration_seconds   INTEGER CHECK (duration_seconds >= 0),
    runner_name        VARCHAR(255),
    runner_group_name  VARCHAR(255),
    -- The `runs-on` labels, a JSON array of strings.
    labels             JSONB        NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(labels) = 'array'),
    -- [{name, number, status, conclusion, started_at, completed_at}], times in UTC.
    steps              JSONB        NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(steps) = 'array'),
    html_url           TEXT,
    -- The repository's visibility when the job was received (public: standard runners free).
    repository_private BOOLEAN,
    -- An estimate of GitHub's bill: the job rounded up to the minute, at the rate of the
    -- runner its labels name (`github::billing`); NULL cost for a runner or visibility
    -- not known, never $0.
    billable_minutes   INTEGER CHECK (billable_minutes >= 0),
    billing_sku        VARCHAR(32),
    estimated_cost_usd NUMERIC(12, 6) CHECK (estimated_cost_usd >= 0),
    rate_version       VARCHAR(32),
    created_at         TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ,
    UNIQUE (github_job_id, run_attempt)
);
CREATE INDEX workflow_jobs_run ON workflow_jobs (github_run_id, run_attempt);
CREATE INDEX workflow_jobs_repo_started ON workflow_jobs (repository, started_at);
CREATE INDEX workflow_jobs_age ON workflow_jobs ((coalesce(started_at, github_created_at, created_at)));
