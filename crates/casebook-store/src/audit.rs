//! The append-only audit log. Entries are queued on a write `Db` and chained when it commits, so
//! the chain lock (PostgreSQL: the `audit_head` row) is held only for the last moment of a
//! transaction. Database triggers refuse updates and deletes of entries.

use casebook_domain::Timestamp;
use casebook_domain::audit::{AuditRecord, ChainBreak, ChainVerifier, chain_hash};
use casebook_domain::ids::UserId;
use serde::Serialize;

use crate::db::{Backend, Db};
use crate::error::StoreResult;
use crate::page::{Page, PageRequest};
use crate::time::Ts;

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditActor {
    /// The user, if a user acted.
    pub user: Option<UserId>,
    /// A readable label: the user's e-mail, or `system:cli`, `system:demo`…
    pub label: String,
}

impl AuditActor {
    /// A change made by the system itself (CLI, demo loader, jobs).
    pub fn system(label: &str) -> Self {
        Self {
            user: None,
            label: format!("system:{label}"),
        }
    }
}

/// One change to record.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: AuditActor,
    /// What, e.g. `case.update`.
    pub action: &'static str,
    /// Kind of object, e.g. `case`.
    pub object_type: &'static str,
    /// The object's id or number.
    pub object_id: String,
    /// The object before, if it existed.
    pub before: Option<serde_json::Value>,
    /// The object after, if it still exists.
    pub after: Option<serde_json::Value>,
}

pub(crate) type PendingAudit = AuditEntry;

impl AuditEntry {
    /// An entry for a change from `before` to `after` (either may be absent).
    pub fn change<T: Serialize>(
        at: Timestamp,
        actor: &AuditActor,
        action: &'static str,
        object_type: &'static str,
        object_id: impl ToString,
        before: Option<&T>,
        after: Option<&T>,
    ) -> Self {
        let json = |v: Option<&T>| v.and_then(|v| serde_json::to_value(v).ok());
        Self {
            at,
            actor: actor.clone(),
            action,
            object_type,
            object_id: object_id.to_string(),
            before: json(before),
            after: json(after),
        }
    }
}

impl Db {
    /// Queues an audit entry; it is chained and written when this transaction commits.
    pub fn audit(&mut self, entry: AuditEntry) {
        debug_assert!(self.is_write(), "audit entries need a write transaction");
        self.audit.push(entry);
    }
}

