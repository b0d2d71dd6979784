//! On-site visits (现场服务): a visit with its engineers and reserved parts, its steps (check in,
//! complete, cancel), each an update guarded by the state it leaves, the parts used with their
//! serial numbers, and the engineers' visits over a period for the dispatch board.

use casebook_domain::Named;
use casebook_domain::Timestamp;
use casebook_domain::case::NamedRef;
use casebook_domain::field::signature::SignMethod;
use casebook_domain::field::visit::{Reserved, Signed, Used, Visit, VisitState};
use casebook_domain::ids::{CaseId, Id, OrganizationId, SiteId, UnitId, UserId};

use crate::db::Db;
use crate::error::StoreResult;
use crate::rows::parse_column;
use crate::time::Ts;

/// A visit to save.
#[derive(Debug, Clone)]
pub struct NewVisit<'a> {
    /// The case.
    pub case: CaseId,
    /// Its organisation.
    pub organization: OrganizationId,
    /// The site.
    pub site: Option<SiteId>,
    /// The engineers, the lead first.
    pub engineers: &'a [UserId],
    /// When they should arrive.
    pub planned_arrival: Timestamp,
    /// How long it should take.
    pub planned_minutes: i64,
    /// Notes.
    pub notes: &'a str,
    /// Who dispatched it.
    pub dispatched_by: Option<UserId>,
}

/// Saves a new visit with its engineers; its id.
pub async fn insert(db: &mut Db, v: &NewVisit<'_>, now: Timestamp) -> StoreResult<i64> {
    let (id,): (i64,) = on_db!(db, c => sqlx::query_as(
        "INSERT INTO visits (case_id, organization_id, site_id, state, planned_arrival, notes,
             dispatched_by, dispatched_at, updated_at, planned_minutes)
         VALUES ($1, $2, $3, 'planned', $4, $5, $6, $7, $7, $8) RETURNING id")
        .bind(v.case.get()).bind(v.organization.get()).bind(v.site.map(|s| s.get()))
        .bind(Ts::new(v.planned_arrival)).bind(v.notes).bind(v.dispatched_by.map(|u| u.get()))
        .bind(Ts::new(now)).bind(v.planned_minutes).fetch_one(c).await)?;
    set_engineers(db, id, v.engineers).await?;
    Ok(id)
}

async fn set_engineers(db: &mut Db, id: i64, engineers: &[UserId]) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query("DELETE FROM visit_engineers WHERE visit_id = $1")
        .bind(id).execute(c).await)?;
    for (i, user) in engineers.iter().enumerate() {
        let position = i64::try_from(i).unwrap_or(0);
        exec_db!(db, c => sqlx::query(
            "INSERT INTO visit_engineers (visit_id, user_id, position) VALUES ($1, $2, $3)")
            .bind(id).bind(user.get()).bind(position).execute(c).await)?;
    }
    Ok(())
}

/// Assigns a planned visit's engineers and maybe moves it; false unless it is still planned at
/// `version`.
pub async fn assign(
    db: &mut Db,
    id: i64,
    version: i64,
    engineers: &[UserId],
    planned: (Option<Timestamp>, Option<i64>),
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec_db!(db, c => sqlx::query(
        "UPDATE visits SET planned_arrival = COALESCE($1, planned_arrival),
             planned_minutes = COALESCE($2, planned_minutes), updated_at = $3, version = version + 1
         WHERE id = $4 AND state = 'planned' AND version = $5")
        .bind(planned.0.map(Ts::new)).bind(planned.1).bind(Ts::new(now)).bind(id).bind(version)
        .execute(c).await)?;
    if n != 1 {
        return Ok(false);
    }
    set_engineers(db, id, engineers).await?;
    Ok(true)
}

/// The customer's sign-off to record.
#[derive(Debug, Clone)]
pub struct NewSignature<'a> {
    /// The visit.
    pub visit: i64,
    /// The signer's name.
    pub signer_name: &'a str,
    /// `drawn` or `code`.
    pub method: &'a str,
    /// The cleaned drawing (SVG text or a PNG data URL).
    pub signature: Option<&'a str>,
}

