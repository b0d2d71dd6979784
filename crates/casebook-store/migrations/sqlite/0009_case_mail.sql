-- Mail to customers about their cases. An outbox message may belong to a case and carries the
-- Message-ID it is sent with (made when it is queued), so that a customer's reply to it threads
-- by In-Reply-To/References; `in_reply_to` is the message it answers (the mail that opened the
-- case). Admins edit the text of every kind of mail, per language; a kind without a row uses the
-- built-in text. `secrets` holds the installation's keys (the one that signs reply tokens and
-- the links in mail), made on first use.
ALTER TABLE outbox ADD COLUMN case_id INTEGER REFERENCES cases (id);
ALTER TABLE outbox ADD COLUMN message_id TEXT;
ALTER TABLE outbox ADD COLUMN in_reply_to TEXT;
CREATE UNIQUE INDEX outbox_message_id ON outbox (message_id);

CREATE TABLE mail_templates (
    kind        TEXT    NOT NULL,
    lang        TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    updated_at  INTEGER NOT NULL,
    updated_by  INTEGER REFERENCES users (id),
    PRIMARY KEY (kind, lang)
);

CREATE TABLE secrets (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

-- Per-sender rate limits count recent mail by sender.
CREATE INDEX mail_messages_sender ON mail_messages (from_address, received_at);
