-- An entry the event bus keeps rejecting (a malformed detail, a policy) is parked after a
-- few relays, so the events of its source behind it move on. Parked entries are listed by
-- `telemetry relay --parked` and sent again after `telemetry relay --retry ID|--retry-all`.
ALTER TABLE outbox_events ADD COLUMN parked_at TIMESTAMPTZ;
DROP INDEX outbox_events_undelivered;
CREATE INDEX outbox_events_undelivered ON outbox_events (seq)
    WHERE delivered_at IS NULL AND parked_at IS NULL;
