-- Look-alike addresses: every user's and contact's e-mail address is kept with its look-alike
-- key (casebook_domain::lookalike::key, the confusable skeleton), so that a new address that
-- only looks like one in use is found by one indexed lookup. Rows written before this
-- migration get their key from the store right after the migrations run (`lookalikes::backfill`).
ALTER TABLE users ADD COLUMN lookalike_key TEXT;
ALTER TABLE contacts ADD COLUMN lookalike_key TEXT;
CREATE INDEX users_lookalike ON users (lookalike_key);
CREATE INDEX contacts_lookalike ON contacts (lookalike_key);
