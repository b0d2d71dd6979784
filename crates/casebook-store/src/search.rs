//! What the search index reads: the change feed written by triggers (`search_changes`, migration
//! 0015), the searchable rows of each kind by id, and the self-service deflections.
//!
//! The feed is read in commit order. On SQLite there is one writer, so ids become visible in
//! order and a mark is the last id applied. On PostgreSQL ids of concurrent transactions commit
//! out of order, so rows are read in the order of the transaction ids that wrote them; a row is
//! settled once every older transaction has ended (`pg_snapshot_xmin`), and only settled rows
//! move a reader's mark. Newer committed rows are returned too, unsettled, for the reader to
//! apply early.

use casebook_domain::ids::{Id, OrganizationId, UserId};
use jiff::Timestamp;

use crate::db::{Conn, Db};
use crate::error::{StoreError, StoreResult};
use crate::time::Ts;

/// How far a reader of the feed got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// SQLite: the last change id applied.
    Sqlite(i64),
    /// PostgreSQL: the last `(xid, id)` applied; every row after it comes later.
    Postgres {
        /// The transaction id.
        xid: u64,
        /// The change id within it.
        id: i64,
    },
}

impl Mark {
    /// The mark as text (kept in the index's commit).
    pub fn encode(self) -> String {
        match self {
            Mark::Sqlite(id) => format!("s:{id}"),
            Mark::Postgres { xid, id } => format!("p:{xid}:{id}"),
        }
    }

    /// Reads a mark written by [`Mark::encode`].
    pub fn decode(text: &str) -> Option<Mark> {
        let mut parts = text.split(':');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("s"), Some(id), None, None) => id.parse().ok().map(Mark::Sqlite),
            (Some("p"), Some(xid), Some(id), None) => Some(Mark::Postgres {
                xid: xid.parse().ok()?,
                id: id.parse().ok()?,
            }),
            _ => None,
        }
    }

    /// Whether the mark was made on the backend of `db`.
    pub fn fits(self, db: &Db) -> bool {
        matches!(
            (self, db.backend()),
            (Mark::Sqlite(_), crate::Backend::Sqlite)
                | (Mark::Postgres { .. }, crate::Backend::Postgres)
        )
    }
}

/// One changed object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The change's id.
    pub id: i64,
    /// `case`, `article`, `organization`, `contact` or `unit`.
    pub kind: String,
    /// Its id.
    pub object_id: i64,
    /// Where it is in the feed.
    pub position: Mark,
    /// Whether no change can appear before it any more (always on SQLite; on PostgreSQL when
    /// every transaction older than its own has ended).
    pub settled: bool,
}

impl Mark {
    /// The later of two marks of the same backend.
    pub fn later(self, other: Mark) -> Mark {
        match (self, other) {
            (Mark::Sqlite(a), Mark::Sqlite(b)) => Mark::Sqlite(a.max(b)),
            (Mark::Postgres { xid: a, id: i }, Mark::Postgres { xid: b, id: j }) => {
                if (b, j) > (a, i) { other } else { self }
            }
            _ => self,
        }
    }
}

/// The mark of "now": every change committed before it is in the database's current state.
pub async fn mark_now(db: &mut Db) -> StoreResult<Mark> {
    match db.conn() {
        Conn::Sqlite(c) => {
            let (id,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM search_changes")
                .fetch_one(c)
                .await?;
            Ok(Mark::Sqlite(id.unwrap_or(0)))
        }
        Conn::Postgres(c) => {
            let (xmin,): (String,) =
                sqlx::query_as("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")
                    .fetch_one(c)
                    .await?;
            Ok(Mark::Postgres {
                xid: parse_xid(&xmin)?,
                id: 0,
            })
        }
    }
}

fn parse_xid(text: &str) -> StoreResult<u64> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("transaction id {text:?}")))
}

