-- The lookups every observation adds to (a session's observations, a
-- patient's audit entries) are keyed by block of 4,096 ids first, so the new
-- entries of all live sessions fall in the few leaves of the current block
-- instead of one leaf per session and per patient (see blocks.go).
ALTER TABLE observations ADD COLUMN id_block INTEGER GENERATED ALWAYS AS (id >> 12) VIRTUAL;
DROP INDEX observations_session;
CREATE INDEX observations_session ON observations(id_block, session_id);

ALTER TABLE audit_log ADD COLUMN seq_block INTEGER GENERATED ALWAYS AS (seq >> 12) VIRTUAL;
DROP INDEX audit_log_patient;
CREATE INDEX audit_log_patient ON audit_log(seq_block, patient_id);
