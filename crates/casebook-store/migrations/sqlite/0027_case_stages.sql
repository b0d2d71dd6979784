-- Per-tier clocks (OLA, issue 23): each stretch of time a case spends at one tier (kind 'tier',
-- tier set) or with one owner (kind 'owner', owner_id set or NULL while unassigned), from the
-- change that started it to the change that ended it (NULL while it lasts). Business time is
-- computed from these rows on the case's calendar. Open cases of a database made before this
-- migration start their stretches now.
CREATE TABLE case_stages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL,
    tier TEXT,
    owner_id INTEGER REFERENCES users (id),
    started_at INTEGER NOT NULL,
    ended_at INTEGER
);
CREATE INDEX case_stages_case ON case_stages (case_id, id);
CREATE INDEX case_stages_open ON case_stages (kind, case_id) WHERE ended_at IS NULL;
INSERT INTO case_stages (case_id, kind, tier, owner_id, started_at)
    SELECT id, 'tier', COALESCE(tier, 'intake'), NULL, CAST(strftime('%s', 'now') AS INTEGER) * 1000
    FROM cases WHERE status NOT IN ('closed', 'cancelled');
INSERT INTO case_stages (case_id, kind, tier, owner_id, started_at)
    SELECT id, 'owner', NULL, owner_id, CAST(strftime('%s', 'now') AS INTEGER) * 1000
    FROM cases WHERE status NOT IN ('closed', 'cancelled');