/// At most `limit` committed changes after `after`, in feed order, and on PostgreSQL the
/// horizon: the mark before which every change is settled. Changes of transactions newer than
/// the oldest running one are returned too (unsettled), so that a long transaction elsewhere
/// does not hold back the others' changes.
pub async fn changes_after(
    db: &mut Db,
    after: Mark,
    limit: i64,
) -> StoreResult<(Vec<Change>, Option<Mark>)> {
    match (db.conn(), after) {
        (Conn::Sqlite(c), Mark::Sqlite(after)) => {
            let rows: Vec<(i64, String, i64)> = sqlx::query_as(
                "SELECT id, kind, object_id FROM search_changes WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(limit)
            .fetch_all(c)
            .await?;
            let changes = rows
                .into_iter()
                .map(|(id, kind, object_id)| Change {
                    id,
                    kind,
                    object_id,
                    position: Mark::Sqlite(id),
                    settled: true,
                })
                .collect();
            Ok((changes, None))
        }
        (Conn::Postgres(c), Mark::Postgres { xid, id }) => {
            // The horizon first: every transaction below it has ended, so its rows are all
            // visible to the next statement (which sees at least as much).
            let (horizon,): (String,) =
                sqlx::query_as("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")
                    .fetch_one(&mut *c)
                    .await?;
            let horizon = parse_xid(&horizon)?;
            let rows: Vec<(String, i64, String, i64)> = sqlx::query_as(
                "SELECT xid::text, id, kind, object_id FROM search_changes
                 WHERE (xid, id) > ($1::text::xid8, $2) ORDER BY xid, id LIMIT $3",
            )
            .bind(xid.to_string())
            .bind(id)
            .bind(limit)
            .persistent(false)
            .fetch_all(c)
            .await?;
            let mut changes = Vec::with_capacity(rows.len());
            for (row_xid, id, kind, object_id) in rows {
                let row_xid = parse_xid(&row_xid)?;
                changes.push(Change {
                    id,
                    kind,
                    object_id,
                    position: Mark::Postgres { xid: row_xid, id },
                    settled: row_xid < horizon,
                });
            }
            Ok((
                changes,
                Some(Mark::Postgres {
                    xid: horizon,
                    id: 0,
                }),
            ))
        }
        _ => Err(StoreError::Corrupt(
            "a search mark of the other backend".into(),
        )),
    }
}

/// Forgets changes made before `before`; returns how many.
pub async fn prune_changes(db: &mut Db, before: Timestamp) -> StoreResult<u64> {
    exec_db!(db, c => sqlx::query("DELETE FROM search_changes WHERE at < $1")
        .bind(Ts::new(before))
        .execute(c)
        .await)
}

/// The ids of one kind's table after `after`, at most `limit`, in order (for a rebuild).
pub async fn ids_after(db: &mut Db, kind: Kind, after: i64, limit: i64) -> StoreResult<Vec<i64>> {
    let sql = format!(
        "SELECT id FROM {} WHERE id > $1 ORDER BY id LIMIT $2",
        kind.table()
    );
    let rows: Vec<(i64,)> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(after)
        .bind(limit)
        .persistent(false)
        .fetch_all(c)
        .await)?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// How many rows of one kind there are (for a rebuild's progress).
pub async fn count(db: &mut Db, kind: Kind) -> StoreResult<i64> {
    let sql = format!("SELECT COUNT(*) FROM {}", kind.table());
    let (n,): (i64,) =
        on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).fetch_one(c).await)?;
    Ok(n)
}

/// The searchable kinds of objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Cases with their timeline.
    Case,
    /// Knowledge articles.
    Article,
    /// Customer organisations.
    Organization,
    /// Contacts.
    Contact,
    /// Installed units.
    Unit,
}

impl Kind {
    /// Every kind, in the order a rebuild takes them.
    pub const ALL: [Kind; 5] = [
        Kind::Article,
        Kind::Organization,
        Kind::Contact,
        Kind::Unit,
        Kind::Case,
    ];

    /// The kind's name in the feed and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Case => "case",
            Kind::Article => "article",
            Kind::Organization => "organization",
            Kind::Contact => "contact",
            Kind::Unit => "unit",
        }
    }

    /// Reads a kind's name.
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    fn table(self) -> &'static str {
        match self {
            Kind::Case => "cases",
            Kind::Article => "articles",
            Kind::Organization => "organizations",
            Kind::Contact => "contacts",
            Kind::Unit => "units",
        }
    }
}

/// Binds a list of ids as one parameter: an array on PostgreSQL, JSON text on SQLite, read by
/// `IN (SELECT value FROM json_each($1))`.
macro_rules! by_ids {
    ($db:expr, $ids:expr, $sqlite:expr, $pg:expr, $row:ty) => {{
        let ids: &[i64] = $ids;
        let rows: Vec<$row> = match $db.conn() {
            Conn::Sqlite(c) => {
                let json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
                sqlx::query_as(sqlx::AssertSqlSafe($sqlite))
                    .bind(json)
                    .fetch_all(c)
                    .await?
            }
            Conn::Postgres(c) => {
                sqlx::query_as(sqlx::AssertSqlSafe($pg))
                    .bind(ids)
                    .fetch_all(c)
                    .await?
            }
        };
        rows
    }};
}

