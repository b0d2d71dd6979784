-- Business calendars (SLA). The definition is JSON (time zone, weekly hours, exceptions).
CREATE TABLE calendars (
    id          TEXT        PRIMARY KEY,
    name        TEXT        NOT NULL,
    definition  TEXT        NOT NULL,
    builtin     BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    version     BIGINT      NOT NULL DEFAULT 1
);
