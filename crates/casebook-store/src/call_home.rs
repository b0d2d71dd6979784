//! Call home as stored: the keys devices sign with (bound to an organisation and optionally a
//! site), the nonces they used (so a request is taken once), the staff's rules, each device's
//! state (heartbeat, storm window), every event with what became of it (unique per organisation
//! and idempotency key), and the faults cases were opened for.

use casebook_domain::Timestamp;
use casebook_domain::call_home::EventOutcome;
use casebook_domain::ids::{CaseId, Id, OrganizationId, SiteId, UnitId, UserId};

use crate::db::Db;
use crate::error::StoreResult;
use crate::rows::parse_column;
use crate::time::Ts;

/// A device key as stored. The secret is what devices sign with; it is shown once, when made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceKey {
    /// Row id.
    pub id: i64,
    /// The id devices send (`X-Casebook-Key`).
    pub public_id: String,
    /// The shared secret.
    pub secret: String,
    /// The organisation it speaks for.
    pub organization_id: OrganizationId,
    /// The one site it speaks for, if bound to one.
    pub site_id: Option<SiteId>,
    /// What it is for.
    pub label: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// After this, it is refused (a rotated key's grace period).
    pub expires_at: Option<Timestamp>,
    /// When it was revoked.
    pub revoked_at: Option<Timestamp>,
    /// When it last signed an accepted request.
    pub last_used_at: Option<Timestamp>,
}

type KeyRow = (
    i64,
    String,
    String,
    i64,
    Option<i64>,
    String,
    Ts,
    Option<Ts>,
    Option<Ts>,
    Option<Ts>,
);

fn key_of(r: KeyRow) -> DeviceKey {
    let (id, public_id, secret, org, site, label, created, expires, revoked, used) = r;
    DeviceKey {
        id,
        public_id,
        secret,
        organization_id: Id::new(org),
        site_id: site.map(Id::new),
        label,
        created_at: created.0,
        expires_at: expires.map(|t| t.0),
        revoked_at: revoked.map(|t| t.0),
        last_used_at: used.map(|t| t.0),
    }
}

const KEY_COLUMNS: &str =
    "SELECT id, public_id, secret, organization_id, site_id, label, created_at, expires_at,
        revoked_at, last_used_at FROM call_home_keys";

/// A new key.
#[derive(Debug, Clone)]
pub struct NewKey<'a> {
    /// The id devices send.
    pub public_id: &'a str,
    /// The secret.
    pub secret: &'a str,
    /// Its organisation.
    pub organization_id: OrganizationId,
    /// Its site.
    pub site_id: Option<SiteId>,
    /// What it is for.
    pub label: &'a str,
    /// Who made it.
    pub created_by: Option<UserId>,
}

/// Stores a new key; returns its row id.
pub async fn insert_key(db: &mut Db, key: &NewKey<'_>, now: Timestamp) -> StoreResult<i64> {
    Ok(on_db!(db, c => sqlx::query_scalar(
        "INSERT INTO call_home_keys (public_id, secret, organization_id, site_id, label, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(key.public_id).bind(key.secret).bind(key.organization_id.get())
        .bind(key.site_id.map(|s| s.get())).bind(key.label).bind(Ts::new(now))
        .bind(key.created_by.map(|u| u.get())).fetch_one(c).await)?)
}

/// The key devices name with this id.
pub async fn key_by_public_id(db: &mut Db, public_id: &str) -> StoreResult<Option<DeviceKey>> {
    let sql = format!("{KEY_COLUMNS} WHERE public_id = $1");
    let row: Option<KeyRow> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(public_id).fetch_optional(c).await)?;
    Ok(row.map(key_of))
}

/// A key by its row id.
pub async fn key(db: &mut Db, id: i64) -> StoreResult<Option<DeviceKey>> {
    let sql = format!("{KEY_COLUMNS} WHERE id = $1");
    let row: Option<KeyRow> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id).fetch_optional(c).await)?;
    Ok(row.map(key_of))
}

