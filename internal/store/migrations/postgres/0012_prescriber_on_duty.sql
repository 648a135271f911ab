-- A prescriber on duty in a clinic, since when (NULL: off duty). An alert
-- left unacknowledged is escalated to the prescribers on duty, or to every
-- prescriber of the clinic when none is.
ALTER TABLE user_clinics ADD COLUMN on_duty_since TIMESTAMPTZ;
