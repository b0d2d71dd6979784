-- The raw bytes of a message live in a table of their own (a message's row is small, its raw
-- bytes are written once). A message is now kept in the transaction of what it did, with its
-- disposition: no message is `processing` any more; one left so by an earlier version (its
-- process died while taking it in) goes to the quarantine for review.
CREATE TABLE mail_raw (
    mail_id  INTEGER PRIMARY KEY REFERENCES mail_messages (id),
    raw      BLOB    NOT NULL
);
INSERT INTO mail_raw (mail_id, raw) SELECT id, raw FROM mail_messages;
ALTER TABLE mail_messages DROP COLUMN raw;
UPDATE mail_messages
   SET disposition = 'quarantined', reason = 'interrupted while being taken in; review it'
 WHERE disposition = 'processing';
