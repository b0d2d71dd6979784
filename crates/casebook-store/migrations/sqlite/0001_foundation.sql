-- Foundation: directory, users, sessions, cases, timeline, attachments, audit log.
-- Timestamps are INTEGER milliseconds since the Unix epoch (UTC).

CREATE TABLE organizations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_number TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    address         TEXT    NOT NULL DEFAULT '',
    notes           TEXT    NOT NULL DEFAULT '',
    archived_at     INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX organizations_name ON organizations (name, id);

CREATE TABLE contacts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    name            TEXT    NOT NULL,
    email           TEXT,
    phone           TEXT,
    can_open_cases  INTEGER NOT NULL DEFAULT 1,
    archived_at     INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX contacts_organization_email ON contacts (organization_id, email) WHERE email IS NOT NULL;
CREATE INDEX contacts_organization ON contacts (organization_id, id);
CREATE INDEX contacts_email ON contacts (email);

CREATE TABLE products (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    vendor      TEXT    NOT NULL,
    archived_at INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    UNIQUE (vendor, name)
);

CREATE TABLE product_versions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id  INTEGER NOT NULL REFERENCES products (id),
    version     TEXT    NOT NULL,
    released_on TEXT,
    created_at  INTEGER NOT NULL,
    UNIQUE (product_id, version)
);

CREATE TABLE users (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    email           TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    role            TEXT    NOT NULL CHECK (role IN ('coordinator', 'engineer', 'manager', 'admin', 'customer_user', 'customer_admin')),
    organization_id INTEGER REFERENCES organizations (id),
    contact_id      INTEGER REFERENCES contacts (id),
    password_hash   TEXT,
    active          INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1,
    CHECK ((role IN ('customer_user', 'customer_admin')) = (organization_id IS NOT NULL))
);
CREATE INDEX users_organization ON users (organization_id, id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    label        TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, id);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    token_hash   TEXT    NOT NULL UNIQUE,
    csrf_token   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE case_counters (
    year     INTEGER PRIMARY KEY,
    last_seq INTEGER NOT NULL
);

CREATE TABLE cases (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    year                 INTEGER NOT NULL,
    seq                  INTEGER NOT NULL,
    title                TEXT    NOT NULL,
    description          TEXT    NOT NULL,
    organization_id      INTEGER NOT NULL REFERENCES organizations (id),
    contact_id           INTEGER REFERENCES contacts (id),
    product_id           INTEGER REFERENCES products (id),
    product_version      TEXT,
    patch_level          TEXT,
    operating_system     TEXT,
    environment          TEXT    NOT NULL DEFAULT '',
    category             TEXT    NOT NULL,
    severity             INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 4),
    channel              TEXT    NOT NULL,
    tier                 TEXT    NOT NULL,
    status               TEXT    NOT NULL,
    owner_id             INTEGER REFERENCES users (id),
    opened_by            INTEGER REFERENCES users (id),
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    closed_at            INTEGER,
    closure_confirmed_by INTEGER REFERENCES users (id),
    closure_confirmed_at INTEGER,
    version              INTEGER NOT NULL DEFAULT 1,
    UNIQUE (year, seq)
);
CREATE INDEX cases_status ON cases (status, id);
CREATE INDEX cases_severity ON cases (severity, id);
CREATE INDEX cases_organization ON cases (organization_id, id);
CREATE INDEX cases_owner ON cases (owner_id, id);
CREATE INDEX cases_contact ON cases (contact_id, id);
CREATE INDEX cases_opened_by ON cases (opened_by, id);
CREATE INDEX cases_product ON cases (product_id, id);

CREATE TABLE case_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    kind       TEXT    NOT NULL,
    visibility TEXT    NOT NULL CHECK (visibility IN ('public', 'internal')),
    actor_id   INTEGER REFERENCES users (id),
    at         INTEGER NOT NULL,
    body       TEXT,
    change     TEXT
);
CREATE INDEX case_events_case ON case_events (case_id, id);

CREATE TABLE attachment_blobs (
    sha256  TEXT PRIMARY KEY,
    content BLOB NOT NULL
);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id      INTEGER NOT NULL REFERENCES cases (id),
    event_id     INTEGER NOT NULL REFERENCES case_events (id),
    file_name    TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size_bytes   INTEGER NOT NULL,
    sha256       TEXT    NOT NULL,
    storage      TEXT    NOT NULL CHECK (storage IN ('database', 'filesystem')),
    uploaded_by  INTEGER REFERENCES users (id),
    created_at   INTEGER NOT NULL
);
CREATE INDEX attachments_case ON attachments (case_id, id);
CREATE INDEX attachments_event ON attachments (event_id);

CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor_id    INTEGER,
    actor_label TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    object_type TEXT    NOT NULL,
    object_id   TEXT    NOT NULL,
    before      TEXT,
    after       TEXT,
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, seq);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
