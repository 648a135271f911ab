-- Follow-up check-ins, classification and clinician reviews.

-- Durable outbox: each row is one message to deliver (email). A sender
-- claims due rows under a lease, delivers them and marks them sent; a row
-- whose lease ran out (the sender stopped) is claimed again. The body is
-- erased once the message is sent.
CREATE TABLE outbox_messages (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL,              -- email
    recipient        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body             TEXT NOT NULL,
    ref              TEXT NOT NULL DEFAULT '',   -- what it is about, e.g. checkin:12
    patient_id       INTEGER REFERENCES patients(id),
    status           TEXT NOT NULL,              -- pending, sent, failed
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMP NOT NULL,
    claim_token      TEXT NOT NULL DEFAULT '',
    claimed_until    TIMESTAMP,
    last_error       TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMP NOT NULL,
    sent_at          TIMESTAMP,
    CHECK (status IN ('pending', 'sent', 'failed'))
);
CREATE INDEX outbox_messages_due ON outbox_messages(status, next_attempt_at);

-- Sessions whose follow-up has been scheduled (once per session).
CREATE TABLE followup_schedules (
    session_id        INTEGER PRIMARY KEY REFERENCES dosing_sessions(id),
    patient_id        INTEGER NOT NULL REFERENCES patients(id),
    scheduled_at      TIMESTAMP NOT NULL,
    protocol_version  INTEGER NOT NULL
);

-- One check-in: after a dosing session (kind session, offset_hours from the
-- first dose) or a weekly questionnaire during a course (kind course).
CREATE TABLE checkins (
    id                  INTEGER PRIMARY KEY,
    patient_id          INTEGER NOT NULL REFERENCES patients(id),
    clinic_id           INTEGER NOT NULL REFERENCES clinics(id),
    session_id          INTEGER REFERENCES dosing_sessions(id),
    kind                TEXT NOT NULL,
    offset_hours        INTEGER NOT NULL DEFAULT 0,
    asks_nrs            BOOLEAN NOT NULL,
    asks_gad7           BOOLEAN NOT NULL,
    asks_phq9           BOOLEAN NOT NULL,
    due_at              TIMESTAMP NOT NULL,
    expires_at          TIMESTAMP NOT NULL,
    status              TEXT NOT NULL,           -- scheduled, sent, completed, missed
    sent_at             TIMESTAMP,
    chased_at           TIMESTAMP,
    missed_at           TIMESTAMP,
    completed_at        TIMESTAMP,
    nrs                 INTEGER,
    own_words           TEXT NOT NULL DEFAULT '',
    callback_wanted     BOOLEAN NOT NULL DEFAULT FALSE,
    callback_id         INTEGER,
    callback_note       TEXT NOT NULL DEFAULT '',
    gad7_id             INTEGER REFERENCES assessments(id),
    phq9_id             INTEGER REFERENCES assessments(id),
    cssrs_id            INTEGER REFERENCES assessments(id),
    protocol_version    INTEGER NOT NULL,
    created_at          TIMESTAMP NOT NULL,
    CHECK (status IN ('scheduled', 'sent', 'completed', 'missed'))
);
CREATE UNIQUE INDEX checkins_session_offset ON checkins(session_id, offset_hours) WHERE kind = 'session';
CREATE UNIQUE INDEX checkins_course_due ON checkins(patient_id, due_at) WHERE kind = 'course';
CREATE INDEX checkins_patient ON checkins(patient_id, due_at);
CREATE INDEX checkins_status ON checkins(status, due_at);

-- Which patient links were made for which check-in (several: the email,
-- the reminder, one shown to staff).
CREATE TABLE checkin_links (
    link_id     INTEGER PRIMARY KEY REFERENCES patient_links(id),
    checkin_id  INTEGER NOT NULL REFERENCES checkins(id)
);
CREATE INDEX checkin_links_checkin ON checkin_links(checkin_id);

-- The latest classification of each dosing session, with its evidence.
CREATE TABLE anxiety_classifications (
    session_id        INTEGER PRIMARY KEY REFERENCES dosing_sessions(id),
    patient_id        INTEGER NOT NULL REFERENCES patients(id),
    clinic_id         INTEGER NOT NULL REFERENCES clinics(id),
    class             TEXT NOT NULL,
    document          TEXT NOT NULL,             -- the clinical.Classification as JSON
    protocol_version  INTEGER NOT NULL,
    computed_at       TIMESTAMP NOT NULL,
    changed_at        TIMESTAMP NOT NULL
);

-- Clinician reviews of persistent anxiety, and the decision.
CREATE TABLE anxiety_reviews (
    id                INTEGER PRIMARY KEY,
    patient_id        INTEGER NOT NULL REFERENCES patients(id),
    clinic_id         INTEGER NOT NULL REFERENCES clinics(id),
    session_id        INTEGER NOT NULL REFERENCES dosing_sessions(id),
    status            TEXT NOT NULL,             -- open, decided
    urgent            BOOLEAN NOT NULL,
    urgent_reasons    TEXT NOT NULL DEFAULT '',
    evidence          TEXT NOT NULL,             -- the classification as JSON when opened
    protocol_version  INTEGER NOT NULL,
    due_at            TIMESTAMP NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    decided_at        TIMESTAMP,
    decided_by        INTEGER,
    decided_name      TEXT NOT NULL DEFAULT '',
    options           TEXT NOT NULL DEFAULT '',  -- option codes, comma-separated
    reason            TEXT NOT NULL DEFAULT '',
    plan_revision     INTEGER,
    CHECK (status IN ('open', 'decided'))
);
CREATE UNIQUE INDEX anxiety_reviews_open ON anxiety_reviews(session_id) WHERE status = 'open';
CREATE INDEX anxiety_reviews_clinic ON anxiety_reviews(clinic_id, status, due_at);
CREATE INDEX anxiety_reviews_patient ON anxiety_reviews(patient_id, id);

-- Tasks for the clinic raised by follow-up: an urgent C-SSRS result, a
-- missed check-in, a counsellor call that could not be requested.
CREATE TABLE followup_tasks (
    id           INTEGER PRIMARY KEY,
    patient_id   INTEGER NOT NULL REFERENCES patients(id),
    clinic_id    INTEGER NOT NULL REFERENCES clinics(id),
    kind         TEXT NOT NULL,
    urgent       BOOLEAN NOT NULL,
    ref_id       INTEGER NOT NULL DEFAULT 0,
    detail       TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    closed_at    TIMESTAMP,
    closed_by    INTEGER,
    closed_name  TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX followup_tasks_once ON followup_tasks(kind, ref_id) WHERE ref_id <> 0;
CREATE INDEX followup_tasks_open ON followup_tasks(clinic_id, closed_at);
