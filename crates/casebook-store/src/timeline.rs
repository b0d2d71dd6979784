//! Timeline entries of cases, and the attachments that belong to them.

use casebook_domain::Named;
use casebook_domain::Timestamp;
use casebook_domain::ids::{AttachmentId, CaseEventId, CaseId, Id, UserId};
use casebook_domain::policy::Visibility;
use casebook_domain::timeline::{AttachmentMeta, CaseEvent, EventKind};

use crate::cases::named;
use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::page::{Page, PageRequest};
use crate::rows::parse_column;
use crate::time::Ts;

/// A timeline entry to insert.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    /// The case.
    pub case_id: CaseId,
    /// What happened.
    pub kind: EventKind,
    /// Who may see it.
    pub visibility: Visibility,
    /// Who did it.
    pub actor: Option<UserId>,
    /// When.
    pub at: Timestamp,
    /// Text of a reply or note.
    pub body: Option<&'a str>,
    /// Details of a change.
    pub change: Option<serde_json::Value>,
}

/// Inserts a timeline entry.
pub async fn insert(db: &mut Db, event: &NewEvent<'_>) -> StoreResult<CaseEventId> {
    let change = event.change.as_ref().map(|v| v.to_string());
    let (id,): (i64,) = on_db!(db, c => sqlx::query_as(
        "INSERT INTO case_events (case_id, kind, visibility, actor_id, at, body, change)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(event.case_id.get()).bind(event.kind.as_str()).bind(event.visibility.as_str())
        .bind(event.actor.map(|a| a.get())).bind(Ts::new(event.at)).bind(event.body).bind(&change)
        .fetch_one(c).await)?;
    Ok(Id::new(id))
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    kind: String,
    visibility: String,
    actor_id: Option<i64>,
    actor_name: Option<String>,
    at: Ts,
    body: Option<String>,
    change: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct AttachmentRow {
    pub(crate) id: i64,
    pub(crate) event_id: i64,
    pub(crate) file_name: String,
    pub(crate) content_type: String,
    pub(crate) size_bytes: i64,
    pub(crate) sha256: String,
    pub(crate) storage: String,
    pub(crate) visibility: String,
    pub(crate) uploaded_by: Option<i64>,
    pub(crate) uploader_name: Option<String>,
    pub(crate) created_at: Ts,
}

impl AttachmentRow {
    pub(crate) fn meta(&self) -> StoreResult<AttachmentMeta> {
        Ok(AttachmentMeta {
            id: Id::new(self.id),
            event_id: Id::new(self.event_id),
            file_name: self.file_name.clone(),
            content_type: self.content_type.clone(),
            size: self.size_bytes,
            sha256: self.sha256.clone(),
            visibility: parse_column(
                "case_events.visibility",
                &self.visibility,
                Visibility::parse,
            )?,
            uploaded_by: named(self.uploaded_by, self.uploader_name.clone()),
            created_at: self.created_at.0,
        })
    }
}

/// Which entries a reader may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Staff: public and internal entries.
    Staff,
    /// Customers: public entries only.
    Customer,
}

impl Audience {
    fn include_internal(self) -> bool {
        self == Audience::Staff
    }
}

/// A case's timeline in time order, with attachments, filtered for the audience.
pub async fn list(
    db: &mut Db,
    case: CaseId,
    audience: Audience,
    page: &PageRequest,
) -> StoreResult<Page<CaseEvent>> {
    let after: Option<i64> = page.key()?;
    let rows: Vec<EventRow> = on_db!(db, c => sqlx::query_as(
        "SELECT e.id, e.kind, e.visibility, e.actor_id, u.name AS actor_name, e.at, e.body, e.change
         FROM case_events e LEFT JOIN users u ON u.id = e.actor_id
         WHERE e.case_id = $1 AND ($2 OR e.visibility = 'public') AND ($3 IS NULL OR e.id > $3)
         ORDER BY e.id LIMIT $4").persistent(false)
        .bind(case.get()).bind(audience.include_internal()).bind(after).bind(page.fetch_limit())
        .fetch_all(c).await)?;
    let page = Page::from_rows(rows, page, |r| r.id);
    let (Some(first), Some(last)) = (
        page.items.first().map(|r| r.id),
        page.items.last().map(|r| r.id),
    ) else {
        return Ok(Page {
            items: Vec::new(),
            next_cursor: None,
        });
    };
    let attachments: Vec<AttachmentRow> = on_db!(db, c => sqlx::query_as(
        "SELECT a.id, a.event_id, a.file_name, a.content_type, a.size_bytes, a.sha256, a.storage, e.visibility,
                a.uploaded_by, u.name AS uploader_name, a.created_at
         FROM attachments a JOIN case_events e ON e.id = a.event_id LEFT JOIN users u ON u.id = a.uploaded_by
         WHERE a.case_id = $1 AND a.event_id BETWEEN $2 AND $3 AND ($4 OR e.visibility = 'public')
         ORDER BY a.id")
        .bind(case.get()).bind(first).bind(last).bind(audience.include_internal())
        .fetch_all(c).await)?;
    let mut items = Vec::with_capacity(page.items.len());
    for row in page.items {
        let change = match row.change {
            Some(text) => Some(
                serde_json::from_str(&text)
                    .map_err(|e| StoreError::corrupt("case_events.change", e))?,
            ),
            None => None,
        };
        let files = attachments
            .iter()
            .filter(|a| a.event_id == row.id)
            .map(AttachmentRow::meta)
            .collect::<StoreResult<_>>()?;
        items.push(CaseEvent {
            id: Id::new(row.id),
            kind: parse_column("case_events.kind", &row.kind, EventKind::parse)?,
            visibility: parse_column("case_events.visibility", &row.visibility, Visibility::parse)?,
            actor: named(row.actor_id, row.actor_name),
            at: row.at.0,
            body: row.body,
            change,
            attachments: files,
        });
    }
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// The visibility of one entry of a case, if it exists.
pub async fn visibility_of(
    db: &mut Db,
    case: CaseId,
    event: CaseEventId,
) -> StoreResult<Option<Visibility>> {
    let row: Option<(String,)> = on_db!(db, c => sqlx::query_as("SELECT visibility FROM case_events WHERE id = $1 AND case_id = $2")
        .bind(event.get()).bind(case.get()).fetch_optional(c).await)?;
    row.map(|(v,)| parse_column("case_events.visibility", &v, Visibility::parse))
        .transpose()
}

/// An attachment to record (its content is already stored).
#[derive(Debug, Clone)]
pub struct NewAttachment<'a> {
    /// The case.
    pub case_id: CaseId,
    /// The timeline entry it belongs to.
    pub event_id: CaseEventId,
    /// Safe display name.
    pub file_name: &'a str,
    /// Declared media type.
    pub content_type: &'a str,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256, hex.
    pub sha256: &'a str,
    /// Where the content lives.
    pub storage: BlobStorage,
    /// Who uploaded it.
    pub uploaded_by: Option<UserId>,
    /// When.
    pub at: Timestamp,
}

/// Where attachment content is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobStorage {
    /// In the `attachment_blobs` table.
    Database,
    /// In the attachments directory, named by hash.
    Filesystem,
}

impl BlobStorage {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            BlobStorage::Database => "database",
            BlobStorage::Filesystem => "filesystem",
        }
    }

    /// From the stored name.
    pub fn parse(raw: &str) -> StoreResult<Self> {
        match raw {
            "database" => Ok(BlobStorage::Database),
            "filesystem" => Ok(BlobStorage::Filesystem),
            other => Err(StoreError::corrupt("attachments.storage", other)),
        }
    }
}

