-- Search: documents carry the names of what they belong to (a case its organisation and
-- product, a contact its organisation, a unit its organisation, product and site), so renaming
-- one of those changes the documents of everything that names it.
CREATE INDEX units_site ON units (site_id);

CREATE TRIGGER organizations_search_rename AFTER UPDATE OF name, customer_number ON organizations
    WHEN OLD.name IS NOT NEW.name OR OLD.customer_number IS NOT NEW.customer_number
BEGIN
    INSERT INTO search_changes (kind, object_id)
        SELECT 'case', id FROM cases WHERE organization_id = NEW.id;
    INSERT INTO search_changes (kind, object_id)
        SELECT 'contact', id FROM contacts WHERE organization_id = NEW.id;
    INSERT INTO search_changes (kind, object_id)
        SELECT 'unit', id FROM units WHERE organization_id = NEW.id;
END;

CREATE TRIGGER products_search_rename AFTER UPDATE OF name ON products
    WHEN OLD.name IS NOT NEW.name
BEGIN
    INSERT INTO search_changes (kind, object_id)
        SELECT 'case', id FROM cases WHERE product_id = NEW.id;
    INSERT INTO search_changes (kind, object_id)
        SELECT 'unit', id FROM units WHERE product_id = NEW.id;
END;

CREATE TRIGGER sites_search_rename AFTER UPDATE OF name ON sites
    WHEN OLD.name IS NOT NEW.name
BEGIN
    INSERT INTO search_changes (kind, object_id)
        SELECT 'unit', id FROM units WHERE site_id = NEW.id;
END;
