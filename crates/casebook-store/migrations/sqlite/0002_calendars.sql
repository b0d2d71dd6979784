-- Business calendars (SLA). The definition is JSON (time zone, weekly hours, exceptions).
CREATE TABLE calendars (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    definition  TEXT    NOT NULL,
    builtin     INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
