-- A bedside monitor's message id, so a message sent again is recorded once.
ALTER TABLE observations ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
CREATE INDEX observations_device_message ON observations(session_id, device, message_id);
