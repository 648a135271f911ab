-- Screening, consent and treatment plans.

-- Signed single-use links that let a patient act without an account (the
-- screening questionnaires, consent; later capabilities add purposes). Only
-- the SHA-256 of the token is kept.
CREATE TABLE patient_links (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    patient_id  INTEGER NOT NULL REFERENCES patients(id),
    clinic_id   INTEGER NOT NULL REFERENCES clinics(id),
    purpose     TEXT NOT NULL,
    created_by  INTEGER NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP
);
CREATE INDEX patient_links_patient ON patient_links(patient_id, purpose);

-- One completed instrument (or the structured history), with the score and
-- the protocol version in force when it was scored.
CREATE TABLE assessments (
    id                INTEGER PRIMARY KEY,
    patient_id        INTEGER NOT NULL REFERENCES patients(id),
    instrument        TEXT NOT NULL,
    total             REAL,
    band              TEXT NOT NULL DEFAULT '',
    flags             TEXT NOT NULL DEFAULT '[]',
    protocol_version  INTEGER NOT NULL,
    source            TEXT NOT NULL,
    recorded_by       INTEGER NOT NULL,
    link_id           INTEGER REFERENCES patient_links(id),
    created_at        TIMESTAMP NOT NULL
);
CREATE INDEX assessments_patient ON assessments(patient_id, instrument, id);

-- Every item answer: the option score (-1 for an item a skip rule left
-- unasked), 0/1 for yes/no questions, mmHg for blood pressure.
CREATE TABLE assessment_answers (
    assessment_id  INTEGER NOT NULL REFERENCES assessments(id),
    position       INTEGER NOT NULL,
    item           TEXT NOT NULL,
    answer         INTEGER NOT NULL,
    PRIMARY KEY (assessment_id, position)
);

-- The screening result computed after each assessment, kept as it was.
CREATE TABLE screening_results (
    id                INTEGER PRIMARY KEY,
    patient_id        INTEGER NOT NULL REFERENCES patients(id),
    protocol_version  INTEGER NOT NULL,
    level             TEXT NOT NULL,
    points            INTEGER NOT NULL,
    blocked           BOOLEAN NOT NULL,
    document          TEXT NOT NULL,
    created_at        TIMESTAMP NOT NULL
);
CREATE INDEX screening_results_patient ON screening_results(patient_id, id);

-- A prescriber's decision to dose despite a contraindication. It holds
-- while the assessment it was made on is the latest of its instrument.
CREATE TABLE screening_overrides (
    id                INTEGER PRIMARY KEY,
    patient_id        INTEGER NOT NULL REFERENCES patients(id),
    code              TEXT NOT NULL,
    basis_assessment  INTEGER NOT NULL REFERENCES assessments(id),
    reason            TEXT NOT NULL,
    protocol_version  INTEGER NOT NULL,
    created_by        INTEGER NOT NULL,
    author            TEXT NOT NULL,
    created_at        TIMESTAMP NOT NULL
);
CREATE INDEX screening_overrides_patient ON screening_overrides(patient_id, code);

CREATE TABLE consent_texts (
    version     INTEGER PRIMARY KEY,
    text        TEXT NOT NULL,
    created_by  INTEGER NOT NULL,
    author      TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE consents (
    id                  INTEGER PRIMARY KEY,
    patient_id          INTEGER NOT NULL REFERENCES patients(id),
    text_version        INTEGER NOT NULL REFERENCES consent_texts(version),
    signed_name         TEXT NOT NULL,
    signed_at           TIMESTAMP NOT NULL,
    via                 TEXT NOT NULL,
    recorded_by         INTEGER NOT NULL,
    link_id             INTEGER REFERENCES patient_links(id),
    countersigned_by    INTEGER,
    countersigned_name  TEXT NOT NULL DEFAULT '',
    countersigned_at    TIMESTAMP
);
CREATE INDEX consents_patient ON consents(patient_id, id);

-- Every revision of a patient's treatment plan; the highest is current.
CREATE TABLE treatment_plans (
    id                INTEGER PRIMARY KEY,
    patient_id        INTEGER NOT NULL REFERENCES patients(id),
    revision          INTEGER NOT NULL,
    drug              TEXT NOT NULL,
    route             TEXT NOT NULL,
    dose_mg           REAL NOT NULL,
    dose_mg_per_kg    REAL,
    weight_kg         REAL,
    sessions          INTEGER NOT NULL,
    interval_days     INTEGER NOT NULL,
    reason            TEXT NOT NULL,
    susceptibility    TEXT NOT NULL DEFAULT '',
    protocol_version  INTEGER NOT NULL,
    created_by        INTEGER NOT NULL,
    author            TEXT NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    UNIQUE (patient_id, revision)
);
