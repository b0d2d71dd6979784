//! Remote diagnosis sessions (远程诊断): the remote-access policy of organisations and sites,
//! sessions and the units they name, their steps (each an update guarded by the state it
//! leaves, so two racing steps cannot both win), the command log (appended only while the
//! session is active, numbered under the session row's lock) and recordings, and the seal.

use casebook_domain::Named;
use casebook_domain::Timestamp;
use casebook_domain::case::NamedRef;
use casebook_domain::field::remote::{AccessPolicy, SessionState};
use casebook_domain::field::session::{LogLine, Recording, RemoteSession};
use casebook_domain::ids::{CaseId, Id, OrganizationId, SiteId, UnitId, UserId};

use crate::db::Db;
use crate::error::StoreResult;
use crate::rows::parse_column;
use crate::time::Ts;

/// An organisation's policy.
pub async fn org_policy(db: &mut Db, org: OrganizationId) -> StoreResult<Option<AccessPolicy>> {
    let raw: Option<String> = on_db!(db, c => sqlx::query_scalar(
        "SELECT remote_policy FROM organizations WHERE id = $1")
        .bind(org.get()).fetch_optional(c).await)?;
    raw.map(|r| parse_column("organizations.remote_policy", &r, AccessPolicy::parse))
        .transpose()
}

/// Sets an organisation's policy; false when there is no such organisation.
pub async fn set_org_policy(
    db: &mut Db,
    org: OrganizationId,
    policy: AccessPolicy,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec_db!(db, c => sqlx::query(
        "UPDATE organizations SET remote_policy = $1, updated_at = $2 WHERE id = $3")
        .bind(policy.as_str()).bind(Ts::new(now)).bind(org.get()).execute(c).await)?;
    Ok(n == 1)
}

/// A site's own policy (`None`: the organisation's), with its organisation; `None` when there
/// is no such site.
pub async fn site_policy(
    db: &mut Db,
    site: SiteId,
) -> StoreResult<Option<(OrganizationId, Option<AccessPolicy>)>> {
    let row: Option<(i64, Option<String>)> = on_db!(db, c => sqlx::query_as(
        "SELECT organization_id, remote_policy FROM sites WHERE id = $1")
        .bind(site.get()).fetch_optional(c).await)?;
    row.map(|(org, raw)| {
        let policy = raw
            .map(|r| parse_column("sites.remote_policy", &r, AccessPolicy::parse))
            .transpose()?;
        Ok((Id::new(org), policy))
    })
    .transpose()
}

/// Sets or clears a site's own policy.
pub async fn set_site_policy(
    db: &mut Db,
    site: SiteId,
    policy: Option<AccessPolicy>,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec_db!(db, c => sqlx::query(
        "UPDATE sites SET remote_policy = $1, updated_at = $2 WHERE id = $3")
        .bind(policy.map(|p| p.as_str())).bind(Ts::new(now)).bind(site.get()).execute(c).await)?;
    Ok(n == 1)
}

/// The sites of an organisation that have their own policy: id, name, policy.
pub async fn site_policies_of(
    db: &mut Db,
    org: OrganizationId,
) -> StoreResult<Vec<(SiteId, String, AccessPolicy)>> {
    let rows: Vec<(i64, String, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT id, name, remote_policy FROM sites
         WHERE organization_id = $1 AND remote_policy IS NOT NULL ORDER BY name, id")
        .bind(org.get()).fetch_all(c).await)?;
    rows.into_iter()
        .map(|(id, name, raw)| {
            Ok((
                Id::new(id),
                name,
                parse_column("sites.remote_policy", &raw, AccessPolicy::parse)?,
            ))
        })
        .collect()
}

