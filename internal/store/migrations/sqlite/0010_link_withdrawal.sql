-- A link the clinic withdrew (sent to the wrong address, say) opens nothing.
ALTER TABLE patient_links ADD COLUMN revoked_at TIMESTAMP;
ALTER TABLE patient_links ADD COLUMN revoked_by INTEGER;
