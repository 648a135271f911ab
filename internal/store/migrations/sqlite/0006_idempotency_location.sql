-- A replayed create answers with the Location of the record it made.
ALTER TABLE idempotency_keys ADD COLUMN location TEXT NOT NULL DEFAULT '';
