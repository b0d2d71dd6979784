-- The on-duty rota (值班表, issue 24). duty_shifts: a team's shifts, times as HH:MM in the
-- duty calendar's zone (an end not after the start is the next day), days working,
-- non_working or every. duty_assignments: who is duty engineer and duty manager of one
-- occurrence of a shift, keyed by the date it starts on (YYYY-MM-DD); a swap keeps whom it
-- replaced and why. duty_contacts: how the chat robots @-mention a member of staff on duty.
-- duty_pages: a page to the duty engineer about a case (a severity-1 case outside business
-- hours, an SLA breach, a device fault), once per case, reason and occurrence; acknowledged
-- by the engineer or the manager, or escalated to the manager once when its time ran out.
CREATE TABLE duty_shifts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team TEXT NOT NULL,
    name TEXT NOT NULL,
    starts TEXT NOT NULL,
    ends TEXT NOT NULL,
    days TEXT NOT NULL CHECK (days IN ('working', 'non_working', 'every')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE duty_assignments (
    shift_id INTEGER NOT NULL REFERENCES duty_shifts (id) ON DELETE CASCADE,
    on_date TEXT NOT NULL,
    engineer_id INTEGER NOT NULL REFERENCES users (id),
    manager_id INTEGER REFERENCES users (id),
    swapped_from INTEGER REFERENCES users (id),
    swap_reason TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (shift_id, on_date)
);

CREATE TABLE duty_contacts (
    user_id INTEGER PRIMARY KEY REFERENCES users (id),
    mobile TEXT NOT NULL DEFAULT '',
    dingtalk_id TEXT NOT NULL DEFAULT '',
    wecom_id TEXT NOT NULL DEFAULT '',
    feishu_id TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL
);

CREATE TABLE duty_pages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    reason TEXT NOT NULL,
    shift_id INTEGER NOT NULL REFERENCES duty_shifts (id) ON DELETE CASCADE,
    on_date TEXT NOT NULL,
    engineer_id INTEGER NOT NULL REFERENCES users (id),
    manager_id INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    ack_due_at INTEGER NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by INTEGER REFERENCES users (id),
    escalated_at INTEGER,
    UNIQUE (case_id, reason, shift_id, on_date)
);
CREATE INDEX duty_pages_due ON duty_pages (ack_due_at) WHERE acknowledged_at IS NULL AND escalated_at IS NULL;
