-- Knowledge base (知识库 / technotes): articles with a text per language, the products and
-- versions they apply to, the cases they grew from or answer, and the customers' feedback.
-- Contacts subscribe to products to receive critical-issue alerts (关键问题预警).
CREATE TABLE articles (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    status             TEXT    NOT NULL CHECK (status IN ('draft', 'in_review', 'published', 'retired')),
    visibility         TEXT    NOT NULL CHECK (visibility IN ('internal', 'customers', 'public')),
    alert              INTEGER NOT NULL DEFAULT 0,
    tags               TEXT    NOT NULL DEFAULT '[]',
    author_id          INTEGER  NOT NULL REFERENCES users (id),
    -- Who last wrote, changed or submitted the text; with the author and `contributors`
    -- (a JSON list of the user ids who changed or submitted it since it was last published)
    -- they may not publish or reject it.
    edited_by          INTEGER REFERENCES users (id),
    contributors       TEXT    NOT NULL DEFAULT '[]',
    reviewer_id        INTEGER  REFERENCES users (id),
    review_note        TEXT    NOT NULL DEFAULT '',
    submitted_at       INTEGER,
    approved_at        INTEGER,
    published_at       INTEGER,
    retired_at         INTEGER,
    alert_sent_at      INTEGER,
    solved_count       INTEGER  NOT NULL DEFAULT 0,
    not_solved_count   INTEGER  NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    version            INTEGER  NOT NULL DEFAULT 1
);
CREATE INDEX articles_status ON articles (status, id);
CREATE INDEX articles_solved ON articles (solved_count, id) WHERE status = 'published';
CREATE INDEX articles_updated ON articles (updated_at, id);

CREATE TABLE article_texts (
    article_id  INTEGER NOT NULL REFERENCES articles (id),
    language    TEXT   NOT NULL CHECK (language IN ('zh-CN', 'en')),
    title       TEXT   NOT NULL,
    symptom     TEXT   NOT NULL DEFAULT '',
    cause       TEXT   NOT NULL DEFAULT '',
    resolution  TEXT   NOT NULL DEFAULT '',
    body        TEXT   NOT NULL DEFAULT '',
    PRIMARY KEY (article_id, language)
);

CREATE TABLE article_products (
    article_id  INTEGER NOT NULL REFERENCES articles (id),
    product_id  INTEGER NOT NULL REFERENCES products (id),
    versions    TEXT   NOT NULL DEFAULT '[]',
    PRIMARY KEY (article_id, product_id)
);
CREATE INDEX article_products_product ON article_products (product_id, article_id);

CREATE TABLE article_cases (
    article_id  INTEGER NOT NULL REFERENCES articles (id),
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    linked_at   INTEGER NOT NULL,
    linked_by   INTEGER REFERENCES users (id),
    PRIMARY KEY (article_id, case_id)
);
CREATE INDEX article_cases_case ON article_cases (case_id, article_id);

CREATE TABLE article_feedback (
    article_id  INTEGER  NOT NULL REFERENCES articles (id),
    user_id     INTEGER  NOT NULL REFERENCES users (id),
    solved      INTEGER NOT NULL,
    comment     TEXT    NOT NULL DEFAULT '',
    at          INTEGER NOT NULL,
    PRIMARY KEY (article_id, user_id)
);

CREATE TABLE product_subscriptions (
    contact_id  INTEGER NOT NULL REFERENCES contacts (id),
    product_id  INTEGER NOT NULL REFERENCES products (id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (contact_id, product_id)
);
CREATE INDEX product_subscriptions_product ON product_subscriptions (product_id, contact_id);