/// The units of an organisation among `units`, with their site's own policy.
pub async fn units_of(
    db: &mut Db,
    org: OrganizationId,
    units: &[UnitId],
) -> StoreResult<Vec<(UnitId, Option<AccessPolicy>)>> {
    let mut found = Vec::with_capacity(units.len());
    for unit in units {
        let row: Option<(i64, Option<String>)> = on_db!(db, c => sqlx::query_as(
            "SELECT u.id, s.remote_policy FROM units u LEFT JOIN sites s ON s.id = u.site_id
             WHERE u.id = $1 AND u.organization_id = $2")
            .bind(unit.get()).bind(org.get()).fetch_optional(c).await)?;
        if let Some((id, raw)) = row {
            let policy = raw
                .map(|r| parse_column("sites.remote_policy", &r, AccessPolicy::parse))
                .transpose()?;
            found.push((Id::new(id), policy));
        }
    }
    Ok(found)
}

/// A session to save.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    /// The case.
    pub case: CaseId,
    /// Its organisation.
    pub organization: OrganizationId,
    /// What for.
    pub purpose: &'a str,
    /// How.
    pub method: &'a str,
    /// The units.
    pub units: &'a [UnitId],
    /// Window start.
    pub starts_at: Timestamp,
    /// Window length.
    pub minutes: i64,
    /// `ask` or `allow`.
    pub policy: AccessPolicy,
    /// `requested`, or `approved` under an `allow` policy.
    pub state: SessionState,
    /// The engineer.
    pub requested_by: Option<UserId>,
}

/// Saves a new session with its units; its id.
pub async fn insert(db: &mut Db, s: &NewSession<'_>, now: Timestamp) -> StoreResult<i64> {
    let ends = s.starts_at + jiff::SignedDuration::from_mins(s.minutes);
    let decided = (s.state == SessionState::Approved).then_some(Ts::new(now));
    let (id,): (i64,) = on_db!(db, c => sqlx::query_as(
        "INSERT INTO remote_sessions (case_id, organization_id, purpose, method, starts_at, ends_at,
             minutes, policy, state, requested_by, requested_at, decided_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $11) RETURNING id")
        .bind(s.case.get()).bind(s.organization.get()).bind(s.purpose).bind(s.method)
        .bind(Ts::new(s.starts_at)).bind(Ts::new(ends)).bind(s.minutes).bind(s.policy.as_str())
        .bind(s.state.as_str()).bind(s.requested_by.map(|u| u.get())).bind(Ts::new(now))
        .bind(decided).fetch_one(c).await)?;
    for unit in s.units {
        exec_db!(db, c => sqlx::query(
            "INSERT INTO remote_session_units (session_id, unit_id) VALUES ($1, $2)")
            .bind(id).bind(unit.get()).execute(c).await)?;
    }
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: i64,
    case_id: i64,
    year: i64,
    seq: i64,
    state: String,
    purpose: String,
    method: String,
    starts_at: Ts,
    ends_at: Ts,
    minutes: i64,
    policy: String,
    requested_by: Option<i64>,
    requested_name: Option<String>,
    requested_at: Ts,
    decided_by: Option<i64>,
    decided_name: Option<String>,
    decided_at: Option<Ts>,
    decision_note: String,
    started_by: Option<i64>,
    started_name: Option<String>,
    started_at: Option<Ts>,
    ended_by: Option<i64>,
    ended_name: Option<String>,
    ended_at: Option<Ts>,
    end_reason: Option<String>,
    log_lines: i64,
    log_sha256: Option<String>,
    version: i64,
}

macro_rules! select_sessions {
    () => {
        "SELECT s.id, s.case_id, c.year, c.seq, s.state, s.purpose, s.method,
        s.starts_at, s.ends_at, s.minutes, s.policy,
        s.requested_by, ur.name AS requested_name, s.requested_at,
        s.decided_by, ud.name AS decided_name, s.decided_at, s.decision_note,
        s.started_by, us.name AS started_name, s.started_at,
        s.ended_by, ue.name AS ended_name, s.ended_at, s.end_reason,
        s.log_lines, s.log_sha256, s.version
    FROM remote_sessions s JOIN cases c ON c.id = s.case_id
    LEFT JOIN users ur ON ur.id = s.requested_by LEFT JOIN users ud ON ud.id = s.decided_by
    LEFT JOIN users us ON us.id = s.started_by LEFT JOIN users ue ON ue.id = s.ended_by "
    };
}