/// A case as the index holds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseRow {
    pub id: i64,
    pub year: i64,
    pub seq: i64,
    pub title: String,
    pub description: String,
    pub organization_id: i64,
    pub organization_name: String,
    pub customer_number: String,
    pub contact_id: Option<i64>,
    pub opened_by: Option<i64>,
    pub product_id: Option<i64>,
    pub product_name: Option<String>,
    pub product_version: Option<String>,
    pub patch_level: Option<String>,
    pub operating_system: Option<String>,
    pub environment: String,
    pub status: String,
    pub severity: i64,
    pub updated_at: Ts,
}

const CASE_COLUMNS: &str = "c.id, c.year, c.seq, c.title, c.description, c.organization_id,
    o.name AS organization_name, o.customer_number, c.contact_id, c.opened_by, c.product_id,
    p.name AS product_name, c.product_version, c.patch_level, c.operating_system, c.environment,
    c.status, c.severity, c.updated_at
    FROM cases c JOIN organizations o ON o.id = c.organization_id
    LEFT JOIN products p ON p.id = c.product_id";

/// The cases with these ids (missing ids are left out).
pub async fn cases(db: &mut Db, ids: &[i64]) -> StoreResult<Vec<CaseRow>> {
    let sqlite = format!(
        "SELECT {CASE_COLUMNS} WHERE c.id IN (SELECT value FROM json_each($1)) ORDER BY c.id"
    );
    let pg = format!("SELECT {CASE_COLUMNS} WHERE c.id = ANY($1) ORDER BY c.id");
    Ok(by_ids!(db, ids, sqlite.as_str(), pg.as_str(), CaseRow))
}

/// A timeline entry with text, for the index.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseTextRow {
    pub case_id: i64,
    pub visibility: String,
    pub body: String,
}

/// The timeline texts of these cases, in order.
pub async fn case_texts(db: &mut Db, ids: &[i64]) -> StoreResult<Vec<CaseTextRow>> {
    Ok(by_ids!(
        db,
        ids,
        "SELECT case_id, visibility, body FROM case_events
         WHERE case_id IN (SELECT value FROM json_each($1)) AND body IS NOT NULL
         ORDER BY case_id, id",
        "SELECT case_id, visibility, body FROM case_events
         WHERE case_id = ANY($1) AND body IS NOT NULL ORDER BY case_id, id",
        CaseTextRow
    ))
}

/// An article as the index holds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ArticleRow {
    pub id: i64,
    pub status: String,
    pub visibility: String,
    pub tags: String,
    pub solved_count: i64,
    pub updated_at: Ts,
}

/// The articles with these ids.
pub async fn articles(db: &mut Db, ids: &[i64]) -> StoreResult<Vec<ArticleRow>> {
    Ok(by_ids!(
        db,
        ids,
        "SELECT id, status, visibility, tags, solved_count, updated_at FROM articles
         WHERE id IN (SELECT value FROM json_each($1)) ORDER BY id",
        "SELECT id, status, visibility, tags, solved_count, updated_at FROM articles
         WHERE id = ANY($1) ORDER BY id",
        ArticleRow
    ))
}

/// One language's text of an article.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ArticleTextRow {
    pub article_id: i64,
    pub language: String,
    pub title: String,
    pub symptom: String,
    pub cause: String,
    pub resolution: String,
    pub body: String,
}

/// The texts of these articles (Chinese first).
pub async fn article_texts(db: &mut Db, ids: &[i64]) -> StoreResult<Vec<ArticleTextRow>> {
    Ok(by_ids!(
        db,
        ids,
        "SELECT article_id, language, title, symptom, cause, resolution, body FROM article_texts
         WHERE article_id IN (SELECT value FROM json_each($1)) ORDER BY article_id, language DESC",
        "SELECT article_id, language, title, symptom, cause, resolution, body FROM article_texts
         WHERE article_id = ANY($1) ORDER BY article_id, language DESC",
        ArticleTextRow
    ))
}

/// A product an article applies to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ArticleProductRow {
    pub article_id: i64,
    pub product_id: i64,
    pub name: String,
    pub versions: String,
}

/// The products of these articles.
pub async fn article_products(db: &mut Db, ids: &[i64]) -> StoreResult<Vec<ArticleProductRow>> {
    Ok(by_ids!(
        db,
        ids,
        "SELECT ap.article_id, ap.product_id, p.name, ap.versions FROM article_products ap
         JOIN products p ON p.id = ap.product_id
         WHERE ap.article_id IN (SELECT value FROM json_each($1)) ORDER BY ap.article_id, p.name",
        "SELECT ap.article_id, ap.product_id, p.name, ap.versions FROM article_products ap
         JOIN products p ON p.id = ap.product_id
         WHERE ap.article_id = ANY($1) ORDER BY ap.article_id, p.name",
        ArticleProductRow
    ))
}

