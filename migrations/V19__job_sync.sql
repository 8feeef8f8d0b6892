-- github-sync fetches the jobs of each run attempt (`/actions/runs/{id}/attempts/{n}/jobs`).
--   repository_private  the run's `repository.private` as GitHub sent it: a job's bill
--                       depends on it (standard runners are free for public repositories).
--   jobs_pages          [{url, etag, next}] per page of the attempt's jobs, stored in the
--                       transaction that stored those jobs: a 304 proves they are stored.
--   jobs_synced_for     the run's github_updated_at when its jobs were last stored, every
--                       job completed: an attempt whose run changed since, or is not
--                       completed, is fetched again (conditionally, so an unchanged list
--                       costs no counted request).
--   jobs_checked_at     when the sync last looked at the attempt's jobs: the least recently
--                       checked go first, which is how an interrupted sync resumes.
ALTER TABLE workflow_runs
    ADD COLUMN repository_private BOOLEAN,
    ADD COLUMN jobs_pages JSONB NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(jobs_pages) = 'array'),
    ADD COLUMN jobs_synced_for TIMESTAMPTZ,
    ADD COLUMN jobs_checked_at TIMESTAMPTZ;
CREATE INDEX workflow_runs_jobs_due ON workflow_runs (repository, jobs_checked_at NULLS FIRST)
    WHERE gone_at IS NULL
      AND (status <> 'completed' OR jobs_synced_for IS DISTINCT FROM github_updated_at);

-- The sync's report counts jobs as it counts runs.
ALTER TABLE github_sync_runs
    ADD COLUMN job_attempts  BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN job_requests  BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN jobs_seen     BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN jobs_inserted BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN jobs_updated  BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN jobs_unchanged BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN jobs_rejected BIGINT NOT NULL DEFAULT 0,
    ADD CONSTRAINT github_sync_runs_jobs_add_up CHECK
        (jobs_seen = jobs_inserted + jobs_updated + jobs_unchanged + jobs_rejected);
