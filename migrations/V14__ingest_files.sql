-- What each local file read by `telemetry ingest jsonl|file` (or `ingest all`) looked like
-- when it was last read whole, so that a re-run skips it when unchanged and reads only the
-- appended tail when it grew. A file whose head or last-read bytes changed is read again
-- from the start.
CREATE TABLE ingest_files (
    path          TEXT PRIMARY KEY CHECK (length(path) BETWEEN 1 AND 4096),
    size_bytes    BIGINT NOT NULL CHECK (size_bytes >= 0),
    mtime         TIMESTAMPTZ,
    -- SHA-256 of the first head_len bytes.
    head_hash     BYTEA NOT NULL,
    head_len      INTEGER NOT NULL CHECK (head_len >= 0),
    -- Where the next read starts (the end of the last line that ended in a newline), and
    -- the SHA-256 of the bytes just before it (up to 4 KiB).
    offset_bytes  BIGINT NOT NULL CHECK (offset_bytes >= 0),
    tail_hash     BYTEA NOT NULL,
    -- The reader's state at offset_bytes (Claude Code responses seen, Codex totals).
    reader_state  JSONB NOT NULL,
    ingest_run_id BIGINT,
    read_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
