-- Linked, merged and split cases (issue 22). A link joins two cases once (whichever way it was
-- made): `case_id` is the case the link is said of ("2026-00007 is a duplicate of 2026-00003"),
-- `other_id` the case it names. A parent problem is stored from its children (`child_of`), so a
-- case has at most one parent. A case merged into another keeps its row and number, closed,
-- with `merged_into` naming the surviving case.
ALTER TABLE cases ADD COLUMN merged_into INTEGER REFERENCES cases (id);

CREATE TABLE case_links (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    other_id   INTEGER NOT NULL REFERENCES cases (id),
    kind       TEXT    NOT NULL
        CHECK (kind IN ('duplicate_of', 'caused_by', 'related', 'child_of', 'split_from')),
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    CHECK (case_id <> other_id)
);
CREATE UNIQUE INDEX case_links_pair ON case_links (min(case_id, other_id), max(case_id, other_id));
CREATE INDEX case_links_case ON case_links (case_id, id);
CREATE INDEX case_links_other ON case_links (other_id, id);
CREATE UNIQUE INDEX case_links_one_parent ON case_links (case_id) WHERE kind = 'child_of';
