-- Keys and the responses kept for them are forgotten after a day
-- (store.IdempotencyKeep); the housekeeping finds them by age.
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
