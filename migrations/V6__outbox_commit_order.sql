-- Replay in commit order. An event's id is taken when its transaction inserts it, but the
-- transaction may commit after one holding a higher id: a consumer that had already read
-- past that higher id would never see the event. `seq` is the position a reader follows
-- instead: it is given to committed events only, under one lock, in increasing order (see
-- `outbox::after`), so an event that commits late gets a later position and is never
-- skipped. Existing events keep their id as their position, so cursors handed out before
-- this migration stay valid.
CREATE SEQUENCE outbox_events_seq;
ALTER TABLE outbox_events ADD COLUMN seq BIGINT;
UPDATE outbox_events SET seq = event_id;
SELECT setval('outbox_events_seq', coalesce((SELECT max(event_id) FROM outbox_events), 0) + 1, false);
CREATE UNIQUE INDEX outbox_events_seq_key ON outbox_events (seq);
CREATE INDEX outbox_events_unsequenced ON outbox_events (event_id) WHERE seq IS NULL;
CREATE INDEX outbox_events_project_seq ON outbox_events (project_id, seq);
