-- A run records its progress after every committed batch. A run still `running` whose last
-- sign of life is older than the longest a batch may take was killed (kill -9, a Lambda
-- timeout, a lost connection): the next run marks it failed, with the counts it committed.
ALTER TABLE ingest_runs ADD COLUMN heartbeat_at TIMESTAMPTZ;
CREATE INDEX ingest_runs_running ON ingest_runs (started_at) WHERE status = 'running';
