-- Failed sign-ins and public callback requests, counted for the limits on
-- them in the database, so that the limits hold however many server
-- processes share it. The key is a hash of what is limited (an email
-- address or a client address, with the limit's name).
CREATE TABLE rate_events (
    key_hash  TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX rate_events_key ON rate_events(key_hash, at);
CREATE INDEX rate_events_at ON rate_events(at);
