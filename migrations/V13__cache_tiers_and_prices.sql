-- Costs as providers bill them.
--
-- cache_write_1h_tokens: of cache_write_tokens (all cache writes), those written with a
-- 1-hour lifetime, billed at 2x input by Anthropic against 1.25x for 5-minute writes. Rows
-- stored before the split stay 5-minute writes with their stored cost (the default 0).
--
-- source_cost_usd: what the source itself said a call cost (Claude Code's OTel export, an
-- agent record's estimated_cost_usd), kept beside estimated_cost (the price table's figure)
-- so that `telemetry cost` can show the two side by side. Calls stored before, whose cost
-- came from the source, keep it in both.
ALTER TABLE llm_calls
    ADD COLUMN cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN source_cost_usd NUMERIC(14, 8) CHECK (source_cost_usd >= 0);
-- NOT VALID then VALIDATE: the check scans the table without blocking writers.
ALTER TABLE llm_calls ADD CONSTRAINT llm_calls_cache_write_1h
    CHECK (cache_write_1h_tokens >= 0 AND cache_write_1h_tokens <= cache_write_tokens) NOT VALID;
ALTER TABLE llm_calls VALIDATE CONSTRAINT llm_calls_cache_write_1h;
UPDATE llm_calls SET source_cost_usd = estimated_cost
 WHERE cost_status = 'from_source' AND estimated_cost IS NOT NULL;

-- A team's own prices (negotiated rates, a model the shipped table lacks), laid over the
-- shipped table: `model` is a name as written or a normalised name, lower-case; `prices` has
-- the shape of one entry of prices.json. The calls an override prices record
-- 'db:' || updated_at as their price_version.
CREATE TABLE model_prices (
    model      VARCHAR(100) PRIMARY KEY CHECK (model <> '' AND model = lower(btrim(model))),
    prices     JSONB        NOT NULL CHECK (jsonb_typeof(prices) = 'object'),
    note       TEXT,
    updated_at TIMESTAMPTZ  NOT NULL DEFAULT now()
);