fn person(id: Option<i64>, name: Option<String>) -> Option<NamedRef<UserId>> {
    id.map(|id| NamedRef {
        id: Id::new(id),
        name: name.unwrap_or_default(),
    })
}

impl SessionRow {
    fn session(self, units: Vec<NamedRef<UnitId>>) -> StoreResult<(CaseId, RemoteSession)> {
        Ok((
            Id::new(self.case_id),
            RemoteSession {
                id: self.id,
                case_number: format!("{}-{:05}", self.year, self.seq),
                state: parse_column("remote_sessions.state", &self.state, SessionState::parse)?,
                purpose: self.purpose,
                method: self.method,
                units,
                starts_at: self.starts_at.0,
                ends_at: self.ends_at.0,
                minutes: self.minutes,
                policy: parse_column("remote_sessions.policy", &self.policy, AccessPolicy::parse)?,
                requested_by: person(self.requested_by, self.requested_name),
                requested_at: self.requested_at.0,
                decided_by: person(self.decided_by, self.decided_name),
                decided_at: self.decided_at.map(|t| t.0),
                decision_note: self.decision_note,
                started_by: person(self.started_by, self.started_name),
                started_at: self.started_at.map(|t| t.0),
                ended_by: person(self.ended_by, self.ended_name),
                ended_at: self.ended_at.map(|t| t.0),
                end_reason: self.end_reason,
                log_lines: self.log_lines,
                log_sha256: self.log_sha256,
                version: self.version,
            },
        ))
    }
}

async fn units(db: &mut Db, session: i64) -> StoreResult<Vec<NamedRef<UnitId>>> {
    let rows: Vec<(i64, String, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT u.id, p.name, u.serial_number FROM remote_session_units su
         JOIN units u ON u.id = su.unit_id JOIN products p ON p.id = u.product_id
         WHERE su.session_id = $1 ORDER BY u.id")
        .bind(session).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, product, serial)| NamedRef {
            id: Id::new(id),
            name: format!("{product} {serial}"),
        })
        .collect())
}

/// A session with its case.
pub async fn get(db: &mut Db, id: i64) -> StoreResult<Option<(CaseId, RemoteSession)>> {
    let row: Option<SessionRow> = on_db!(db, c => sqlx::query_as(
        concat!(select_sessions!(), "WHERE s.id = $1")).bind(id).fetch_optional(c).await)?;
    match row {
        Some(row) => {
            let units = units(db, row.id).await?;
            Ok(Some(row.session(units)?))
        }
        None => Ok(None),
    }
}

/// A case's sessions, oldest first.
pub async fn of_case(db: &mut Db, case: CaseId) -> StoreResult<Vec<RemoteSession>> {
    let rows: Vec<SessionRow> = on_db!(db, c => sqlx::query_as(
        concat!(select_sessions!(), "WHERE s.case_id = $1 ORDER BY s.id"))
        .bind(case.get()).fetch_all(c).await)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let units = units(db, row.id).await?;
        out.push(row.session(units)?.1);
    }
    Ok(out)
}

/// A step that changes a session's state, taken only from the state `from`.
#[derive(Debug, Clone)]
pub struct StepUpdate<'a> {
    /// The session.
    pub id: i64,
    /// The state it must be in.
    pub from: SessionState,
    /// The state after.
    pub to: SessionState,
    /// Who.
    pub by: Option<UserId>,
    /// A decline's reason, or an ending's (`ended`, `window_over`, `revoked`, `cancelled`).
    pub note: Option<&'a str>,
    /// The log's seal, when the step ends a running session.
    pub seal: Option<&'a str>,
}

