-- Canned replies and macros (issue 22): a template's name, its text in Chinese and English
-- (MiniJinja with the case's placeholders), whether it is a public reply or an internal note,
-- and the changes a macro makes (JSON: status, severity, tier, take). owner_id is NULL for the
-- desk's shared templates and the engineer's id for personal ones.
CREATE TABLE reply_templates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id INTEGER REFERENCES users(id),
    name TEXT NOT NULL,
    visibility TEXT NOT NULL,
    body_zh TEXT NOT NULL,
    body_en TEXT NOT NULL,
    changes TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX reply_templates_owner ON reply_templates (owner_id);
