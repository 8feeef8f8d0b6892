-- Stable views for BI tools (Grafana, Metabase, Superset) reading PostgreSQL directly. Their
-- names and columns are an interface (docs/src/use/bi-views.md): later versions add columns,
-- never rename or drop one. They read with their owner's rights, so a read-only role needs
-- SELECT on the views alone.

-- Every call, with the task and session a worker gives it when the call names none.
CREATE VIEW v_llm_calls AS
SELECT c.id,
       c.timestamp,
       c.source,
       c.model,
       c.project_id,
       coalesce(c.session_id, w.session_id) AS session_id,
       coalesce(c.task_id, w.task_id) AS task_id,
       c.worker_id,
       c.input_tokens,
       c.cache_read_tokens,
       c.cache_write_tokens,
       c.cache_write_1h_tokens,
       c.output_tokens,
       c.total_tokens,
       c.estimated_cost AS cost_usd,
       c.cost_status,
       c.source_cost_usd,
       c.duration_ms,
       c.success
FROM llm_calls c
LEFT JOIN workers w ON w.worker_id = c.worker_id;

-- Per UTC day, project, model and source. cost_usd sums the priced calls and is NULL when no
-- call of the group has a price (unknown is never $0); unpriced_calls counts the others.
CREATE VIEW v_llm_cost_daily AS
SELECT (c.timestamp AT TIME ZONE 'UTC')::date AS day,
       c.project_id,
       c.model,
       c.source,
       count(*) AS calls,
       count(*) FILTER (WHERE c.estimated_cost IS NULL) AS unpriced_calls,
       sum(c.input_tokens)::int8 AS input_tokens,
       sum(c.cache_read_tokens)::int8 AS cache_read_tokens,
       sum(c.cache_write_tokens)::int8 AS cache_write_tokens,
       sum(c.output_tokens)::int8 AS output_tokens,
       sum(c.total_tokens)::int8 AS total_tokens,
       sum(c.estimated_cost) AS cost_usd,
       sum(c.source_cost_usd) AS source_cost_usd
FROM llm_calls c
GROUP BY 1, 2, 3, 4;

-- One row per run attempt. gone_at is set when GitHub no longer lists the run.
CREATE VIEW v_workflow_runs AS
SELECT r.github_run_id,
       r.run_attempt,
       r.repository,
       r.workflow_name,
       r.branch,
       r.commit_sha,
       r.event_type AS trigger,
       r.status,
       r.conclusion,
       r.github_created_at AS created_at,
       r.started_at,
       r.completed_at,
       r.duration_seconds,
       (coalesce(r.started_at, r.github_created_at, r.created_at) AT TIME ZONE 'UTC')::date AS day,
       r.html_url,
       r.gone_at
FROM workflow_runs r;

-- Each task with the calls attributed to it (directly or through its workers); calls naming a
-- task with no task record are a row too, with the task's own columns NULL.
CREATE VIEW v_task_costs AS
WITH per_task AS (
    SELECT coalesce(c.task_id, w.task_id) AS task_id,
           count(*) AS calls,
           count(*) FILTER (WHERE c.estimated_cost IS NULL) AS unpriced_calls,
           sum(c.total_tokens)::int8 AS total_tokens,
           sum(c.estimated_cost) AS cost_usd,
           min(c.timestamp) AS first_call_at,
           max(c.timestamp) AS last_call_at
    FROM llm_calls c
    LEFT JOIN workers w ON w.worker_id = c.worker_id
    WHERE coalesce(c.task_id, w.task_id) IS NOT NULL
    GROUP BY 1
)
SELECT coalesce(t.task_id, p.task_id) AS task_id,
       t.title,
       t.status,
       t.session_id,
       t.issue_number,
       t.pr_number,
       t.detected_at,
       t.started_at,
       t.completed_at,
       t.failed_at,
       coalesce(p.calls, 0) AS calls,
       coalesce(p.unpriced_calls, 0) AS unpriced_calls,
       coalesce(p.total_tokens, 0) AS total_tokens,
       p.cost_usd,
       p.first_call_at,
       p.last_call_at
FROM tasks t
FULL JOIN per_task p ON p.task_id = t.task_id;