/// Takes a step: sets the state and who did it (approve/decline: `decided_*`; start:
/// `started_*`; end, revoke, cancel: `ended_*`); false when the session is no longer in the
/// `from` state (another step won).
pub async fn step(db: &mut Db, s: &StepUpdate<'_>, now: Timestamp) -> StoreResult<bool> {
    let sql = match s.to {
        SessionState::Approved | SessionState::Declined | SessionState::Requested => {
            "UPDATE remote_sessions SET state = $4, decided_by = $1, decided_at = $2,
                 decision_note = COALESCE($3, decision_note), log_sha256 = COALESCE($5, log_sha256),
                 updated_at = $2, version = version + 1
             WHERE id = $6 AND state = $7"
        }
        SessionState::Active => {
            "UPDATE remote_sessions SET state = $4, started_by = $1, started_at = $2,
                 end_reason = COALESCE($3, end_reason), log_sha256 = COALESCE($5, log_sha256),
                 updated_at = $2, version = version + 1
             WHERE id = $6 AND state = $7"
        }
        SessionState::Ended | SessionState::Revoked | SessionState::Cancelled => {
            "UPDATE remote_sessions SET state = $4, ended_by = $1, ended_at = $2, end_reason = $3,
                 log_sha256 = COALESCE($5, log_sha256), updated_at = $2, version = version + 1
             WHERE id = $6 AND state = $7"
        }
    };
    let n = exec_db!(db, c => sqlx::query(sql)
        .bind(s.by.map(|u| u.get())).bind(Ts::new(now)).bind(s.note).bind(s.to.as_str())
        .bind(s.seal).bind(s.id).bind(s.from.as_str()).execute(c).await)?;
    Ok(n == 1)
}

/// Locks a session's row for the transaction and reads its state and line count.
pub async fn lock(db: &mut Db, id: i64) -> StoreResult<Option<(SessionState, i64)>> {
    let sql = if db.backend() == crate::Backend::Postgres {
        "SELECT state, log_lines FROM remote_sessions WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT state, log_lines FROM remote_sessions WHERE id = $1"
    };
    let row: Option<(String, i64)> =
        on_db!(db, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await)?;
    row.map(|(s, n)| {
        Ok((
            parse_column("remote_sessions.state", &s, SessionState::parse)?,
            n,
        ))
    })
    .transpose()
}

/// Appends lines to an active session's log, numbered after its last; the number of the
/// first, or `None` when the session is not active (it ended: the log is sealed).
pub async fn append(
    db: &mut Db,
    id: i64,
    lines: &[(Timestamp, String)],
    by: Option<UserId>,
    now: Timestamp,
) -> StoreResult<Option<i64>> {
    let count = i64::try_from(lines.len()).unwrap_or(i64::MAX);
    let total: Option<i64> = on_db!(db, c => sqlx::query_scalar(
        "UPDATE remote_sessions SET log_lines = log_lines + $1, updated_at = $2
         WHERE id = $3 AND state = 'active' RETURNING log_lines")
        .bind(count).bind(Ts::new(now)).bind(id).fetch_optional(c).await)?;
    let Some(total) = total else {
        return Ok(None);
    };
    let first = total - count + 1;
    for (i, (at, text)) in lines.iter().enumerate() {
        let seq = first + i64::try_from(i).unwrap_or(0);
        exec_db!(db, c => sqlx::query(
            "INSERT INTO remote_log_lines (session_id, seq, at, text, added_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id).bind(seq).bind(Ts::new(*at)).bind(text).bind(by.map(|u| u.get()))
            .bind(Ts::new(now)).execute(c).await)?;
    }
    Ok(Some(first))
}

#[derive(sqlx::FromRow)]
struct LineRow {
    seq: i64,
    at: Ts,
    text: String,
    internal_reason: Option<String>,
}

/// A session's log in order, every line as written.
pub async fn lines(db: &mut Db, id: i64) -> StoreResult<Vec<LogLine>> {
    let rows: Vec<LineRow> = on_db!(db, c => sqlx::query_as(
        "SELECT seq, at, text, internal_reason FROM remote_log_lines WHERE session_id = $1 ORDER BY seq")
        .bind(id).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|r| LogLine {
            seq: r.seq,
            at: r.at.0,
            text: r.text,
            internal: r.internal_reason.is_some(),
            internal_reason: r.internal_reason,
        })
        .collect())
}

/// Marks a line internal with a reason (its text stays); false when there is no such line.
pub async fn mark_internal(
    db: &mut Db,
    id: i64,
    seq: i64,
    reason: &str,
    by: Option<UserId>,
) -> StoreResult<bool> {
    let n = exec_db!(db, c => sqlx::query(
        "UPDATE remote_log_lines SET internal_reason = $1, marked_by = $2 WHERE session_id = $3 AND seq = $4")
        .bind(reason).bind(by.map(|u| u.get())).bind(id).bind(seq).execute(c).await)?;
    Ok(n == 1)
}

/// A recording to save (its content is in `attachment_blobs` under its hash).
#[derive(Debug, Clone)]
pub struct NewRecording<'a> {
    /// The session.
    pub session: i64,
    /// The case's attachment that holds it.
    pub attachment: i64,
    /// The file's name.
    pub file_name: &'a str,
    /// Its media type.
    pub content_type: &'a str,
    /// Its size.
    pub size: i64,
    /// Its hash.
    pub sha256: &'a str,
    /// Who.
    pub uploaded_by: Option<UserId>,
}

