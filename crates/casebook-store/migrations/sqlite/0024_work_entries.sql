-- Time accounting (工时, issue 23): the minutes someone spent on a case, by activity, billable or
-- not. contract_id is the contract the case was charged to when the time was recorded, so a
-- contract's bank of hours is the sum of its billable entries. worked_on is the day the work was
-- done in the desk's time zone (YYYY-MM-DD), so months are a prefix on both databases.
-- source_key is set for entries recorded automatically (a remote session, an on-site visit), so
-- that a retried recording adds nothing twice.
CREATE TABLE work_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    contract_id INTEGER REFERENCES contracts (id),
    worked_at INTEGER NOT NULL,
    worked_on TEXT NOT NULL,
    minutes INTEGER NOT NULL CHECK (minutes > 0 AND minutes <= 1440),
    activity TEXT NOT NULL,
    billable BOOLEAN NOT NULL,
    note TEXT NOT NULL,
    source TEXT NOT NULL,
    source_key TEXT UNIQUE,
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX work_entries_case ON work_entries (case_id, id);
CREATE INDEX work_entries_contract ON work_entries (contract_id, worked_on) WHERE contract_id IS NOT NULL;
CREATE INDEX work_entries_user ON work_entries (user_id, worked_on);
CREATE INDEX work_entries_day ON work_entries (worked_on, id);

-- A contract's bank of hours (absent: no bank).
ALTER TABLE contracts ADD COLUMN hours INTEGER;
