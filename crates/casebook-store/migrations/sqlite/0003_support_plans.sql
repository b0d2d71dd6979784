-- Support plans (SLA terms per severity), the default plan, and an organisation's own plan.
CREATE TABLE support_plans (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    definition  TEXT    NOT NULL,
    is_default  INTEGER NOT NULL DEFAULT 0,
    builtin     INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX support_plans_one_default ON support_plans (is_default) WHERE is_default;
ALTER TABLE organizations ADD COLUMN support_plan_id TEXT REFERENCES support_plans (id);
