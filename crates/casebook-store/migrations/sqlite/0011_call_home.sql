-- Call home: devices and site gateways report their own faults with a key bound to one
-- organisation (and optionally one site). Each event is kept once (idempotency key per
-- organisation) with what became of it; devices have a state (heartbeat, storm window); rules
-- map product + event code to an action; a case opened by a device carries the fault signature
-- it folds repeats into.
CREATE TABLE call_home_keys (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id       TEXT    NOT NULL UNIQUE,
    secret          TEXT    NOT NULL,
    organization_id INTEGER  NOT NULL REFERENCES organizations (id),
    site_id         INTEGER  REFERENCES sites (id),
    label           TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    created_by      INTEGER  REFERENCES users (id),
    expires_at      INTEGER,
    revoked_at      INTEGER,
    revoked_by      INTEGER  REFERENCES users (id),
    last_used_at    INTEGER
);
CREATE INDEX call_home_keys_organization ON call_home_keys (organization_id, id);

CREATE TABLE call_home_nonces (
    key_id  INTEGER NOT NULL REFERENCES call_home_keys (id),
    nonce   TEXT   NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (key_id, nonce)
);
CREATE INDEX call_home_nonces_seen ON call_home_nonces (seen_at);

CREATE TABLE call_home_rules (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id   INTEGER REFERENCES products (id),
    event_code   TEXT   NOT NULL,
    action       TEXT   NOT NULL,
    severity     INTEGER,
    category     TEXT,
    close_on_recovery INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    UNIQUE (product_id, event_code)
);

CREATE TABLE call_home_devices (
    unit_id            INTEGER PRIMARY KEY REFERENCES units (id),
    last_event_at      INTEGER,
    last_heartbeat_at  INTEGER,
    heartbeat_secs     INTEGER,
    silent_since       INTEGER,
    window_started_at  INTEGER,
    window_events      INTEGER NOT NULL DEFAULT 0,
    suppressed_until   INTEGER,
    suppressed_events  INTEGER NOT NULL DEFAULT 0,
    configuration      TEXT
);

CREATE TABLE call_home_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    idempotency_key TEXT   NOT NULL,
    key_id          INTEGER NOT NULL REFERENCES call_home_keys (id),
    unit_id         INTEGER REFERENCES units (id),
    site_code       TEXT   NOT NULL DEFAULT '',
    serial_number   TEXT   NOT NULL,
    product         TEXT   NOT NULL DEFAULT '',
    version         TEXT   NOT NULL DEFAULT '',
    event_type      TEXT   NOT NULL,
    event_code      TEXT   NOT NULL DEFAULT '',
    severity        TEXT   NOT NULL DEFAULT '',
    message         TEXT   NOT NULL DEFAULT '',
    log_excerpt     TEXT   NOT NULL DEFAULT '',
    occurred_at     INTEGER NOT NULL,
    received_at     INTEGER NOT NULL,
    outcome         TEXT   NOT NULL,
    reason          TEXT   NOT NULL DEFAULT '',
    case_id         INTEGER REFERENCES cases (id),
    UNIQUE (organization_id, idempotency_key)
);
CREATE INDEX call_home_events_unit ON call_home_events (unit_id, id);
CREATE INDEX call_home_events_case ON call_home_events (case_id, id) WHERE case_id IS NOT NULL;
CREATE INDEX call_home_events_outcome ON call_home_events (outcome, id);

-- The fault a case opened by a device is about (the unit and its fault signature) and how often
-- it recurred; a later event of the same fault folds into the case while it is not closed.
CREATE TABLE case_faults (
    case_id      INTEGER PRIMARY KEY REFERENCES cases (id),
    unit_id      INTEGER NOT NULL REFERENCES units (id),
    signature    TEXT   NOT NULL,
    occurrences  INTEGER NOT NULL DEFAULT 1,
    first_seen   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL
);
CREATE INDEX case_faults_unit ON case_faults (unit_id, signature, case_id);
