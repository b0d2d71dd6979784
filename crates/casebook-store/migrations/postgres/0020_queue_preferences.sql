-- The console's queue as each engineer set it up: which columns show, in which order, and how
-- dense the table is (comfortable or compact). One row per user; no row means the defaults.
CREATE TABLE queue_preferences (
    user_id     BIGINT       PRIMARY KEY REFERENCES users (id),
    columns     TEXT         NOT NULL,
    density     TEXT         NOT NULL CHECK (density IN ('comfortable', 'compact')),
    updated_at  TIMESTAMPTZ  NOT NULL
);