/// An organisation as the index holds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrganizationRow {
    pub id: i64,
    pub customer_number: String,
    pub name: String,
    pub address: String,
    pub notes: String,
    pub archived: bool,
    pub updated_at: Ts,
}

/// The organisations with these ids.
pub async fn organizations(db: &mut Db, ids: &[i64]) -> StoreResult<Vec<OrganizationRow>> {
    Ok(by_ids!(
        db,
        ids,
        "SELECT id, customer_number, name, address, notes, archived_at IS NOT NULL AS archived,
         updated_at FROM organizations WHERE id IN (SELECT value FROM json_each($1)) ORDER BY id",
        "SELECT id, customer_number, name, address, notes, archived_at IS NOT NULL AS archived,
         updated_at FROM organizations WHERE id = ANY($1) ORDER BY id",
        OrganizationRow
    ))
}

/// A contact as the index holds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactRow {
    pub id: i64,
    pub organization_id: i64,
    pub organization_name: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub archived: bool,
    pub updated_at: Ts,
}

/// The contacts with these ids.
pub async fn contacts(db: &mut Db, ids: &[i64]) -> StoreResult<Vec<ContactRow>> {
    Ok(by_ids!(
        db,
        ids,
        "SELECT c.id, c.organization_id, o.name AS organization_name, c.name, c.email, c.phone,
         c.archived_at IS NOT NULL AS archived, c.updated_at
         FROM contacts c JOIN organizations o ON o.id = c.organization_id
         WHERE c.id IN (SELECT value FROM json_each($1)) ORDER BY c.id",
        "SELECT c.id, c.organization_id, o.name AS organization_name, c.name, c.email, c.phone,
         c.archived_at IS NOT NULL AS archived, c.updated_at
         FROM contacts c JOIN organizations o ON o.id = c.organization_id
         WHERE c.id = ANY($1) ORDER BY c.id",
        ContactRow
    ))
}

/// An installed unit as the index holds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnitRow {
    pub id: i64,
    pub organization_id: i64,
    pub organization_name: String,
    pub serial_number: String,
    pub product_id: i64,
    pub product_name: String,
    pub product_version: Option<String>,
    pub patch_level: Option<String>,
    pub operating_system: Option<String>,
    pub site_name: Option<String>,
    pub notes: String,
    pub retired: bool,
    pub updated_at: Ts,
}

const UNIT_COLUMNS: &str = "u.id, u.organization_id, o.name AS organization_name, u.serial_number,
    u.product_id, p.name AS product_name, u.product_version, u.patch_level, u.operating_system,
    s.name AS site_name, u.notes, u.retired_at IS NOT NULL AS retired, u.updated_at
    FROM units u JOIN organizations o ON o.id = u.organization_id
    JOIN products p ON p.id = u.product_id LEFT JOIN sites s ON s.id = u.site_id";

/// The units with these ids.
pub async fn units(db: &mut Db, ids: &[i64]) -> StoreResult<Vec<UnitRow>> {
    let sqlite = format!(
        "SELECT {UNIT_COLUMNS} WHERE u.id IN (SELECT value FROM json_each($1)) ORDER BY u.id"
    );
    let pg = format!("SELECT {UNIT_COLUMNS} WHERE u.id = ANY($1) ORDER BY u.id");
    Ok(by_ids!(db, ids, sqlite.as_str(), pg.as_str(), UnitRow))
}

/// Counts a customer who saw matching articles and left without filing a case.
pub async fn add_deflection(
    db: &mut Db,
    organization: OrganizationId,
    user: UserId,
    query: &str,
    article: Option<i64>,
    at: Timestamp,
) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query(
        "INSERT INTO deflections (organization_id, user_id, query, article_id, at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(organization.get())
    .bind(user.get())
    .bind(query)
    .bind(article)
    .bind(Ts::new(at))
    .execute(c)
    .await)?;
    Ok(())
}

/// Deflections since `since`, of one organisation or all.
pub async fn count_deflections(
    db: &mut Db,
    organization: Option<OrganizationId>,
    since: Timestamp,
) -> StoreResult<i64> {
    let (n,): (i64,) = on_db!(db, c => sqlx::query_as(
        "SELECT COUNT(*) FROM deflections WHERE at >= $1 AND ($2 IS NULL OR organization_id = $2)",
    )
    .bind(Ts::new(since))
    .bind(organization.map(Id::get))
    .persistent(false)
    .fetch_one(c)
    .await)?;
    Ok(n)
}
