//! Links between cases (`case_links`) and what a merge moves: a link is one row for a pair of
//! cases, said of one of them; a merged case's timeline entries and attachments move to the
//! surviving case, and the merged case names it (`cases.merged_into`).

use casebook_domain::Named;
use casebook_domain::Timestamp;
use casebook_domain::ids::{CaseEventId, CaseId, Id, UserId};
use casebook_domain::links::{CaseLink, LinkKind, LinkRole, LinkedCase};
use casebook_domain::{CaseNumber, Status};

use crate::cases::named;
use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::rows::parse_column;
use crate::time::Ts;

/// A link as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredLink {
    /// Id.
    pub id: i64,
    /// The case the link is said of.
    pub case_id: CaseId,
    /// The case it names.
    pub other_id: CaseId,
    /// What the first is to the second.
    pub kind: LinkKind,
}

/// Inserts a link; a second link between the same two cases, or a second parent, is
/// `StoreError::Duplicate`.
pub async fn insert(
    db: &mut Db,
    case: CaseId,
    other: CaseId,
    kind: LinkKind,
    by: Option<UserId>,
    now: Timestamp,
) -> StoreResult<i64> {
    let (id,): (i64,) = on_db!(db, c => sqlx::query_as(
        "INSERT INTO case_links (case_id, other_id, kind, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(case.get()).bind(other.get()).bind(kind.as_str()).bind(by.map(|u| u.get()))
        .bind(Ts::new(now)).fetch_one(c).await)?;
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    id: i64,
    case_id: i64,
    other_id: i64,
    kind: String,
}

impl LinkRow {
    fn stored(self) -> StoreResult<StoredLink> {
        Ok(StoredLink {
            id: self.id,
            case_id: Id::new(self.case_id),
            other_id: Id::new(self.other_id),
            kind: parse_column("case_links.kind", &self.kind, LinkKind::parse)?,
        })
    }
}

/// A link by id.
pub async fn get(db: &mut Db, id: i64) -> StoreResult<Option<StoredLink>> {
    let row: Option<LinkRow> = on_db!(db, c => sqlx::query_as(
        "SELECT id, case_id, other_id, kind FROM case_links WHERE id = $1")
        .bind(id).fetch_optional(c).await)?;
    row.map(LinkRow::stored).transpose()
}

/// The link between two cases, whichever way it was made.
pub async fn between(db: &mut Db, a: CaseId, b: CaseId) -> StoreResult<Option<StoredLink>> {
    let row: Option<LinkRow> = on_db!(db, c => sqlx::query_as(
        "SELECT id, case_id, other_id, kind FROM case_links
         WHERE (case_id = $1 AND other_id = $2) OR (case_id = $2 AND other_id = $1)")
        .bind(a.get()).bind(b.get()).fetch_optional(c).await)?;
    row.map(LinkRow::stored).transpose()
}

/// The parent problem of a case, if it has one.
pub async fn parent_of(db: &mut Db, case: CaseId) -> StoreResult<Option<CaseId>> {
    let parent: Option<i64> = on_db!(db, c => sqlx::query_scalar(
        "SELECT other_id FROM case_links WHERE case_id = $1 AND kind = 'child_of'")
        .bind(case.get()).fetch_optional(c).await)?;
    Ok(parent.map(Id::new))
}

/// Removes a link.
pub async fn delete(db: &mut Db, id: i64) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query("DELETE FROM case_links WHERE id = $1").bind(id).execute(c).await)?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ViewRow {
    id: i64,
    kind: String,
    forward: bool,
    year: i64,
    seq: i64,
    title: String,
    status: String,
    organization_id: i64,
    created_by: Option<i64>,
    created_by_name: Option<String>,
    created_at: Ts,
}

/// The links of a case (at most 200, oldest first), each seen from it.
pub async fn of_case(db: &mut Db, case: CaseId) -> StoreResult<Vec<CaseLink>> {
    let rows: Vec<ViewRow> = on_db!(db, c => sqlx::query_as(
        "SELECT l.id, l.kind, l.case_id = $1 AS forward, o.year, o.seq, o.title, o.status,
                o.organization_id, l.created_by,
                (SELECT name FROM users WHERE id = l.created_by) AS created_by_name, l.created_at
         FROM case_links l
         JOIN cases o ON o.id = CASE WHEN l.case_id = $1 THEN l.other_id ELSE l.case_id END
         WHERE l.case_id = $1 OR l.other_id = $1
         ORDER BY l.id LIMIT 200")
        .bind(case.get()).fetch_all(c).await)?;
    rows.into_iter()
        .map(|r| {
            let kind = parse_column("case_links.kind", &r.kind, LinkKind::parse)?;
            let year = i16::try_from(r.year).map_err(|e| StoreError::corrupt("cases.year", e))?;
            Ok(CaseLink {
                id: r.id,
                role: LinkRole::seen(kind, r.forward),
                case: LinkedCase {
                    number: CaseNumber::new(year, r.seq)
                        .map_err(|e| StoreError::corrupt("cases.seq", e))?,
                    title: r.title,
                    status: parse_column("cases.status", &r.status, Status::parse)?,
                    organization: Id::new(r.organization_id),
                },
                created_by: named(r.created_by, r.created_by_name),
                created_at: r.created_at.0,
            })
        })
        .collect()
}

/// Moves a merged case's timeline entries (all but the one that opened it) and their
/// attachments to the surviving case; returns how many entries moved.
pub async fn move_timeline(db: &mut Db, from: CaseId, to: CaseId) -> StoreResult<u64> {
    let moved = exec_db!(db, c => sqlx::query(
        "UPDATE case_events SET case_id = $2 WHERE case_id = $1 AND kind <> 'created'")
        .bind(from.get()).bind(to.get()).execute(c).await)?;
    exec_db!(db, c => sqlx::query(
        "UPDATE attachments SET case_id = $2
         WHERE case_id = $1 AND event_id IN (SELECT id FROM case_events WHERE case_id = $2)")
        .bind(from.get()).bind(to.get()).execute(c).await)?;
    Ok(moved)
}

/// Marks a case as merged into another.
pub async fn set_merged_into(db: &mut Db, case: CaseId, into: CaseId) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query("UPDATE cases SET merged_into = $2 WHERE id = $1")
        .bind(case.get()).bind(into.get()).execute(c).await)?;
    Ok(())
}

/// Copies the attachments of a timeline entry to an entry of another case (the content is
/// shared: attachments are kept by their SHA-256).
pub async fn copy_attachments(
    db: &mut Db,
    from_event: CaseEventId,
    to_case: CaseId,
    to_event: CaseEventId,
    now: Timestamp,
) -> StoreResult<u64> {
    exec_db!(db, c => sqlx::query(
        "INSERT INTO attachments (case_id, event_id, file_name, content_type, size_bytes, sha256, storage,
                                  uploaded_by, created_at)
         SELECT $2, $3, file_name, content_type, size_bytes, sha256, storage, uploaded_by, $4
         FROM attachments WHERE event_id = $1 ORDER BY id")
        .bind(from_event.get()).bind(to_case.get()).bind(to_event.get()).bind(Ts::new(now))
        .execute(c).await)
}

/// A timeline entry to split into a new case: its kind, visibility and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitSource {
    /// Its kind (stored name).
    pub kind: String,
    /// `public` or `internal`.
    pub visibility: String,
    /// Its text.
    pub body: Option<String>,
}

/// One timeline entry of a case, for a split.
pub async fn entry_of(
    db: &mut Db,
    case: CaseId,
    event: CaseEventId,
) -> StoreResult<Option<SplitSource>> {
    let row: Option<(String, String, Option<String>)> = on_db!(db, c => sqlx::query_as(
        "SELECT kind, visibility, body FROM case_events WHERE id = $1 AND case_id = $2")
        .bind(event.get()).bind(case.get()).fetch_optional(c).await)?;
    Ok(row.map(|(kind, visibility, body)| SplitSource {
        kind,
        visibility,
        body,
    }))
}
