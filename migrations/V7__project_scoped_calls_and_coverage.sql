-- A project's key writes only its project's rows. LLM calls and coverage reports posted to
-- the HTTP API carry the key's project, and the project is part of their identity: the same
-- call id or the same (repository, commit, format) posted under two projects is two rows,
-- never one overwriting the other. Rows read from files (CLI, s3-ingest) have no project.
ALTER TABLE llm_calls ADD COLUMN project_id TEXT;
CREATE INDEX llm_calls_project ON llm_calls (project_id, timestamp) WHERE project_id IS NOT NULL;

ALTER TABLE coverage_snapshots ADD COLUMN project_id TEXT;
ALTER TABLE coverage_snapshots DROP CONSTRAINT coverage_snapshots_repository_commit_sha_format_key;
ALTER TABLE coverage_snapshots ADD CONSTRAINT coverage_snapshots_identity
    UNIQUE NULLS NOT DISTINCT (project_id, repository, commit_sha, format);