/// The keys of an organisation (all organisations: `None`), newest first.
pub async fn keys(
    db: &mut Db,
    organization: Option<OrganizationId>,
) -> StoreResult<Vec<DeviceKey>> {
    let sql = format!(
        "{KEY_COLUMNS} WHERE ($1 IS NULL OR organization_id = $1) ORDER BY id DESC LIMIT 1000"
    );
    let rows: Vec<KeyRow> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).persistent(false)
        .bind(organization.map(|o| o.get())).fetch_all(c).await)?;
    Ok(rows.into_iter().map(key_of).collect())
}

/// Revokes a key now, or lets it expire at `expires_at` (rotation); false if it was revoked.
pub async fn end_key(
    db: &mut Db,
    id: i64,
    expires_at: Option<Timestamp>,
    by: Option<UserId>,
    now: Timestamp,
) -> StoreResult<bool> {
    let done = match expires_at {
        None => exec_db!(db, c => sqlx::query(
            "UPDATE call_home_keys SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL")
            .bind(Ts::new(now)).bind(by.map(|u| u.get())).bind(id).execute(c).await)?,
        Some(at) => exec_db!(db, c => sqlx::query(
            "UPDATE call_home_keys SET expires_at = $1
             WHERE id = $2 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1)")
            .bind(Ts::new(at)).bind(id).execute(c).await)?,
    };
    Ok(done == 1)
}

/// Takes a nonce of a key and notes the key's use: false if the key used the nonce before (a
/// replay).
pub async fn take_nonce(db: &mut Db, key: i64, nonce: &str, now: Timestamp) -> StoreResult<bool> {
    let taken = exec_db!(db, c => sqlx::query(
        "INSERT INTO call_home_nonces (key_id, nonce, seen_at) VALUES ($1, $2, $3)
         ON CONFLICT (key_id, nonce) DO NOTHING")
        .bind(key).bind(nonce).bind(Ts::new(now)).execute(c).await)?;
    // Noted once a minute at most, so concurrent requests of a key do not queue on its row.
    let noted_before = now - jiff::SignedDuration::from_mins(1);
    exec_db!(db, c => sqlx::query(
        "UPDATE call_home_keys SET last_used_at = $1
         WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)")
        .bind(Ts::new(now)).bind(key).bind(Ts::new(noted_before)).execute(c).await)?;
    Ok(taken == 1)
}

/// Forgets the nonces seen before a time (their requests' timestamps are out of the window).
pub async fn forget_nonces(db: &mut Db, before: Timestamp) -> StoreResult<u64> {
    exec_db!(db, c => sqlx::query("DELETE FROM call_home_nonces WHERE seen_at < $1")
        .bind(Ts::new(before)).execute(c).await)
}

/// An event as it is kept.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    /// The organisation of the key.
    pub organization_id: OrganizationId,
    /// Unique per organisation.
    pub idempotency_key: &'a str,
    /// The key that signed it.
    pub key_id: i64,
    /// The unit it is about, if known.
    pub unit_id: Option<UnitId>,
    /// The site code the device named.
    pub site_code: &'a str,
    /// The serial number.
    pub serial_number: &'a str,
    /// The product the device named.
    pub product: &'a str,
    /// Its version.
    pub version: &'a str,
    /// fault, warning, recovery, heartbeat, inventory.
    pub event_type: &'a str,
    /// The event code.
    pub event_code: &'a str,
    /// The device's severity.
    pub severity: &'a str,
    /// The message.
    pub message: &'a str,
    /// The log excerpt.
    pub log_excerpt: &'a str,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// What became of it: `case_opened`, `correlated`, `recovered`, `recorded`, `ignored`,
    /// `suppressed`, `not_entitled`, `unknown_device`.
    pub outcome: EventOutcome,
    /// Why.
    pub reason: &'a str,
    /// The case it opened or joined.
    pub case_id: Option<CaseId>,
    /// The file it brought (its content is in the blob store).
    pub attachment: Option<EventFile<'a>>,
}

