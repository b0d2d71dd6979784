-- Call home, second part: the file an event brought (content in the blob store by its hash),
-- the refusals of device requests counted per day, code and key, and when a device that
-- stopped sending heartbeats becomes silent.
ALTER TABLE call_home_events ADD COLUMN attachment_sha256 TEXT;
ALTER TABLE call_home_events ADD COLUMN attachment_name TEXT;
ALTER TABLE call_home_events ADD COLUMN attachment_type TEXT;
ALTER TABLE call_home_events ADD COLUMN attachment_storage TEXT;
ALTER TABLE call_home_events ADD COLUMN attachment_size INTEGER;

CREATE TABLE call_home_refusals (
    day      TEXT    NOT NULL,
    code     TEXT    NOT NULL,
    key_id   TEXT    NOT NULL DEFAULT '',
    count    INTEGER NOT NULL,
    last_at  INTEGER NOT NULL,
    PRIMARY KEY (day, code, key_id)
);

-- When a device that sends heartbeats becomes silent if none comes (set at each heartbeat
-- from its interval); the sweep flags it once (silent_since) and tells staff.
ALTER TABLE call_home_devices ADD COLUMN silent_after INTEGER;
CREATE INDEX call_home_devices_silent_after ON call_home_devices (silent_after)
    WHERE silent_since IS NULL AND silent_after IS NOT NULL;
