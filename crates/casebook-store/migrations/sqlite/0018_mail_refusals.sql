-- Mail refused for being larger than mail.max_message_bytes (issue 19): piped mail is bounced
-- to its sender by the MTA, a message in an IMAP mailbox is left there flagged. Neither is
-- kept; this is the record of who sent what, how large, and by which way it came
-- ('pipe', or 'imap:' and the mailbox's name), so staff can answer the sender. Several
-- refusals of one Message-ID are several rows.
CREATE TABLE mail_refusals (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id   TEXT    NOT NULL,
    from_address TEXT    NOT NULL DEFAULT '',
    subject      TEXT    NOT NULL DEFAULT '',
    size         INTEGER NOT NULL,
    reason       TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    refused_at   INTEGER NOT NULL
);
