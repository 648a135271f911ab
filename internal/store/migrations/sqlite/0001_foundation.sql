CREATE TABLE clinics (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE patients (
    id           INTEGER PRIMARY KEY,
    clinic_id    INTEGER NOT NULL REFERENCES clinics(id),
    given_name   TEXT NOT NULL,
    family_name  TEXT NOT NULL,
    birth_date   TEXT NOT NULL,
    sex          TEXT NOT NULL,
    nhs_number   TEXT NOT NULL DEFAULT '',
    phone        TEXT NOT NULL DEFAULT '',
    email        TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    created_by   INTEGER NOT NULL
);
CREATE INDEX patients_clinic ON patients(clinic_id, family_name, given_name);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    patient_id     INTEGER REFERENCES patients(id),
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     TIMESTAMP NOT NULL
);

CREATE TABLE user_clinics (
    user_id    INTEGER NOT NULL REFERENCES users(id),
    clinic_id  INTEGER NOT NULL REFERENCES clinics(id),
    PRIMARY KEY (user_id, clinic_id)
);

CREATE TABLE auth_sessions (
    id_hash       TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    csrf_token    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    last_seen_at  TIMESTAMP NOT NULL
);
CREATE INDEX auth_sessions_user ON auth_sessions(user_id);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    TIMESTAMP NOT NULL,
    last_used_at  TIMESTAMP,
    revoked_at    TIMESTAMP
);

CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
    seq          INTEGER PRIMARY KEY,
    at           TIMESTAMP NOT NULL,
    user_id      INTEGER NOT NULL,
    email        TEXT NOT NULL,
    role         TEXT NOT NULL,
    clinic_id    INTEGER NOT NULL,
    patient_id   INTEGER NOT NULL,
    action       TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    client_addr  TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    detail       TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX audit_log_patient ON audit_log(patient_id, seq);
CREATE INDEX audit_log_user ON audit_log(user_id, seq);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;

CREATE TABLE protocol_versions (
    version     INTEGER PRIMARY KEY,
    document    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    author      TEXT NOT NULL,
    created_by  INTEGER NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE idempotency_keys (
    user_id       INTEGER NOT NULL,
    idem_key      TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    status        INTEGER NOT NULL,
    content_type  TEXT NOT NULL DEFAULT '',
    body          TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);
