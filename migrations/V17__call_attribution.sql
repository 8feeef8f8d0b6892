-- Who, where and with what each LLM call was made, filled where the source says:
--   repository   `owner/name` as GitHub spells it (workflow_runs.repository), from the git
--                remote of the session's directory (`telemetry push`, `ingest jsonl`), a
--                Codex session's `git.repository_url`, or an OTLP resource attribute;
--   git_branch   a Claude Code line's `gitBranch`, a Codex session's `git.branch`, OTLP;
--   user_id      an id, never an email in the clear: OTLP `user.account_uuid` / `user.id` /
--                `user.account_id` / `installation.id`, else the email's SHA-256
--                (`sha256:` + 16 hex) unless the deployment keeps emails;
--   tool         claude_code, codex, gemini_cli, csv, agent, otlp: the program that made it;
--   app_version  the tool's version (Claude Code `version`, Codex `cli_version`, OTLP
--                `app.version` / `service.version`).
-- Rows stored before keep NULL attribution; their tool follows from their source.
ALTER TABLE llm_calls
    ADD COLUMN repository  VARCHAR(255),
    ADD COLUMN git_branch  VARCHAR(255),
    ADD COLUMN user_id     VARCHAR(255),
    ADD COLUMN tool        VARCHAR(32),
    ADD COLUMN app_version VARCHAR(64);
UPDATE llm_calls SET tool = CASE source
    WHEN 'usage_csv' THEN 'csv'
    WHEN 'agent_log' THEN 'agent'
    ELSE source END;

-- `telemetry cost --by branch --with-ci`: a repository's calls per branch, joined to its runs.
CREATE INDEX llm_calls_repo_branch ON llm_calls (repository, git_branch, timestamp)
    WHERE repository IS NOT NULL;
-- Workflow runs per branch of a repository, for the same join.
CREATE INDEX workflow_runs_repo_branch ON workflow_runs (repository, branch);
