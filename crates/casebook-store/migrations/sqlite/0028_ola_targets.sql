-- Internal targets per tier (OLA, issue 23): the business minutes a case may stay at one tier,
-- per severity, and the share of it at which the owner is warned. Administrators replace the
-- whole set. Each stay at a tier (a 'tier' row of case_stages) keeps the deadlines fixed for it
-- when it began (set again when the severity or the targets change), and when the warning and
-- the breach were told, so that each is told exactly once whatever the number of servers.
CREATE TABLE ola_targets (
    tier TEXT NOT NULL,
    severity INTEGER NOT NULL,
    minutes INTEGER NOT NULL,
    warn_percent INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tier, severity)
);
ALTER TABLE case_stages ADD COLUMN target_minutes INTEGER;
ALTER TABLE case_stages ADD COLUMN warn_at INTEGER;
ALTER TABLE case_stages ADD COLUMN due_at INTEGER;
ALTER TABLE case_stages ADD COLUMN warned_at INTEGER;
ALTER TABLE case_stages ADD COLUMN breached_at INTEGER;
CREATE INDEX case_stages_ola_warn ON case_stages (warn_at) WHERE ended_at IS NULL AND warned_at IS NULL AND warn_at IS NOT NULL;
CREATE INDEX case_stages_ola_due ON case_stages (due_at) WHERE ended_at IS NULL AND breached_at IS NULL AND due_at IS NOT NULL;
