-- SLA clocks: the plan chosen for each case, one clock per metric and cycle with its event
-- log, durable escalation jobs (one per clock and step, fired once), in-app notifications, the
-- mail outbox, and who leads a tier or is the duty manager.
CREATE TABLE case_sla (
    case_id     INTEGER  PRIMARY KEY REFERENCES cases (id),
    plan_id     TEXT   NOT NULL REFERENCES support_plans (id),
    source      TEXT   NOT NULL,
    chosen_at   INTEGER   NOT NULL
);

CREATE TABLE sla_clocks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER  NOT NULL REFERENCES cases (id),
    metric      TEXT   NOT NULL,
    cycle       INTEGER  NOT NULL,
    calendar_id TEXT   NOT NULL REFERENCES calendars (id),
    target      TEXT   NOT NULL,
    state       TEXT   NOT NULL,
    started_at  INTEGER   NOT NULL,
    deadline    INTEGER,
    breached    INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER   NOT NULL,
    UNIQUE (case_id, metric, cycle)
);
CREATE INDEX sla_clocks_running_deadline ON sla_clocks (deadline, id) WHERE state = 'running';

CREATE TABLE sla_clock_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    clock_id    INTEGER  NOT NULL REFERENCES sla_clocks (id),
    at          INTEGER   NOT NULL,
    kind        TEXT   NOT NULL,
    note        TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX sla_clock_events_clock ON sla_clock_events (clock_id, id);

CREATE TABLE sla_escalations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    clock_id    INTEGER  NOT NULL REFERENCES sla_clocks (id),
    step        INTEGER  NOT NULL,
    percent     INTEGER  NOT NULL,
    notify      TEXT   NOT NULL,
    due_at      INTEGER,
    fired_at    INTEGER,
    UNIQUE (clock_id, step)
);
CREATE INDEX sla_escalations_due ON sla_escalations (due_at, id) WHERE fired_at IS NULL AND due_at IS NOT NULL;

CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER  NOT NULL REFERENCES users (id),
    case_id     INTEGER  REFERENCES cases (id),
    kind        TEXT   NOT NULL,
    title       TEXT   NOT NULL,
    body        TEXT   NOT NULL DEFAULT '',
    dedupe_key  TEXT   NOT NULL UNIQUE,
    created_at  INTEGER   NOT NULL,
    read_at     INTEGER
);
CREATE INDEX notifications_user ON notifications (user_id, id);

CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT   NOT NULL,
    recipient   TEXT   NOT NULL,
    subject     TEXT   NOT NULL,
    body        TEXT   NOT NULL,
    dedupe_key  TEXT   NOT NULL UNIQUE,
    created_at  INTEGER   NOT NULL,
    sent_at     INTEGER,
    attempts    INTEGER  NOT NULL DEFAULT 0,
    last_error  TEXT
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;

ALTER TABLE users ADD COLUMN leads_tier TEXT;
ALTER TABLE users ADD COLUMN duty_manager INTEGER NOT NULL DEFAULT 0;