/// Chains and inserts the queued entries; called by [`Db::commit`].
pub(crate) async fn flush(db: &mut Db) -> StoreResult<()> {
    if db.audit.is_empty() {
        return Ok(());
    }
    let entries = std::mem::take(&mut db.audit);
    let (mut seq, mut hash): (i64, String) = match db.backend() {
        Backend::Postgres => {
            on_db!(db, c => sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE").fetch_one(c).await)?
        }
        Backend::Sqlite => {
            on_db!(db, c => sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(c).await)?
        }
    };
    for entry in entries {
        seq += 1;
        let at = Ts::new(entry.at);
        let record = AuditRecord {
            seq,
            at: at.0,
            actor_user: entry.actor.user.map(|u| u.get()),
            actor_label: entry.actor.label,
            action: entry.action.to_owned(),
            object_type: entry.object_type.to_owned(),
            object_id: entry.object_id,
            before: entry.before.map(|v| v.to_string()),
            after: entry.after.map(|v| v.to_string()),
        };
        let next = chain_hash(&hash, &record);
        exec_db!(db, c => sqlx::query(
            "INSERT INTO audit_log (seq, at, actor_id, actor_label, action, object_type, object_id, before, after, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(record.seq).bind(at).bind(record.actor_user).bind(&record.actor_label).bind(&record.action)
            .bind(&record.object_type).bind(&record.object_id).bind(&record.before).bind(&record.after)
            .bind(&hash).bind(&next)
            .execute(c).await)?;
        hash = next;
    }
    exec_db!(db, c => sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1").bind(seq).bind(&hash).execute(c).await)?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    seq: i64,
    at: Ts,
    actor_id: Option<i64>,
    actor_label: String,
    action: String,
    object_type: String,
    object_id: String,
    before: Option<String>,
    after: Option<String>,
    prev_hash: String,
    hash: String,
}

impl AuditRow {
    fn record(&self) -> AuditRecord {
        AuditRecord {
            seq: self.seq,
            at: self.at.0,
            actor_user: self.actor_id,
            actor_label: self.actor_label.clone(),
            action: self.action.clone(),
            object_type: self.object_type.clone(),
            object_id: self.object_id.clone(),
            before: self.before.clone(),
            after: self.after.clone(),
        }
    }
}

/// One audit entry as read back.
#[derive(Debug, Clone, Serialize)]
pub struct StoredAuditEntry {
    /// Position in the chain.
    pub seq: i64,
    /// When.
    pub at: Timestamp,
    /// The acting user's id.
    pub actor_id: Option<i64>,
    /// The actor's label.
    pub actor_label: String,
    /// What happened.
    pub action: String,
    /// Kind of object.
    pub object_type: String,
    /// Its id.
    pub object_id: String,
    /// Before, as JSON.
    pub before: Option<serde_json::Value>,
    /// After, as JSON.
    pub after: Option<serde_json::Value>,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl From<AuditRow> for StoredAuditEntry {
    fn from(r: AuditRow) -> Self {
        let parse = |s: Option<String>| {
            s.map(|s| serde_json::from_str(&s).unwrap_or(serde_json::Value::String(s)))
        };
        StoredAuditEntry {
            seq: r.seq,
            at: r.at.0,
            actor_id: r.actor_id,
            actor_label: r.actor_label,
            action: r.action,
            object_type: r.object_type,
            object_id: r.object_id,
            before: parse(r.before),
            after: parse(r.after),
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this kind of object.
    pub object_type: Option<String>,
    /// Only this object (with `object_type`).
    pub object_id: Option<String>,
}

/// Lists entries, newest first.
pub async fn list(
    db: &mut Db,
    filter: &AuditFilter,
    page: &PageRequest,
) -> StoreResult<Page<StoredAuditEntry>> {
    let before: Option<i64> = page.key()?;
    let rows: Vec<AuditRow> = on_db!(db, c => sqlx::query_as(
        "SELECT seq, at, actor_id, actor_label, action, object_type, object_id, before, after, prev_hash, hash
         FROM audit_log
         WHERE ($1 IS NULL OR object_type = $1) AND ($2 IS NULL OR object_id = $2) AND ($3 IS NULL OR seq < $3)
         ORDER BY seq DESC LIMIT $4").persistent(false)
        .bind(&filter.object_type).bind(&filter.object_id).bind(before).bind(page.fetch_limit())
        .fetch_all(c).await)?;
    Ok(Page::from_rows(rows, page, |r| r.seq).map(StoredAuditEntry::from))
}

/// The outcome of verifying the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Every entry links to the one before and matches its hash.
    Intact {
        /// How many entries were checked.
        entries: i64,
    },
    /// The chain is broken.
    Broken(ChainBreak),
    /// The chain's recorded head does not match its last entry: entries at the end are missing.
    HeadMismatch {
        /// The sequence number the head records.
        head_seq: i64,
        /// The last entry found.
        last_seq: i64,
    },
}

/// Reads the whole log in order and checks every link.
pub async fn verify(db: &mut Db) -> StoreResult<Verification> {
    let mut verifier = ChainVerifier::default();
    let mut after = 0i64;
    loop {
        let rows: Vec<AuditRow> = on_db!(db, c => sqlx::query_as(
            "SELECT seq, at, actor_id, actor_label, action, object_type, object_id, before, after, prev_hash, hash
             FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 1000").persistent(false)
            .bind(after).fetch_all(c).await)?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        for row in &rows {
            if let Err(e) = verifier.check(&row.record(), &row.prev_hash, &row.hash) {
                return Ok(Verification::Broken(e));
            }
        }
    }
    let (head_seq,): (i64,) = on_db!(db, c => sqlx::query_as("SELECT seq FROM audit_head WHERE id = 1").fetch_one(c).await)?;
    if head_seq != verifier.verified() {
        return Ok(Verification::HeadMismatch {
            head_seq,
            last_seq: verifier.verified(),
        });
    }
    Ok(Verification::Intact {
        entries: verifier.verified(),
    })
}
