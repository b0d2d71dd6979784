-- Integrations (issue 24): subscriptions of webhooks and chat robots to event types, the events
-- written in the transaction of the change that caused them, one delivery per event and
-- subscription, and the log of every attempt.
--
-- subscriptions: kind is webhook, dingtalk, wecom or feishu; events a JSON array of event type
-- names; filters a JSON object (severities, organizations, products, tiers, plans). failures
-- counts failed attempts in a row; at max_failures the subscription is disabled with a reason
-- (disabled_at). lease_until: a sender holds the subscription's queue until then, so one
-- sender at a time delivers its events, in order, whatever the number of servers.
CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('webhook', 'dingtalk', 'wecom', 'feishu')),
    url TEXT NOT NULL,
    secret TEXT NOT NULL DEFAULT '',
    keyword TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL,
    events TEXT NOT NULL,
    filters TEXT NOT NULL,
    mention_duty BOOLEAN NOT NULL DEFAULT FALSE,
    enabled BOOLEAN NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    disabled_reason TEXT,
    disabled_at INTEGER,
    lease_until INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);

-- events: the payload as JSON, as it was when the change committed; key is the event's id in
-- the payload (unique: a retried change adds nothing twice).
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    case_id INTEGER REFERENCES cases (id),
    payload TEXT NOT NULL,
    occurred_at INTEGER NOT NULL
);

-- deliveries: pending until delivered; next_at is when the next attempt may start. Each
-- subscription's pending deliveries go out in id order (the order the events committed in).
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    event_id INTEGER NOT NULL REFERENCES events (id),
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    delivered_at INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX deliveries_pending ON deliveries (subscription_id, id) WHERE state = 'pending';
CREATE INDEX deliveries_event ON deliveries (event_id);

-- One row per attempt: the response's status (none when no answer came), the error, how long.
CREATE TABLE delivery_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    status INTEGER,
    error TEXT,
    duration_ms INTEGER NOT NULL,
    manual BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, id);
