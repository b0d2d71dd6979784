-- The user of a contact is looked up for every mail about a case (who is told, in which
-- language); without an index that reads the whole users table. (PostgreSQL also keeps raw
-- messages uncompressed out of line; SQLite does not compress.)
CREATE INDEX users_contact ON users (contact_id) WHERE contact_id IS NOT NULL;
