-- The raw bytes of a message live in a table of their own, so that recording what became of a
-- message rewrites a small row and not the whole message. `claimed_at` is when a message was
-- last taken for routing: one left `processing` longer than a few minutes (its process died) is
-- taken again when it is delivered again.
CREATE TABLE mail_raw (
    mail_id  INTEGER PRIMARY KEY REFERENCES mail_messages (id),
    raw      BLOB    NOT NULL
);
INSERT INTO mail_raw (mail_id, raw) SELECT id, raw FROM mail_messages;
ALTER TABLE mail_messages DROP COLUMN raw;
ALTER TABLE mail_messages ADD COLUMN claimed_at INTEGER;
UPDATE mail_messages SET claimed_at = received_at;