/// Saves a recording's record; its id.
pub async fn insert_recording(
    db: &mut Db,
    r: &NewRecording<'_>,
    now: Timestamp,
) -> StoreResult<i64> {
    let (id,): (i64,) = on_db!(db, c => sqlx::query_as(
        "INSERT INTO remote_recordings (session_id, attachment_id, file_name, content_type, size_bytes, sha256, uploaded_by, created_at)
         VALUES ($1, $8, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(r.session).bind(r.file_name).bind(r.content_type).bind(r.size).bind(r.sha256)
        .bind(r.uploaded_by.map(|u| u.get())).bind(Ts::new(now)).bind(r.attachment).fetch_one(c).await)?;
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct RecordingRow {
    id: i64,
    attachment_id: i64,
    file_name: String,
    content_type: String,
    size_bytes: i64,
    sha256: String,
    created_at: Ts,
}

/// A session's recordings, in upload order.
pub async fn recordings(db: &mut Db, id: i64) -> StoreResult<Vec<Recording>> {
    let rows: Vec<RecordingRow> = on_db!(db, c => sqlx::query_as(
        "SELECT id, attachment_id, file_name, content_type, size_bytes, sha256, created_at FROM remote_recordings
         WHERE session_id = $1 ORDER BY id")
        .bind(id).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|r| Recording {
            id: r.id,
            attachment_id: r.attachment_id,
            file_name: r.file_name,
            content_type: r.content_type,
            size: r.size_bytes,
            sha256: r.sha256,
            created_at: r.created_at.0,
        })
        .collect())
}

/// Active sessions whose window has closed at `now`, oldest first (at most `limit`).
pub async fn overrun(db: &mut Db, now: Timestamp, limit: i64) -> StoreResult<Vec<i64>> {
    Ok(on_db!(db, c => sqlx::query_scalar(
        "SELECT id FROM remote_sessions WHERE state = 'active' AND ends_at <= $1 ORDER BY ends_at, id LIMIT $2")
        .bind(Ts::new(now)).bind(limit).fetch_all(c).await)?)
}

/// Who may approve a session on a case: the active customer users of the case's organisation
/// who are its administrators or authorised contacts of the case's contract (at most 50).
pub async fn approvers(db: &mut Db, case: CaseId) -> StoreResult<Vec<UserId>> {
    let ids: Vec<i64> = on_db!(db, c => sqlx::query_scalar(
        "SELECT u.id FROM users u JOIN cases c ON c.id = $1
         WHERE u.active AND u.organization_id = c.organization_id
           AND (u.role = 'customer_admin'
                OR (u.contact_id IS NOT NULL AND c.contract_id IS NOT NULL AND EXISTS (
                    SELECT 1 FROM contract_contacts cc
                    WHERE cc.contract_id = c.contract_id AND cc.contact_id = u.contact_id)))
         ORDER BY u.id LIMIT 50")
        .bind(case.get()).fetch_all(c).await)?;
    Ok(ids.into_iter().map(Id::new).collect())
}
