-- Search: every change of something searchable (a case and its timeline, an organisation, a
-- contact, a unit, an article with its texts and products) adds a row to `search_changes` in the
-- changing transaction, by trigger, so no code path can forget it. SQLite has one writer, so the
-- rows become visible in id order and the index applies them by id. Rows are pruned after some
-- days; an index older than that is rebuilt.
CREATE TABLE search_changes (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    kind      TEXT    NOT NULL,
    object_id INTEGER NOT NULL,
    at        INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
);
CREATE INDEX search_changes_at ON search_changes (at);

CREATE TRIGGER cases_search_insert AFTER INSERT ON cases
BEGIN INSERT INTO search_changes (kind, object_id) VALUES ('case', NEW.id); END;
CREATE TRIGGER cases_search_update AFTER UPDATE OF title, description, organization_id,
    contact_id, opened_by, product_id, product_version, environment, operating_system, status,
    severity ON cases
BEGIN INSERT INTO search_changes (kind, object_id) VALUES ('case', NEW.id); END;
CREATE TRIGGER case_events_search_insert AFTER INSERT ON case_events WHEN NEW.body IS NOT NULL
BEGIN INSERT INTO search_changes (kind, object_id) VALUES ('case', NEW.case_id); END;
CREATE TRIGGER case_events_search_update AFTER UPDATE OF body, visibility ON case_events
    WHEN NEW.body IS NOT NULL
BEGIN INSERT INTO search_changes (kind, object_id) VALUES ('case', NEW.case_id); END;
CREATE TRIGGER organizations_search_insert AFTER INSERT ON organizations
BEGIN INSERT INTO search_changes (kind, object_id) VALUES ('organization', NEW.id); END;
CREATE TRIGGER organizations_search_update AFTER UPDATE ON organizations
BEGIN INSERT INTO search_changes (kind, object_id) VALUES ('organization', NEW.id); END;
CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts
BEGIN INSERT INTO search_changes (kind, object_id) VALUES ('contact', NEW.id); END;
CREATE TRIGGER contacts_search_update AFTER UPDATE ON contacts
BEGIN INSERT INTO search_changes (kind, object_id) VALUES ('contact', NEW.id); END;
CREATE TRIGGER units_search_insert AFTER INSERT ON units
BEGIN INSERT INTO search_changes (kind, object_id) VALUES ('unit', NEW.id); END;
CREATE TRIGGER units_search_update AFTER UPDATE OF serial_number, organization_id, site_id,
    product_id, product_version, patch_level, operating_system, notes, retired_at ON units
BEGIN INSERT INTO search_changes (kind, object_id) VALUES ('unit', NEW.id); END;
CREATE TRIGGER articles_search_insert AFTER INSERT ON articles
BEGIN INSERT INTO search_changes (kind, object_id) VALUES ('article', NEW.id); END;
CREATE TRIGGER articles_search_update AFTER UPDATE ON articles
BEGIN INSERT INTO search_changes (kind, object_id) VALUES ('article', NEW.id); END;
CREATE TRIGGER article_texts_search_insert AFTER INSERT ON article_texts
BEGIN INSERT INTO search_changes (kind, object_id) VALUES ('article', NEW.article_id); END;
CREATE TRIGGER article_texts_search_update AFTER UPDATE ON article_texts
BEGIN INSERT INTO search_changes (kind, object_id) VALUES ('article', NEW.article_id); END;
CREATE TRIGGER article_texts_search_delete AFTER DELETE ON article_texts
BEGIN INSERT INTO search_changes (kind, object_id) VALUES ('article', OLD.article_id); END;
CREATE TRIGGER article_products_search_insert AFTER INSERT ON article_products
BEGIN INSERT INTO search_changes (kind, object_id) VALUES ('article', NEW.article_id); END;
CREATE TRIGGER article_products_search_delete AFTER DELETE ON article_products
BEGIN INSERT INTO search_changes (kind, object_id) VALUES ('article', OLD.article_id); END;

-- Self-service deflection: a customer who saw matching articles while typing a new case's title
-- and left without filing it.
CREATE TABLE deflections (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    user_id         INTEGER NOT NULL REFERENCES users (id),
    query           TEXT    NOT NULL,
    article_id      INTEGER REFERENCES articles (id),
    at              INTEGER NOT NULL
);
CREATE INDEX deflections_at ON deflections (at);
