-- Read keys (`tr_...`, sent as `Authorization: Bearer`): they read the read API
-- (`GET /api/v1/...`) and the dashboard's data, and write nothing. A read key of a project
-- reads that project's rows; an admin read key (`telemetry keys create --read
-- --all-projects`) has no project and reads every project's rows and the rows read from files.
ALTER TABLE api_keys DROP CONSTRAINT api_keys_kind_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_kind_check
    CHECK (kind IN ('secret', 'public', 'read'));
ALTER TABLE api_keys ALTER COLUMN project_id DROP NOT NULL;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scope
    CHECK (project_id IS NOT NULL OR kind = 'read');

-- The read API's CI queries: failures in a range, newest first, per repository or overall.
CREATE INDEX workflow_runs_repo_day ON workflow_runs
    (repository, (coalesce(started_at, github_created_at, created_at)));

-- The read API's agent queries: tasks detected in a range, newest first.
CREATE INDEX tasks_detected ON tasks (detected_at, task_id);

-- Coverage reports in a range, newest first, and the workflow runs of a report's commit.
CREATE INDEX coverage_snapshots_captured ON coverage_snapshots (captured_at, id);
CREATE INDEX workflow_runs_commit ON workflow_runs (repository, commit_sha);

-- The fleet's read side (seed 003): briefings newest first, jobs by creation; a project's
-- repository root, to find it by path.
CREATE INDEX briefings_time ON briefings ((coalesce(ended_at, created_at)), briefing_id);
CREATE INDEX jobs_created_id ON jobs (ts_created, id);
ALTER TABLE projects ADD COLUMN repo_root TEXT;
CREATE INDEX projects_repo_root ON projects (repo_root) WHERE repo_root IS NOT NULL;
