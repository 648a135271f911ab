-- A staff member's mobile number (E.164, empty when none): escalations are also
-- sent to it as a text message through the outbox.
ALTER TABLE users ADD COLUMN mobile TEXT NOT NULL DEFAULT '';
