-- The user of a contact is looked up for every mail about a case (who is told, in which
-- language); without an index that reads the whole users table.
CREATE INDEX users_contact ON users (contact_id) WHERE contact_id IS NOT NULL;
-- Raw messages are mostly base64 that does not compress: keep them out of line uncompressed
-- instead of trying to compress every one.
ALTER TABLE mail_raw ALTER COLUMN raw SET STORAGE EXTERNAL;
