-- The web pages: the language a user chose (zh-CN or en; NULL follows the browser) and the
-- queue views staff saved.
ALTER TABLE users ADD COLUMN locale TEXT;

CREATE TABLE saved_views (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, name)
);