/// Records the sign-off of a completed, unsigned visit; false if it was signed meanwhile.
pub async fn sign(db: &mut Db, s: &NewSignature<'_>, now: Timestamp) -> StoreResult<bool> {
    let n = exec_db!(db, c => sqlx::query(
        "UPDATE visits SET signed_at = $1, signer_name = $2, sign_method = $3, signature = $4,
             updated_at = $1, version = version + 1
         WHERE id = $5 AND state = 'completed' AND signed_at IS NULL")
        .bind(Ts::new(now)).bind(s.signer_name).bind(s.method).bind(s.signature).bind(s.visit)
        .execute(c).await)?;
    Ok(n == 1)
}

/// Links the service report made at signing; only once.
pub async fn set_report(db: &mut Db, visit: i64, attachment: i64, sha256: &str) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query(
        "UPDATE visits SET report_attachment_id = $1, report_sha256 = $2
         WHERE id = $3 AND report_attachment_id IS NULL")
        .bind(attachment).bind(sha256).bind(visit).execute(c).await)?;
    Ok(())
}

/// The kept drawing of a signed visit.
pub async fn signature(db: &mut Db, visit: i64) -> StoreResult<Option<String>> {
    let row: Option<(Option<String>,)> = on_db!(db, c => sqlx::query_as(
        "SELECT signature FROM visits WHERE id = $1").bind(visit).fetch_optional(c).await)?;
    Ok(row.and_then(|r| r.0))
}

/// Keeps a new one-time code for a visit (replacing an earlier one).
pub async fn put_code(
    db: &mut Db,
    visit: i64,
    code_sha256: &str,
    recipient: &str,
    expires_at: Timestamp,
    now: Timestamp,
) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query(
        "INSERT INTO visit_sign_codes (visit_id, code_sha256, recipient, expires_at, attempts, created_at)
         VALUES ($1, $2, $3, $4, 0, $5)
         ON CONFLICT (visit_id) DO UPDATE SET code_sha256 = excluded.code_sha256,
             recipient = excluded.recipient, expires_at = excluded.expires_at, attempts = 0,
             created_at = excluded.created_at")
        .bind(visit).bind(code_sha256).bind(recipient).bind(Ts::new(expires_at)).bind(Ts::new(now))
        .execute(c).await)?;
    Ok(())
}

/// A visit's one-time code: its SHA-256, recipient, expiry and wrong tries so far.
pub async fn code(
    db: &mut Db,
    visit: i64,
) -> StoreResult<Option<(String, String, Timestamp, i64)>> {
    let row: Option<(String, String, Ts, i64)> = on_db!(db, c => sqlx::query_as(
        "SELECT code_sha256, recipient, expires_at, attempts FROM visit_sign_codes WHERE visit_id = $1")
        .bind(visit).fetch_optional(c).await)?;
    Ok(row.map(|(h, r, e, a)| (h, r, e.0, a)))
}

/// Counts one more try of a visit's code, if it has tries left (fewer than `max`) and has not
/// expired at `now`: its SHA-256 and recipient. The count is taken before the code is
/// compared, in one update, so tries racing each other are all counted.
pub async fn code_try(
    db: &mut Db,
    visit: i64,
    max: i64,
    now: Timestamp,
) -> StoreResult<Option<(String, String)>> {
    Ok(on_db!(db, c => sqlx::query_as(
        "UPDATE visit_sign_codes SET attempts = attempts + 1
         WHERE visit_id = $1 AND attempts < $2 AND expires_at > $3
         RETURNING code_sha256, recipient")
        .bind(visit).bind(max).bind(Ts::new(now)).fetch_optional(c).await)?)
}

/// When a visit's current code was sent.
pub async fn code_sent_at(db: &mut Db, visit: i64) -> StoreResult<Option<Timestamp>> {
    let row: Option<(Ts,)> = on_db!(db, c => sqlx::query_as(
        "SELECT created_at FROM visit_sign_codes WHERE visit_id = $1")
        .bind(visit).fetch_optional(c).await)?;
    Ok(row.map(|r| r.0.0))
}

/// Removes a used code.
pub async fn drop_code(db: &mut Db, visit: i64) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query("DELETE FROM visit_sign_codes WHERE visit_id = $1")
        .bind(visit).execute(c).await)?;
    Ok(())
}