/// The file an event brought, as kept on the event.
#[derive(Debug, Clone, Copy)]
pub struct EventFile<'a> {
    /// SHA-256 of the content, hex (the blob's key).
    pub sha256: &'a str,
    /// Its name.
    pub name: &'a str,
    /// Its media type.
    pub content_type: &'a str,
    /// Bytes.
    pub size: i64,
    /// Where its content is kept.
    pub storage: crate::timeline::BlobStorage,
}

/// Rows in one multi-row insert (23 parameters each). SQLite's driver finds each parameter by
/// name among all of the statement's, so its statements stay small.
fn insert_chunk(db: &Db) -> usize {
    match db.backend() {
        crate::db::Backend::Sqlite => 8,
        crate::db::Backend::Postgres => 50,
    }
}

/// Keeps the events of a batch, a few statements for all; returns the idempotency keys of those
/// kept (an event whose organisation sent its key before is left out).
pub async fn insert_events(
    db: &mut Db,
    events: &[NewEvent<'_>],
    now: Timestamp,
) -> StoreResult<Vec<String>> {
    let mut kept = Vec::with_capacity(events.len());
    let size = insert_chunk(db);
    for chunk in events.chunks(size) {
        let mut sql = String::from(
            "INSERT INTO call_home_events (organization_id, idempotency_key, key_id, unit_id, site_code, serial_number,
                product, version, event_type, event_code, severity, message, log_excerpt, occurred_at, received_at,
                outcome, reason, case_id, attachment_sha256, attachment_name, attachment_type, attachment_size,
                attachment_storage) VALUES ",
        );
        for row in 0..chunk.len() {
            let first = row * 23;
            let params: Vec<String> = (1..=23).map(|k| format!("${}", first + k)).collect();
            if row > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            sql.push_str(&params.join(", "));
            sql.push(')');
        }
        sql.push_str(
            " ON CONFLICT (organization_id, idempotency_key) DO NOTHING RETURNING idempotency_key",
        );
        let keys: Vec<String> = on_db!(db, c => {
            // A full chunk's text is always the same: prepared once; a last, shorter one is not kept.
            let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())).persistent(chunk.len() == size);
            for e in chunk {
                query = query
                    .bind(e.organization_id.get()).bind(e.idempotency_key).bind(e.key_id).bind(e.unit_id.map(|u| u.get()))
                    .bind(e.site_code).bind(e.serial_number).bind(e.product).bind(e.version).bind(e.event_type)
                    .bind(e.event_code).bind(e.severity).bind(e.message).bind(e.log_excerpt).bind(Ts::new(e.occurred_at))
                    .bind(Ts::new(now)).bind(e.outcome.as_str()).bind(e.reason).bind(e.case_id.map(|c| c.get()))
                    .bind(e.attachment.map(|f| f.sha256)).bind(e.attachment.map(|f| f.name))
                    .bind(e.attachment.map(|f| f.content_type)).bind(e.attachment.map(|f| f.size))
                    .bind(e.attachment.map(|f| f.storage.as_str()));
            }
            query.fetch_all(c).await
        })?;
        kept.extend(keys);
    }
    Ok(kept)
}