/// Records an attachment.
pub async fn insert_attachment(db: &mut Db, a: &NewAttachment<'_>) -> StoreResult<AttachmentId> {
    let (id,): (i64,) = on_db!(db, c => sqlx::query_as(
        "INSERT INTO attachments (case_id, event_id, file_name, content_type, size_bytes, sha256, storage, uploaded_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(a.case_id.get()).bind(a.event_id.get()).bind(a.file_name).bind(a.content_type).bind(a.size)
        .bind(a.sha256).bind(a.storage.as_str()).bind(a.uploaded_by.map(|u| u.get())).bind(Ts::new(a.at))
        .fetch_one(c).await)?;
    Ok(Id::new(id))
}

/// One attachment of a case with where its content is, if the audience may see it.
pub async fn get_attachment(
    db: &mut Db,
    case: CaseId,
    id: AttachmentId,
    audience: Audience,
) -> StoreResult<Option<(AttachmentMeta, BlobStorage)>> {
    let row: Option<AttachmentRow> = on_db!(db, c => sqlx::query_as(
        "SELECT a.id, a.event_id, a.file_name, a.content_type, a.size_bytes, a.sha256, a.storage, e.visibility,
                a.uploaded_by, u.name AS uploader_name, a.created_at
         FROM attachments a JOIN case_events e ON e.id = a.event_id LEFT JOIN users u ON u.id = a.uploaded_by
         WHERE a.id = $1 AND a.case_id = $2 AND ($3 OR e.visibility = 'public')")
        .bind(id.get()).bind(case.get()).bind(audience.include_internal()).fetch_optional(c).await)?;
    match row {
        Some(row) => Ok(Some((row.meta()?, BlobStorage::parse(&row.storage)?))),
        None => Ok(None),
    }
}

/// A stored file by id, whatever its case: name, media type, SHA-256 and storage (for mail).
pub async fn attachment_file(
    db: &mut Db,
    id: i64,
) -> StoreResult<Option<(String, String, String, BlobStorage)>> {
    let row: Option<(String, String, String, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT file_name, content_type, sha256, storage FROM attachments WHERE id = $1")
        .bind(id).fetch_optional(c).await)?;
    match row {
        Some((name, media, sha, storage)) => {
            Ok(Some((name, media, sha, BlobStorage::parse(&storage)?)))
        }
        None => Ok(None),
    }
}

/// The attachments of a case the audience may see, oldest first (at most 1,000).
pub async fn list_attachments(
    db: &mut Db,
    case: CaseId,
    audience: Audience,
) -> StoreResult<Vec<AttachmentMeta>> {
    let rows: Vec<AttachmentRow> = on_db!(db, c => sqlx::query_as(
        "SELECT a.id, a.event_id, a.file_name, a.content_type, a.size_bytes, a.sha256, a.storage, e.visibility,
                a.uploaded_by, u.name AS uploader_name, a.created_at
         FROM attachments a JOIN case_events e ON e.id = a.event_id LEFT JOIN users u ON u.id = a.uploaded_by
         WHERE a.case_id = $1 AND ($2 OR e.visibility = 'public')
         ORDER BY a.id LIMIT 1000")
        .bind(case.get()).bind(audience.include_internal()).fetch_all(c).await)?;
    rows.iter().map(AttachmentRow::meta).collect()
}

/// Stores content by its hash in the database (once per distinct content).
pub async fn put_blob(db: &mut Db, sha256: &str, content: &[u8]) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query("INSERT INTO attachment_blobs (sha256, content) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING")
        .bind(sha256).bind(content).execute(c).await)?;
    Ok(())
}

/// Reads content stored in the database.
pub async fn get_blob(db: &mut Db, sha256: &str) -> StoreResult<Option<Vec<u8>>> {
    let row: Option<(Vec<u8>,)> = on_db!(db, c => sqlx::query_as("SELECT content FROM attachment_blobs WHERE sha256 = $1")
        .bind(sha256).fetch_optional(c).await)?;
    Ok(row.map(|(b,)| b))
}

/// The id of the newest timeline entry of any case: it grows whenever any case changes, so
/// pages compare it to know when to refresh (one primary-key lookup).
pub async fn latest_id(db: &mut Db) -> StoreResult<i64> {
    let id: Option<i64> =
        on_db!(db, c => sqlx::query_scalar("SELECT MAX(id) FROM case_events").fetch_one(c).await)?;
    Ok(id.unwrap_or(0))
}

/// The id of a case's newest status change, if it had one.
pub async fn latest_status_change(db: &mut Db, case: CaseId) -> StoreResult<Option<i64>> {
    Ok(on_db!(db, c => sqlx::query_scalar(
        "SELECT MAX(id) FROM case_events WHERE case_id = $1 AND kind = 'status_change'")
        .bind(case.get()).fetch_one(c).await)?)
}
