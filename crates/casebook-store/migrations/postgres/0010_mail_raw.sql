-- The raw bytes of a message live in a table of their own, so that recording what became of a
-- message rewrites a small row and not the whole message. `claimed_at` is when a message was
-- last taken for routing: one left `processing` longer than a few minutes (its process died) is
-- taken again when it is delivered again.
CREATE TABLE mail_raw (
    mail_id  BIGINT PRIMARY KEY REFERENCES mail_messages (id),
    raw      BYTEA  NOT NULL
);
INSERT INTO mail_raw (mail_id, raw) SELECT id, raw FROM mail_messages;
ALTER TABLE mail_messages DROP COLUMN raw;
ALTER TABLE mail_messages ADD COLUMN claimed_at TIMESTAMPTZ;
UPDATE mail_messages SET claimed_at = received_at;

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
