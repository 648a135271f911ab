-- The 24-hour callback service.

-- One row per person waiting for (or given) a callback. Ids are random so
-- that they say nothing about how many requests there are or when one was
-- made. open_phone holds the number while the request is open and is NULL
-- once it is closed: its unique index is what merges a second request from
-- the same number into the open one.
CREATE TABLE callback_requests (
    id                 INTEGER PRIMARY KEY,
    reference          TEXT NOT NULL UNIQUE,
    name               TEXT NOT NULL,
    phone              TEXT NOT NULL,
    reason             TEXT NOT NULL,
    safe_now           BOOLEAN NOT NULL,
    immediate_danger   BOOLEAN NOT NULL,
    matched_terms      TEXT NOT NULL DEFAULT '',
    priority           TEXT NOT NULL,
    priority_rank      INTEGER NOT NULL,
    preferred_from     TIMESTAMP,
    preferred_to       TIMESTAMP,
    consent_call       BOOLEAN NOT NULL,
    consent_voicemail  BOOLEAN NOT NULL,
    patient_id         INTEGER REFERENCES patients(id),
    source             TEXT NOT NULL,
    created_by         INTEGER NOT NULL DEFAULT 0,
    protocol_version   INTEGER NOT NULL,
    status             TEXT NOT NULL,
    open_phone         TEXT UNIQUE,
    due_at             TIMESTAMP NOT NULL,
    next_attempt_at    TIMESTAMP NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    first_attempt_at   TIMESTAMP,
    last_attempt_at    TIMESTAMP,
    claimed_by         INTEGER,
    claimed_by_email   TEXT NOT NULL DEFAULT '',
    lease_expires_at   TIMESTAMP,
    claims             INTEGER NOT NULL DEFAULT 0,
    merged             INTEGER NOT NULL DEFAULT 0,
    outcome            TEXT NOT NULL DEFAULT '',
    closed_at          TIMESTAMP,
    breached_at        TIMESTAMP,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    CHECK (status IN ('queued', 'claimed', 'closed')),
    CHECK (priority IN ('urgent', 'standard'))
);
CREATE INDEX callback_requests_queue ON callback_requests(status, priority_rank, created_at, id);
CREATE INDEX callback_requests_created ON callback_requests(created_at);

-- Each call attempt (or closing decision) by a counsellor.
CREATE TABLE callback_attempts (
    id                INTEGER PRIMARY KEY,
    request_id        INTEGER NOT NULL REFERENCES callback_requests(id),
    attempt_no        INTEGER NOT NULL,
    outcome           TEXT NOT NULL,
    note              TEXT NOT NULL DEFAULT '',
    counsellor_id     INTEGER NOT NULL,
    counsellor_email  TEXT NOT NULL,
    at                TIMESTAMP NOT NULL
);
CREATE INDEX callback_attempts_request ON callback_attempts(request_id, id);

-- The request's timeline: submitted, merged, claimed, renewed, released,
-- lease expired, attempt, closed, target missed.
CREATE TABLE callback_events (
    id          INTEGER PRIMARY KEY,
    request_id  INTEGER NOT NULL REFERENCES callback_requests(id),
    at          TIMESTAMP NOT NULL,
    kind        TEXT NOT NULL,
    user_id     INTEGER NOT NULL DEFAULT 0,
    email       TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX callback_events_request ON callback_events(request_id, id);

-- Every accepted submission (new or merged): the per-number limit counts
-- these, and a public Idempotency-Key (hashed with the caller's address)
-- replays the stored response.
CREATE TABLE callback_submissions (
    id            INTEGER PRIMARY KEY,
    request_id    INTEGER NOT NULL REFERENCES callback_requests(id),
    source        TEXT NOT NULL,
    phone_hash    TEXT NOT NULL,
    idem_key      TEXT UNIQUE,
    request_hash  TEXT NOT NULL DEFAULT '',
    response      TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX callback_submissions_phone ON callback_submissions(phone_hash, created_at);

-- Missed service levels, shown to the on-call lead until acknowledged.
CREATE TABLE callback_escalations (
    id                  INTEGER PRIMARY KEY,
    request_id          INTEGER NOT NULL REFERENCES callback_requests(id),
    kind                TEXT NOT NULL,
    due_at              TIMESTAMP NOT NULL,
    detected_at         TIMESTAMP NOT NULL,
    acknowledged_at     TIMESTAMP,
    acknowledged_by     INTEGER NOT NULL DEFAULT 0,
    acknowledged_email  TEXT NOT NULL DEFAULT '',
    UNIQUE (request_id, kind)
);

-- Secrets of the public form (the key signing its start time), shared by
-- every server process.
CREATE TABLE callback_secrets (
    name        TEXT PRIMARY KEY,
    secret      TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
