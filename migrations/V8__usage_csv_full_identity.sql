-- usage.csv calls are identified by every field they are stored with, not only by
-- (timestamp, model, task_type): two developers' files with a call in the same second, model
-- and task type no longer overwrite each other. Existing usage_csv rows are re-keyed exactly
-- as the reader (shared/src/csv/usage.rs, KeyFields::key) now derives keys, so re-uploading a
-- file ingested before this migration finds its rows as duplicates.
--
-- Key = 8 bytes of time prefix (unchanged: it encodes the timestamp alone) followed by the
-- first 8 bytes of SHA-256('usage_csv' || part(model) || part(task_type) || part(input) ||
-- part(output) || part(success) || part(duration_ms) || part(notes) || part(ordinal)),
-- where part(b) = le64(length of b) || b, NULL fields are empty, numbers and flags are the
-- text PostgreSQL prints, and the ordinal counts identical rows (0, 1, ...).

CREATE FUNCTION pg_temp.usage_part(b BYTEA) RETURNS BYTEA LANGUAGE sql IMMUTABLE AS $$
    SELECT decode(string_agg(lpad(to_hex((octet_length(b)::BIGINT >> (8 * i)) & 255), 2, '0'), ''
                             ORDER BY i), 'hex') || b
    FROM generate_series(0, 7) AS i
$$;

CREATE FUNCTION pg_temp.usage_text(t TEXT) RETURNS BYTEA LANGUAGE sql IMMUTABLE AS $$
    SELECT pg_temp.usage_part(convert_to(coalesce(t, ''), 'UTF8'))
$$;

WITH ranked AS (
    SELECT id, dedup_key, model, prompt_name, input_tokens, output_tokens, success, duration_ms,
           notes,
           row_number() OVER (
               PARTITION BY timestamp, model, prompt_name, input_tokens, output_tokens, success,
                            duration_ms, notes
               ORDER BY dedup_key) - 1 AS ordinal
    FROM llm_calls
    WHERE source = 'usage_csv'
)
UPDATE llm_calls c
SET dedup_key = substring(r.dedup_key FROM 1 FOR 8) || substring(sha256(
        convert_to('usage_csv', 'UTF8')
        || pg_temp.usage_text(r.model)
        || pg_temp.usage_text(r.prompt_name)
        || pg_temp.usage_text(r.input_tokens::TEXT)
        || pg_temp.usage_text(r.output_tokens::TEXT)
        || pg_temp.usage_text(r.success::TEXT)
        || pg_temp.usage_text(r.duration_ms::TEXT)
        || pg_temp.usage_text(r.notes)
        || pg_temp.usage_text(r.ordinal::TEXT)) FROM 1 FOR 8)
FROM ranked r
WHERE c.id = r.id;

DROP FUNCTION pg_temp.usage_text(TEXT);
DROP FUNCTION pg_temp.usage_part(BYTEA);
