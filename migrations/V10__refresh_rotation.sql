-- Unfinished runs older than the sync period are refreshed up to 100 per sync. They are
-- taken least recently refreshed first, so every one gets its turn, and a run GitHub no
-- longer has (404) is retired instead of costing a request every sync.
ALTER TABLE workflow_runs ADD COLUMN refreshed_at TIMESTAMPTZ, ADD COLUMN gone_at TIMESTAMPTZ;
CREATE INDEX workflow_runs_to_refresh ON workflow_runs (repository, refreshed_at NULLS FIRST)
    WHERE status <> 'completed' AND gone_at IS NULL;
