-- Remote diagnosis sessions (远程诊断, issue 25). An organisation's remote-access policy
-- (deny, ask, allow) and a site's own (NULL: the organisation's). remote_sessions: one session
-- requested on a case, with its window (starts_at, ends_at), the policy it was requested under,
-- its state and who took each step; log_lines counts its log (the row is locked by each append,
-- so lines are numbered without gaps and nothing is appended once it ended); log_sha256 is the
-- seal written when it ended. remote_log_lines: the command log, immutable once sealed (a line
-- marked internal keeps its text; only who may read it changes). remote_recordings: terminal
-- recordings uploaded while it ran, each kept as an internal attachment of the case.
ALTER TABLE organizations ADD COLUMN remote_policy TEXT NOT NULL DEFAULT 'ask'
    CHECK (remote_policy IN ('deny', 'ask', 'allow'));
ALTER TABLE sites ADD COLUMN remote_policy TEXT
    CHECK (remote_policy IN ('deny', 'ask', 'allow'));

CREATE TABLE remote_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    purpose TEXT NOT NULL,
    method TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    minutes INTEGER NOT NULL CHECK (minutes > 0 AND minutes <= 1440),
    policy TEXT NOT NULL CHECK (policy IN ('ask', 'allow')),
    state TEXT NOT NULL CHECK (state IN ('requested', 'approved', 'declined', 'active', 'ended', 'revoked', 'cancelled')),
    requested_by INTEGER REFERENCES users (id),
    requested_at INTEGER NOT NULL,
    decided_by INTEGER REFERENCES users (id),
    decided_at INTEGER,
    decision_note TEXT NOT NULL DEFAULT '',
    started_by INTEGER REFERENCES users (id),
    started_at INTEGER,
    ended_by INTEGER REFERENCES users (id),
    ended_at INTEGER,
    end_reason TEXT,
    log_lines INTEGER NOT NULL DEFAULT 0,
    log_sha256 TEXT,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX remote_sessions_case ON remote_sessions (case_id, id);
CREATE INDEX remote_sessions_running ON remote_sessions (ends_at) WHERE state = 'active';

CREATE TABLE remote_session_units (
    session_id INTEGER NOT NULL REFERENCES remote_sessions (id),
    unit_id INTEGER NOT NULL REFERENCES units (id),
    PRIMARY KEY (session_id, unit_id)
);

CREATE TABLE remote_log_lines (
    session_id INTEGER NOT NULL REFERENCES remote_sessions (id),
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    text TEXT NOT NULL,
    added_by INTEGER REFERENCES users (id),
    internal_reason TEXT,
    marked_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (session_id, seq)
);

CREATE TABLE remote_recordings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL REFERENCES remote_sessions (id),
    attachment_id INTEGER NOT NULL REFERENCES attachments (id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX remote_recordings_session ON remote_recordings (session_id, id);
