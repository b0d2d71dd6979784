-- On-site visits and spare parts (现场服务, 备件; issue 25). parts: the catalogue, part_products
-- the products that use each. depots: where parts are kept. stock: a part at a depot, on hand
-- and reserved by visits; the checks keep both at or above zero and the reserved within what
-- is on hand, so a reservation that would overdraw it changes no row. stock_movements: every
-- receipt, write-off, reservation, release and use, with why. visits: dispatched from a case
-- (state planned, on_site, completed, cancelled), visit_engineers the engineers in order (the
-- first leads), visit_parts the reservations and how many were used, part_uses each item used
-- with the serial number that went in and the one that came out (returned as defective).
CREATE TABLE parts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    part_number TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    serialized BOOLEAN NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE part_products (
    part_id INTEGER NOT NULL REFERENCES parts (id),
    product_id INTEGER NOT NULL REFERENCES products (id),
    PRIMARY KEY (part_id, product_id)
);

CREATE TABLE depots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE stock (
    depot_id INTEGER NOT NULL REFERENCES depots (id),
    part_id INTEGER NOT NULL REFERENCES parts (id),
    on_hand INTEGER NOT NULL CHECK (on_hand >= 0),
    reserved INTEGER NOT NULL CHECK (reserved >= 0 AND reserved <= on_hand),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (depot_id, part_id)
);

CREATE TABLE stock_movements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    depot_id INTEGER NOT NULL REFERENCES depots (id),
    part_id INTEGER NOT NULL REFERENCES parts (id),
    kind TEXT NOT NULL CHECK (kind IN ('received', 'written_off', 'reserved', 'released', 'used')),
    quantity INTEGER NOT NULL,
    reason TEXT NOT NULL,
    visit_id INTEGER,
    user_id INTEGER REFERENCES users (id),
    at INTEGER NOT NULL
);
CREATE INDEX stock_movements_part ON stock_movements (part_id, id);

CREATE TABLE visits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    site_id INTEGER REFERENCES sites (id),
    state TEXT NOT NULL CHECK (state IN ('planned', 'on_site', 'completed', 'cancelled')),
    planned_arrival INTEGER NOT NULL,
    notes TEXT NOT NULL,
    dispatched_by INTEGER REFERENCES users (id),
    dispatched_at INTEGER NOT NULL,
    checked_in_at INTEGER,
    ended_at INTEGER,
    work_done TEXT NOT NULL DEFAULT '',
    travel_minutes INTEGER NOT NULL DEFAULT 0,
    onsite_minutes INTEGER,
    cancel_reason TEXT,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX visits_case ON visits (case_id, id);
CREATE INDEX visits_planned ON visits (planned_arrival);

CREATE TABLE visit_engineers (
    visit_id INTEGER NOT NULL REFERENCES visits (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    position INTEGER NOT NULL,
    PRIMARY KEY (visit_id, user_id)
);
CREATE INDEX visit_engineers_user ON visit_engineers (user_id, visit_id);

CREATE TABLE visit_parts (
    visit_id INTEGER NOT NULL REFERENCES visits (id),
    part_id INTEGER NOT NULL REFERENCES parts (id),
    depot_id INTEGER NOT NULL REFERENCES depots (id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    used INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0 AND used <= quantity),
    PRIMARY KEY (visit_id, part_id, depot_id)
);

CREATE TABLE part_uses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    visit_id INTEGER NOT NULL REFERENCES visits (id),
    part_id INTEGER NOT NULL REFERENCES parts (id),
    depot_id INTEGER NOT NULL REFERENCES depots (id),
    unit_id INTEGER REFERENCES units (id),
    new_serial TEXT,
    old_serial TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX part_uses_part ON part_uses (part_id, created_at);
