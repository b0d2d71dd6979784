-- Signed service reports, the fault database and the dispatch board (issue 25).
-- visits: how long the visit is planned to take (the dispatch board draws it and flags an
-- engineer's overlapping visits), and once the customer signed: when, who, how (a drawn
-- signature, kept re-encoded, or a one-time code sent to the contact) and the service report
-- stored on the case (its attachment and SHA-256; the audit entry holds the same hash).
-- visit_sign_codes: the one-time code mailed to the contact, kept as its SHA-256, with its
-- expiry and the wrong tries. outbox.attachment_id: a case attachment sent with the mail.
-- fault_reports: the fault-handling report (故障处理报告) of a case, one per case, with the parts
-- that failed in fault_report_parts; together they are the fault database. stock_items: each item
-- of a serialised part received with its serial number, where it is (in stock at its depot, used
-- on a visit, written off, returned defective from a visit).
ALTER TABLE visits ADD COLUMN planned_minutes INTEGER NOT NULL DEFAULT 120;
ALTER TABLE visits ADD COLUMN signed_at INTEGER;
ALTER TABLE visits ADD COLUMN signer_name TEXT;
ALTER TABLE visits ADD COLUMN sign_method TEXT CHECK (sign_method IN ('drawn', 'code'));
ALTER TABLE visits ADD COLUMN signature TEXT;
ALTER TABLE visits ADD COLUMN report_attachment_id INTEGER REFERENCES attachments (id);
ALTER TABLE visits ADD COLUMN report_sha256 TEXT;

CREATE TABLE visit_sign_codes (
    visit_id INTEGER PRIMARY KEY REFERENCES visits (id),
    code_sha256 TEXT NOT NULL,
    recipient TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

ALTER TABLE outbox ADD COLUMN attachment_id INTEGER REFERENCES attachments (id);

CREATE TABLE fault_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL UNIQUE REFERENCES cases (id),
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    product_id INTEGER REFERENCES products (id),
    product_version TEXT NOT NULL DEFAULT '',
    symptom TEXT NOT NULL,
    category TEXT NOT NULL,
    root_cause TEXT NOT NULL,
    actions TEXT NOT NULL,
    downtime_start INTEGER,
    downtime_end INTEGER,
    article_id INTEGER,
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    CHECK (downtime_end IS NULL OR downtime_start IS NOT NULL AND downtime_end >= downtime_start)
);
CREATE INDEX fault_reports_product ON fault_reports (product_id, created_at);
CREATE INDEX fault_reports_created ON fault_reports (created_at);

CREATE TABLE fault_report_parts (
    fault_id INTEGER NOT NULL REFERENCES fault_reports (id),
    part_id INTEGER NOT NULL REFERENCES parts (id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (fault_id, part_id)
);
CREATE INDEX fault_report_parts_part ON fault_report_parts (part_id);

CREATE TABLE stock_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    depot_id INTEGER NOT NULL REFERENCES depots (id),
    part_id INTEGER NOT NULL REFERENCES parts (id),
    serial TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('in_stock', 'used', 'written_off', 'defective')),
    visit_id INTEGER REFERENCES visits (id),
    updated_at INTEGER NOT NULL,
    UNIQUE (part_id, serial)
);
CREATE INDEX stock_items_depot ON stock_items (depot_id, part_id, state);
