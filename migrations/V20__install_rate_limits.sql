-- A public token is shared by every install of the CLI that embeds it, so its events are
-- limited per install (the event's distinct_id) as well as per token. Counters hold the
-- events accepted in each minute: a request reserves its events, gives them all back when a
-- limit is passed (429), and gives back its duplicates and rejects once stored.
CREATE TABLE api_install_usage (
    key_id       BIGINT      NOT NULL REFERENCES api_keys (id),
    window_start TIMESTAMPTZ NOT NULL,
    distinct_id  TEXT        NOT NULL,
    events       INTEGER     NOT NULL,
    PRIMARY KEY (key_id, window_start, distinct_id)
);