/// Records a reservation of the visit (the stock was reserved by `parts::move_stock`).
pub async fn add_reservation(
    db: &mut Db,
    visit: i64,
    part: i64,
    depot: i64,
    quantity: i64,
) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query(
        "INSERT INTO visit_parts (visit_id, part_id, depot_id, quantity) VALUES ($1, $2, $3, $4)
         ON CONFLICT (visit_id, part_id, depot_id) DO UPDATE SET quantity = visit_parts.quantity + excluded.quantity")
        .bind(visit).bind(part).bind(depot).bind(quantity).execute(c).await)?;
    Ok(())
}

/// The visit's reservations: part, depot, reserved, used.
pub async fn reservations(db: &mut Db, visit: i64) -> StoreResult<Vec<(i64, i64, i64, i64)>> {
    Ok(on_db!(db, c => sqlx::query_as(
        "SELECT part_id, depot_id, quantity, used FROM visit_parts WHERE visit_id = $1 ORDER BY part_id, depot_id")
        .bind(visit).fetch_all(c).await)?)
}

/// Counts one more item of a reservation as used; false when all of it was used.
pub async fn use_reserved(db: &mut Db, visit: i64, part: i64, depot: i64) -> StoreResult<bool> {
    let n = exec_db!(db, c => sqlx::query(
        "UPDATE visit_parts SET used = used + 1 WHERE visit_id = $1 AND part_id = $2 AND depot_id = $3 AND used < quantity")
        .bind(visit).bind(part).bind(depot).execute(c).await)?;
    Ok(n == 1)
}

/// A part used on a visit.
#[derive(Debug, Clone)]
pub struct NewUse<'a> {
    /// The visit.
    pub visit: i64,
    /// The part.
    pub part: i64,
    /// The depot it came from.
    pub depot: i64,
    /// The unit it went into.
    pub unit: Option<UnitId>,
    /// The serial number in.
    pub new_serial: Option<&'a str>,
    /// The serial number out.
    pub old_serial: Option<&'a str>,
}

/// Records a part used.
pub async fn add_use(db: &mut Db, u: &NewUse<'_>, now: Timestamp) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query(
        "INSERT INTO part_uses (visit_id, part_id, depot_id, unit_id, new_serial, old_serial, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(u.visit).bind(u.part).bind(u.depot).bind(u.unit.map(|x| x.get())).bind(u.new_serial)
        .bind(u.old_serial).bind(Ts::new(now)).execute(c).await)?;
    Ok(())
}

/// A step of a visit, taken only from `from`.
#[derive(Debug, Clone)]
pub struct VisitStep<'a> {
    /// The visit.
    pub id: i64,
    /// The state it must be in.
    pub from: VisitState,
    /// The state after.
    pub to: VisitState,
    /// For a check-in: the arrival.
    pub checked_in_at: Option<Timestamp>,
    /// The work done (completion).
    pub work_done: Option<&'a str>,
    /// Travel minutes (completion).
    pub travel_minutes: Option<i64>,
    /// On-site minutes (completion).
    pub onsite_minutes: Option<i64>,
    /// Why it was cancelled.
    pub cancel_reason: Option<&'a str>,
}

