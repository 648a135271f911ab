-- Dosing sessions, observations and alerts.

CREATE TABLE dosing_sessions (
    id                  INTEGER PRIMARY KEY,
    patient_id          INTEGER NOT NULL REFERENCES patients(id),
    clinic_id           INTEGER NOT NULL REFERENCES clinics(id),
    drug                TEXT NOT NULL,
    route               TEXT NOT NULL,
    dose_mg             REAL NOT NULL,
    status              TEXT NOT NULL,               -- open, dosed, discharged
    spo2_scale2         BOOLEAN NOT NULL DEFAULT FALSE,
    opened_at           TIMESTAMP NOT NULL,
    opened_by           INTEGER NOT NULL,
    dose_at             TIMESTAMP,
    dose_end_at         TIMESTAMP,
    dose_by             INTEGER,
    escort_confirmed    BOOLEAN NOT NULL DEFAULT FALSE,
    driving_advice      BOOLEAN NOT NULL DEFAULT FALSE,
    discharged_at       TIMESTAMP,
    discharged_by       INTEGER,
    discharged_by_name  TEXT NOT NULL DEFAULT '',
    discharge_in_gate   BOOLEAN,
    discharge_reason    TEXT NOT NULL DEFAULT '',
    discharge_gate      TEXT NOT NULL DEFAULT '',    -- the gate checklist as JSON
    discharge_protocol  INTEGER,                     -- protocol version of the gate
    open_protocol       INTEGER NOT NULL
);
CREATE INDEX dosing_sessions_clinic ON dosing_sessions(clinic_id, status);
CREATE INDEX dosing_sessions_patient ON dosing_sessions(patient_id, opened_at);

CREATE TABLE observations (
    id                INTEGER PRIMARY KEY,
    session_id        INTEGER NOT NULL REFERENCES dosing_sessions(id),
    at                TIMESTAMP NOT NULL,
    systolic          INTEGER,
    diastolic         INTEGER,
    pulse             INTEGER,
    spo2              INTEGER,
    resp_rate         INTEGER,
    temp_c            REAL,
    consciousness     TEXT NOT NULL DEFAULT '',
    on_oxygen         BOOLEAN,
    anxiety           INTEGER,
    moaas             INTEGER,
    cadss             TEXT NOT NULL DEFAULT '',      -- six item scores, comma-separated
    signs             TEXT NOT NULL DEFAULT '',      -- sign codes, comma-separated
    measures          TEXT NOT NULL DEFAULT '',      -- supportive measure codes, comma-separated
    confirmed         BOOLEAN NOT NULL DEFAULT FALSE,
    source            TEXT NOT NULL,                 -- web, api, hl7
    device            TEXT NOT NULL DEFAULT '',
    recorded_by       INTEGER NOT NULL,
    recorded_at       TIMESTAMP NOT NULL,
    news2_total       INTEGER,
    news2_response    TEXT NOT NULL DEFAULT '',
    news2_subscores   TEXT NOT NULL DEFAULT '',      -- JSON object
    protocol_version  INTEGER NOT NULL
);
CREATE INDEX observations_session ON observations(session_id, at);

CREATE TABLE session_alerts (
    id                 INTEGER PRIMARY KEY,
    session_id         INTEGER NOT NULL REFERENCES dosing_sessions(id),
    clinic_id          INTEGER NOT NULL,
    patient_id         INTEGER NOT NULL,
    rule               TEXT NOT NULL,
    tier               TEXT NOT NULL,
    message            TEXT NOT NULL,
    value              TEXT NOT NULL,
    reading_at         TIMESTAMP NOT NULL,
    raised_at          TIMESTAMP NOT NULL,
    observation_id     INTEGER,
    cleared_at         TIMESTAMP,
    acknowledged_at    TIMESTAMP,
    acknowledged_by    INTEGER,
    acknowledged_name  TEXT NOT NULL DEFAULT '',
    escalated_at       TIMESTAMP,
    escalated_to       TEXT NOT NULL DEFAULT '',
    protocol_version   INTEGER NOT NULL
);
-- An alert fires once per session and rule until it clears.
CREATE UNIQUE INDEX session_alerts_open ON session_alerts(session_id, rule) WHERE cleared_at IS NULL;
CREATE INDEX session_alerts_session ON session_alerts(session_id, raised_at);
CREATE INDEX session_alerts_unacknowledged ON session_alerts(raised_at) WHERE acknowledged_at IS NULL AND escalated_at IS NULL;
