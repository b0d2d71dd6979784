-- Satisfaction surveys on closure (满意度调查, issue 23).
-- survey_settings: the one row of admins' settings and questions, a JSON document; absent: the
-- built-in defaults.
CREATE TABLE survey_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    settings TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- One row per closure of a case: a survey sent (pending until answered) or skipped with its
-- reason. closure_event is the timeline entry of the closing status change, so a retried
-- closure adds nothing twice. recipient is the address asked (lower case): the fatigue rule
-- looks for the last survey sent to it. sent_on and answered_on are the desk's days
-- (YYYY-MM-DD), so months are a prefix on both databases. engineer_id is the case's owner at
-- closure.
CREATE TABLE surveys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    closure_event INTEGER NOT NULL,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    product_id INTEGER REFERENCES products (id),
    engineer_id INTEGER REFERENCES users (id),
    contact_id INTEGER REFERENCES contacts (id),
    user_id INTEGER REFERENCES users (id),
    recipient TEXT,
    language TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'answered', 'skipped')),
    skip_reason TEXT,
    sent_at INTEGER NOT NULL,
    sent_on TEXT NOT NULL,
    expires_at INTEGER,
    answered_at INTEGER,
    answered_on TEXT,
    answered_via TEXT,
    resolution_score INTEGER CHECK (resolution_score BETWEEN 1 AND 5),
    speed_score INTEGER CHECK (speed_score BETWEEN 1 AND 5),
    engineer_score INTEGER CHECK (engineer_score BETWEEN 1 AND 5),
    comment TEXT,
    negative BOOLEAN,
    UNIQUE (case_id, closure_event)
);
CREATE INDEX surveys_recipient ON surveys (recipient, sent_at) WHERE status <> 'skipped';
CREATE INDEX surveys_user ON surveys (user_id, id);
CREATE INDEX surveys_contact ON surveys (contact_id, id);
CREATE INDEX surveys_sent_on ON surveys (sent_on);
CREATE INDEX surveys_answered ON surveys (answered_on, id) WHERE status = 'answered';
CREATE INDEX surveys_case ON surveys (case_id, id);

-- A follow-up task for the service manager of the case's contract (absent: administrators and
-- managers), opened by a low score or a negative comment, due by its own deadline;
-- overdue_told_at is set when its people were told that it is overdue (once).
CREATE TABLE survey_follow_ups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    survey_id INTEGER NOT NULL UNIQUE REFERENCES surveys (id),
    case_id INTEGER NOT NULL REFERENCES cases (id),
    manager_id INTEGER REFERENCES users (id),
    reason TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    completed_at INTEGER,
    completed_by INTEGER REFERENCES users (id),
    note TEXT,
    overdue_told_at INTEGER
);
CREATE INDEX survey_follow_ups_open ON survey_follow_ups (due_at, id) WHERE completed_at IS NULL;
CREATE INDEX survey_follow_ups_manager ON survey_follow_ups (manager_id, id);
CREATE INDEX survey_follow_ups_case ON survey_follow_ups (case_id);
