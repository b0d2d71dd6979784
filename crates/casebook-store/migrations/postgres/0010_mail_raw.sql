-- The raw bytes of a message live in a table of their own (a message's row is small, its raw
-- bytes are written once). A message is now kept in the transaction of what it did, with its
-- disposition: no message is `processing` any more; one left so by an earlier version (its
-- process died while taking it in) goes to the quarantine for review.
CREATE TABLE mail_raw (
    mail_id  BIGINT PRIMARY KEY REFERENCES mail_messages (id),
    raw      BYTEA  NOT NULL
);
INSERT INTO mail_raw (mail_id, raw) SELECT id, raw FROM mail_messages;
ALTER TABLE mail_messages DROP COLUMN raw;
UPDATE mail_messages
   SET disposition = 'quarantined', reason = 'interrupted while being taken in; review it'
 WHERE disposition = 'processing';

-- Case numbers on PostgreSQL come from one sequence per year (`case_seq_2026`), made when the
-- year's first case is opened: a sequence is not locked by the transaction that takes a number,
-- so concurrent openings no longer queue on the year's counter row. A number taken by an opening
-- that fails is skipped. The sequences start where the counters stand.
DO $$
DECLARE counter record;
BEGIN
    FOR counter IN SELECT year, last_seq FROM case_counters LOOP
        EXECUTE format('CREATE SEQUENCE IF NOT EXISTS case_seq_%s', counter.year);
        PERFORM setval(format('case_seq_%s', counter.year), counter.last_seq);
    END LOOP;
END $$;
