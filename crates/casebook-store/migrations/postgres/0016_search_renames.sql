-- Search: documents carry the names of what they belong to (a case its organisation and
-- product, a contact its organisation, a unit its organisation, product and site), so renaming
-- one of those changes the documents of everything that names it.
CREATE INDEX units_site ON units (site_id);

CREATE FUNCTION search_change_of_organization_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_changes (kind, object_id)
        SELECT 'case', id FROM cases WHERE organization_id = NEW.id;
    INSERT INTO search_changes (kind, object_id)
        SELECT 'contact', id FROM contacts WHERE organization_id = NEW.id;
    INSERT INTO search_changes (kind, object_id)
        SELECT 'unit', id FROM units WHERE organization_id = NEW.id;
    RETURN NULL;
END $$;

CREATE FUNCTION search_change_of_product_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_changes (kind, object_id)
        SELECT 'case', id FROM cases WHERE product_id = NEW.id;
    INSERT INTO search_changes (kind, object_id)
        SELECT 'unit', id FROM units WHERE product_id = NEW.id;
    RETURN NULL;
END $$;

CREATE FUNCTION search_change_of_site_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_changes (kind, object_id)
        SELECT 'unit', id FROM units WHERE site_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER organizations_search_rename AFTER UPDATE OF name, customer_number ON organizations
    FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.customer_number IS DISTINCT FROM NEW.customer_number)
    EXECUTE FUNCTION search_change_of_organization_name();
CREATE TRIGGER products_search_rename AFTER UPDATE OF name ON products
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION search_change_of_product_name();
CREATE TRIGGER sites_search_rename AFTER UPDATE OF name ON sites
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION search_change_of_site_name();
