-- Contracts, entitlements and the installed base: product version lifecycle dates, customer
-- sites, installed units with their history, support contracts with what they cover, and the
-- entitlement decision stored on each case.
ALTER TABLE product_versions ADD COLUMN end_of_marketing_on TEXT;
ALTER TABLE product_versions ADD COLUMN end_of_support_on TEXT;
CREATE INDEX product_versions_end_of_support ON product_versions (end_of_support_on) WHERE end_of_support_on IS NOT NULL;

CREATE TABLE sites (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    code            TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    address         TEXT    NOT NULL DEFAULT '',
    notes           TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX sites_organization ON sites (organization_id, id);

CREATE TABLE units (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id  INTEGER NOT NULL REFERENCES organizations (id),
    site_id          INTEGER REFERENCES sites (id),
    serial_number    TEXT    NOT NULL,
    product_id       INTEGER NOT NULL REFERENCES products (id),
    product_version  TEXT,
    patch_level      TEXT,
    operating_system TEXT,
    notes            TEXT    NOT NULL DEFAULT '',
    retired_at       INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1,
    UNIQUE (product_id, serial_number)
);
CREATE INDEX units_serial ON units (serial_number);
CREATE INDEX units_organization ON units (organization_id, id);
CREATE INDEX units_product_version ON units (product_id, product_version);

CREATE TABLE unit_history (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id   INTEGER NOT NULL REFERENCES units (id),
    at        INTEGER NOT NULL,
    actor_id  INTEGER REFERENCES users (id),
    changes   TEXT    NOT NULL
);
CREATE INDEX unit_history_unit ON unit_history (unit_id, id);

CREATE TABLE contracts (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_number    TEXT    NOT NULL UNIQUE,
    organization_id    INTEGER NOT NULL REFERENCES organizations (id),
    plan_id            TEXT    NOT NULL REFERENCES support_plans (id),
    starts_on          TEXT    NOT NULL,
    ends_on            TEXT    NOT NULL,
    precedence         INTEGER NOT NULL DEFAULT 0,
    channels           TEXT    NOT NULL,
    services           TEXT    NOT NULL,
    coverage           TEXT    NOT NULL,
    incidents          INTEGER,
    service_manager_id INTEGER REFERENCES users (id),
    notes              TEXT    NOT NULL DEFAULT '',
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1,
    CHECK (ends_on >= starts_on)
);
CREATE INDEX contracts_organization ON contracts (organization_id, id);
CREATE INDEX contracts_ends_on ON contracts (ends_on, id);

-- What each contract covers is also kept as one JSON document on the contract (`coverage`), read
-- with the contract in one statement; these tables hold the same lists with foreign keys, so a
-- covered unit, product or contact cannot disappear, and answer "which contracts cover unit X".
CREATE TABLE contract_units (
    contract_id INTEGER NOT NULL REFERENCES contracts (id),
    unit_id     INTEGER NOT NULL REFERENCES units (id),
    PRIMARY KEY (contract_id, unit_id)
);
CREATE INDEX contract_units_unit ON contract_units (unit_id);
CREATE TABLE contract_products (
    contract_id INTEGER NOT NULL REFERENCES contracts (id),
    product_id  INTEGER NOT NULL REFERENCES products (id),
    PRIMARY KEY (contract_id, product_id)
);
CREATE TABLE contract_contacts (
    contract_id INTEGER NOT NULL REFERENCES contracts (id),
    contact_id  INTEGER NOT NULL REFERENCES contacts (id),
    PRIMARY KEY (contract_id, contact_id)
);

ALTER TABLE cases ADD COLUMN unit_id INTEGER REFERENCES units (id);
ALTER TABLE cases ADD COLUMN contract_id INTEGER REFERENCES contracts (id);
ALTER TABLE cases ADD COLUMN entitlement_outcome TEXT;
ALTER TABLE cases ADD COLUMN entitlement_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN entitlement_overridden_by INTEGER REFERENCES users (id);
ALTER TABLE cases ADD COLUMN entitlement_override_reason TEXT;
CREATE INDEX cases_contract ON cases (contract_id) WHERE contract_id IS NOT NULL;
CREATE INDEX cases_unit ON cases (unit_id, id) WHERE unit_id IS NOT NULL;
