-- Mail that reached Casebook: the raw message, where it went (threaded into a case, opened a
-- case, quarantined, ignored) and why. The Message-ID is unique, so a message delivered twice
-- (an MTA retry) is recognised and not processed again.
CREATE TABLE mail_messages (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id   TEXT    NOT NULL UNIQUE,
    from_address TEXT    NOT NULL DEFAULT '',
    subject      TEXT    NOT NULL DEFAULT '',
    case_id      INTEGER REFERENCES cases (id),
    disposition  TEXT    NOT NULL,
    reason       TEXT    NOT NULL DEFAULT '',
    size         INTEGER NOT NULL,
    raw          BLOB    NOT NULL,
    received_at  INTEGER NOT NULL,
    decided_at   INTEGER
);
CREATE INDEX mail_messages_case ON mail_messages (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX mail_messages_quarantine ON mail_messages (id) WHERE disposition = 'quarantined';