/// Takes a step; false when the visit is no longer in `from` (another step won).
pub async fn step(db: &mut Db, s: &VisitStep<'_>, now: Timestamp) -> StoreResult<bool> {
    let ended =
        matches!(s.to, VisitState::Completed | VisitState::Cancelled).then_some(Ts::new(now));
    let n = exec_db!(db, c => sqlx::query(
        "UPDATE visits SET state = $1, checked_in_at = COALESCE($2, checked_in_at), ended_at = COALESCE($3, ended_at),
             work_done = COALESCE($4, work_done), travel_minutes = COALESCE($5, travel_minutes),
             onsite_minutes = COALESCE($6, onsite_minutes), cancel_reason = COALESCE($7, cancel_reason),
             updated_at = $8, version = version + 1
         WHERE id = $9 AND state = $10")
        .bind(s.to.as_str()).bind(s.checked_in_at.map(Ts::new)).bind(ended).bind(s.work_done)
        .bind(s.travel_minutes).bind(s.onsite_minutes).bind(s.cancel_reason).bind(Ts::new(now))
        .bind(s.id).bind(s.from.as_str()).execute(c).await)?;
    Ok(n == 1)
}

#[derive(sqlx::FromRow)]
struct VisitRow {
    id: i64,
    case_id: i64,
    year: i64,
    seq: i64,
    state: String,
    site_id: Option<i64>,
    site_name: Option<String>,
    planned_arrival: Ts,
    planned_minutes: i64,
    notes: String,
    dispatched_by: Option<i64>,
    dispatched_name: Option<String>,
    dispatched_at: Ts,
    checked_in_at: Option<Ts>,
    ended_at: Option<Ts>,
    work_done: String,
    travel_minutes: i64,
    onsite_minutes: Option<i64>,
    cancel_reason: Option<String>,
    signed_at: Option<Ts>,
    signer_name: Option<String>,
    sign_method: Option<String>,
    report_attachment_id: Option<i64>,
    report_sha256: Option<String>,
    version: i64,
}

macro_rules! select_visits {
    () => {
        "SELECT v.id, v.case_id, c.year, c.seq, v.state, v.site_id, s.name AS site_name,
            v.planned_arrival, v.notes, v.dispatched_by, u.name AS dispatched_name, v.dispatched_at,
            v.checked_in_at, v.ended_at, v.work_done, v.travel_minutes, v.onsite_minutes,
            v.cancel_reason, v.planned_minutes, v.signed_at, v.signer_name, v.sign_method,
            v.report_attachment_id, v.report_sha256, v.version
         FROM visits v JOIN cases c ON c.id = v.case_id LEFT JOIN sites s ON s.id = v.site_id
         LEFT JOIN users u ON u.id = v.dispatched_by "
    };
}

async fn complete(db: &mut Db, r: VisitRow) -> StoreResult<(CaseId, Visit)> {
    let engineers: Vec<(i64, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT u.id, u.name FROM visit_engineers e JOIN users u ON u.id = e.user_id
         WHERE e.visit_id = $1 ORDER BY e.position")
        .bind(r.id).fetch_all(c).await)?;
    let reserved: Vec<(i64, String, String, i64, String, i64, i64)> = on_db!(db, c => sqlx::query_as(
        "SELECT vp.part_id, p.part_number, p.description, vp.depot_id, d.name, vp.quantity, vp.used
         FROM visit_parts vp JOIN parts p ON p.id = vp.part_id JOIN depots d ON d.id = vp.depot_id
         WHERE vp.visit_id = $1 ORDER BY p.part_number, d.code")
        .bind(r.id).fetch_all(c).await)?;
    let used: Vec<(
        String,
        String,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
    )> = on_db!(db, c => sqlx::query_as(
        "SELECT p.part_number, p.description, pu.unit_id, un.serial_number, pu.new_serial, pu.old_serial
         FROM part_uses pu JOIN parts p ON p.id = pu.part_id LEFT JOIN units un ON un.id = pu.unit_id
         WHERE pu.visit_id = $1 ORDER BY pu.id")
        .bind(r.id).fetch_all(c).await)?;
    let state = parse_column("visits.state", &r.state, VisitState::parse)?;
    let signed = match (
        r.signed_at,
        r.sign_method.as_deref().and_then(SignMethod::parse),
    ) {
        (Some(at), Some(method)) => Some(Signed {
            signer_name: r.signer_name.unwrap_or_default(),
            signed_at: at.0,
            method,
            report_attachment_id: r.report_attachment_id,
            report_sha256: r.report_sha256,
        }),
        _ => None,
    };
    Ok((
        Id::new(r.case_id),
        Visit {
            id: r.id,
            case_number: format!("{}-{:05}", r.year, r.seq),
            state,
            site: r.site_id.map(|id| NamedRef {
                id: Id::new(id),
                name: r.site_name.unwrap_or_default(),
            }),
            engineers: engineers
                .into_iter()
                .map(|(id, name)| NamedRef {
                    id: Id::new(id),
                    name,
                })
                .collect(),
            planned_arrival: r.planned_arrival.0,
            planned_minutes: r.planned_minutes,
            notes: r.notes,
            dispatched_by: r.dispatched_by.map(|id| NamedRef {
                id: Id::new(id),
                name: r.dispatched_name.unwrap_or_default(),
            }),
            dispatched_at: r.dispatched_at.0,
            checked_in_at: r.checked_in_at.map(|t| t.0),
            ended_at: r.ended_at.map(|t| t.0),
            work_done: r.work_done,
            travel_minutes: r.travel_minutes,
            onsite_minutes: r.onsite_minutes,
            cancel_reason: r.cancel_reason,
            reserved: reserved
                .into_iter()
                .map(
                    |(part_id, part_number, description, depot, depot_name, quantity, used)| {
                        Reserved {
                            part_id,
                            part_number,
                            description,
                            depot: NamedRef {
                                id: depot,
                                name: depot_name,
                            },
                            quantity,
                            used,
                        }
                    },
                )
                .collect(),
            used: used
                .into_iter()
                .map(
                    |(part_number, description, unit, serial, new_serial, old_serial)| Used {
                        part_number,
                        description,
                        unit: unit.map(|id| NamedRef {
                            id: Id::new(id),
                            name: serial.unwrap_or_default(),
                        }),
                        new_serial,
                        old_serial,
                    },
                )
                .collect(),
            signed,
            version: r.version,
        },
    ))
}

/// A visit with its case.
pub async fn get(db: &mut Db, id: i64) -> StoreResult<Option<(CaseId, Visit)>> {
    let row: Option<VisitRow> = on_db!(db, c => sqlx::query_as(
        concat!(select_visits!(), "WHERE v.id = $1")).bind(id).fetch_optional(c).await)?;
    match row {
        Some(r) => Ok(Some(complete(db, r).await?)),
        None => Ok(None),
    }
}

/// A case's visits, oldest first.
pub async fn of_case(db: &mut Db, case: CaseId) -> StoreResult<Vec<Visit>> {
    let rows: Vec<VisitRow> = on_db!(db, c => sqlx::query_as(
        concat!(select_visits!(), "WHERE v.case_id = $1 ORDER BY v.id"))
        .bind(case.get()).fetch_all(c).await)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(complete(db, r).await?.1);
    }
    Ok(out)
}

/// The visits that are not cancelled and planned to arrive from `from` to `to`, or that began
/// before and are planned to go on into it, by planned arrival (at most 1000), for the dispatch
/// board.
pub async fn between(db: &mut Db, from: Timestamp, to: Timestamp) -> StoreResult<Vec<Visit>> {
    let earliest = from - jiff::SignedDuration::from_hours(24);
    let rows: Vec<VisitRow> = on_db!(db, c => sqlx::query_as(
        concat!(select_visits!(), "WHERE v.planned_arrival >= $1 AND v.planned_arrival < $2
            AND v.state <> 'cancelled' ORDER BY v.planned_arrival, v.id LIMIT 1000"))
        .bind(Ts::new(earliest)).bind(Ts::new(to)).fetch_all(c).await)?;
    let rows: Vec<VisitRow> = rows
        .into_iter()
        .filter(|r| r.planned_arrival.0 + jiff::SignedDuration::from_mins(r.planned_minutes) > from)
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(complete(db, r).await?.1);
    }
    Ok(out)
}
