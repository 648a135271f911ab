-- Only observations from devices carry a message id: the index that finds
-- a device's message again need not hold every observation typed in.
DROP INDEX observations_device_message;
CREATE INDEX observations_device_message ON observations(session_id, device, message_id) WHERE message_id <> '';