/// What became of the events of a batch sent before, by idempotency key (one statement).
pub async fn earlier_events(
    db: &mut Db,
    organization: OrganizationId,
    idempotency_keys: &[&str],
) -> StoreResult<Vec<(String, EventOutcome, Option<CaseId>)>> {
    if idempotency_keys.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(String, String, Option<i64>)> = match db.conn() {
        crate::db::Conn::Sqlite(c) => {
            let keys = serde_json::to_string(idempotency_keys).unwrap_or_else(|_| "[]".into());
            sqlx::query_as(
                "SELECT idempotency_key, outcome, case_id FROM call_home_events
                 WHERE organization_id = $1 AND idempotency_key IN (SELECT value FROM json_each($2))",
            )
            .bind(organization.get())
            .bind(keys)
            .fetch_all(c)
            .await?
        }
        crate::db::Conn::Postgres(c) => {
            // An array parameter: one index probe per key, whatever the table's statistics.
            sqlx::query_as(
                "SELECT idempotency_key, outcome, case_id FROM call_home_events
                 WHERE organization_id = $1 AND idempotency_key = ANY($2)",
            )
            .bind(organization.get())
            .bind(idempotency_keys)
            .fetch_all(c)
            .await?
        }
    };
    rows.into_iter()
        .map(|(key, outcome, case)| {
            let outcome = parse_column("call_home_events.outcome", &outcome, EventOutcome::parse)?;
            Ok((key, outcome, case.map(Id::new)))
        })
        .collect()
}

/// A device's state as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceState {
    /// The last event of any kind.
    pub last_event_at: Option<Timestamp>,
    /// The last heartbeat.
    pub last_heartbeat_at: Option<Timestamp>,
    /// The heartbeat interval it announced.
    pub heartbeat_secs: Option<i64>,
    /// Since when it is silent (flagged by the sweep).
    pub silent_since: Option<Timestamp>,
    /// Its storm window.
    pub window_started_at: Option<Timestamp>,
    /// Events in the window.
    pub window_events: i64,
    /// Suppressed until.
    pub suppressed_until: Option<Timestamp>,
    /// Events suppressed so far.
    pub suppressed_events: i64,
    /// The configuration of its last inventory (JSON).
    pub configuration: Option<String>,
    /// When it becomes silent if no heartbeat comes (set at each heartbeat).
    pub silent_after: Option<Timestamp>,
}

/// The case still open for a fault of a unit (not closed or cancelled), if any.
pub async fn open_fault_case(
    db: &mut Db,
    unit: UnitId,
    signature: &str,
) -> StoreResult<Option<CaseId>> {
    let id: Option<i64> = on_db!(db, c => sqlx::query_scalar(
        "SELECT f.case_id FROM case_faults f JOIN cases k ON k.id = f.case_id
         WHERE f.unit_id = $1 AND f.signature = $2 AND k.status NOT IN ('closed', 'cancelled')
         ORDER BY f.case_id DESC LIMIT 1")
        .bind(unit.get()).bind(signature).fetch_optional(c).await)?;
    Ok(id.map(Id::new))
}

/// Records the fault a case was opened for.
pub async fn insert_fault(
    db: &mut Db,
    case: CaseId,
    unit: UnitId,
    signature: &str,
    at: Timestamp,
) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query(
        "INSERT INTO case_faults (case_id, unit_id, signature, occurrences, first_seen, last_seen)
         VALUES ($1, $2, $3, 1, $4, $4)")
        .bind(case.get()).bind(unit.get()).bind(signature).bind(Ts::new(at)).execute(c).await)?;
    Ok(())
}

/// Counts one more occurrence of a case's fault.
pub async fn add_occurrence(db: &mut Db, case: CaseId, at: Timestamp) -> StoreResult<i64> {
    let count: Option<i64> = on_db!(db, c => sqlx::query_scalar(
        "UPDATE case_faults SET occurrences = occurrences + 1,
                last_seen = CASE WHEN last_seen < $1 THEN $1 ELSE last_seen END
         WHERE case_id = $2 RETURNING occurrences")
        .bind(Ts::new(at)).bind(case.get()).fetch_optional(c).await)?;
    Ok(count.unwrap_or(0))
}

/// The fault of a case: unit, signature, occurrences, first and last seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFault {
    /// The unit.
    pub unit_id: UnitId,
    /// The fault signature (the event code).
    pub signature: String,
    /// How often it was reported.
    pub occurrences: i64,
    /// First reported.
    pub first_seen: Timestamp,
    /// Last reported.
    pub last_seen: Timestamp,
}

