-- workflow_runs age on coalesce(started_at, github_created_at, created_at), so queued runs
-- that never started are pruned too; the prune's range scans use this index.
CREATE INDEX workflow_runs_age ON workflow_runs ((coalesce(started_at, github_created_at, created_at)));
