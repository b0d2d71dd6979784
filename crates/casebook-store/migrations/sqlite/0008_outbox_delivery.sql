-- Delivery of the mail outbox: when a failed message is tried again (backoff), and until when a
-- sender process holds a message it is sending (so two servers never send it twice at once).
ALTER TABLE outbox ADD COLUMN next_attempt_at INTEGER;
ALTER TABLE outbox ADD COLUMN claimed_until INTEGER;