/// The fault a case was opened for, if a device opened it.
pub async fn fault_of(db: &mut Db, case: CaseId) -> StoreResult<Option<CaseFault>> {
    let row: Option<(i64, String, i64, Ts, Ts)> = on_db!(db, c => sqlx::query_as(
        "SELECT unit_id, signature, occurrences, first_seen, last_seen FROM case_faults WHERE case_id = $1")
        .bind(case.get()).fetch_optional(c).await)?;
    Ok(
        row.map(|(unit, signature, occurrences, first, last)| CaseFault {
            unit_id: Id::new(unit),
            signature,
            occurrences,
            first_seen: first.0,
            last_seen: last.0,
        }),
    )
}

type RuleRow = (
    i64,
    Option<i64>,
    String,
    String,
    Option<i64>,
    Option<String>,
    bool,
    i64,
);

/// A rule as stored, with its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRule {
    /// Row id.
    pub id: i64,
    /// For this product only.
    pub product_id: Option<i64>,
    /// Code, prefix `E12*` or `*`.
    pub event_code: String,
    /// ignore, record, open_case.
    pub action: String,
    /// Case severity 1–4.
    pub severity: Option<i64>,
    /// Case category.
    pub category: Option<String>,
    /// A recovery proposes closing.
    pub close_on_recovery: bool,
    /// Optimistic version.
    pub version: i64,
}

/// Every rule.
pub async fn rules(db: &mut Db) -> StoreResult<Vec<StoredRule>> {
    let rows: Vec<RuleRow> = on_db!(db, c => sqlx::query_as(
        "SELECT id, product_id, event_code, action, severity, category, close_on_recovery, version
         FROM call_home_rules ORDER BY id")
        .fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(
            |(
                id,
                product_id,
                event_code,
                action,
                severity,
                category,
                close_on_recovery,
                version,
            )| {
                StoredRule {
                    id,
                    product_id,
                    event_code,
                    action,
                    severity,
                    category,
                    close_on_recovery,
                    version,
                }
            },
        )
        .collect())
}

/// Adds a rule; returns its id.
pub async fn insert_rule(db: &mut Db, r: &StoredRule, now: Timestamp) -> StoreResult<i64> {
    Ok(on_db!(db, c => sqlx::query_scalar(
        "INSERT INTO call_home_rules (product_id, event_code, action, severity, category, close_on_recovery,
                                      created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id")
        .bind(r.product_id).bind(&r.event_code).bind(&r.action).bind(r.severity).bind(&r.category)
        .bind(r.close_on_recovery).bind(Ts::new(now)).fetch_one(c).await)?)
}

/// Changes a rule at the version the editor saw; false if it changed meanwhile or is gone.
pub async fn update_rule(db: &mut Db, r: &StoredRule, now: Timestamp) -> StoreResult<bool> {
    let done = exec_db!(db, c => sqlx::query(
        "UPDATE call_home_rules SET product_id = $1, event_code = $2, action = $3, severity = $4, category = $5,
                close_on_recovery = $6, updated_at = $7, version = version + 1
         WHERE id = $8 AND version = $9")
        .bind(r.product_id).bind(&r.event_code).bind(&r.action).bind(r.severity).bind(&r.category)
        .bind(r.close_on_recovery).bind(Ts::new(now)).bind(r.id).bind(r.version).execute(c).await)?;
    Ok(done == 1)
}

/// Deletes a rule; false if it was not there.
pub async fn delete_rule(db: &mut Db, id: i64) -> StoreResult<bool> {
    Ok(
        exec_db!(db, c => sqlx::query("DELETE FROM call_home_rules WHERE id = $1").bind(id).execute(c).await)?
            == 1,
    )
}
