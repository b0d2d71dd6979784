//! Watching call home: devices whose heartbeats stopped (found by the time each becomes silent,
//! flagged once by a conditional update, so several servers on one database warn once), and the
//! refusals of device requests counted per day, code and key.

use casebook_domain::Timestamp;
use casebook_domain::ids::{CaseId, Id, OrganizationId, UnitId};

use crate::db::Db;
use crate::error::StoreResult;
use crate::time::Ts;

/// A device that has become silent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilentDevice {
    /// The unit.
    pub unit_id: UnitId,
    /// Its serial number.
    pub serial_number: String,
    /// Its organisation.
    pub organization_id: OrganizationId,
    /// Its last heartbeat.
    pub last_heartbeat_at: Option<Timestamp>,
}

/// Devices due to be flagged silent at `now` (at most `limit`), oldest first.
pub async fn due_silent(db: &mut Db, now: Timestamp, limit: i64) -> StoreResult<Vec<SilentDevice>> {
    let rows: Vec<(i64, String, i64, Option<Ts>)> = on_db!(db, c => sqlx::query_as(
        "SELECT d.unit_id, u.serial_number, u.organization_id, d.last_heartbeat_at
         FROM call_home_devices d JOIN units u ON u.id = d.unit_id
         WHERE d.silent_since IS NULL AND d.silent_after IS NOT NULL AND d.silent_after < $1
           AND u.retired_at IS NULL
         ORDER BY d.silent_after LIMIT $2").persistent(false)
        .bind(Ts::new(now)).bind(limit).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(unit, serial, org, beat)| SilentDevice {
            unit_id: Id::new(unit),
            serial_number: serial,
            organization_id: Id::new(org),
            last_heartbeat_at: beat.map(|t| t.0),
        })
        .collect())
}

/// Flags a device silent if it still is due; true for the one caller that flagged it.
pub async fn mark_silent(db: &mut Db, unit: UnitId, now: Timestamp) -> StoreResult<bool> {
    let changed = exec_db!(db, c => sqlx::query(
        "UPDATE call_home_devices SET silent_since = $1
         WHERE unit_id = $2 AND silent_since IS NULL AND silent_after IS NOT NULL AND silent_after < $1")
        .bind(Ts::new(now)).bind(unit.get()).execute(c).await)?;
    Ok(changed == 1)
}

/// The case still open that a device opened (any fault), newest first.
pub async fn open_case_of_unit(db: &mut Db, unit: UnitId) -> StoreResult<Option<CaseId>> {
    let id: Option<i64> = on_db!(db, c => sqlx::query_scalar(
        "SELECT f.case_id FROM case_faults f JOIN cases c ON c.id = f.case_id
         WHERE f.unit_id = $1 AND c.status NOT IN ('closed', 'cancelled')
         ORDER BY f.case_id DESC LIMIT 1")
        .bind(unit.get()).fetch_optional(c).await)?;
    Ok(id.map(Id::new))
}

/// Refusals of device requests on one day with one code and key (`""`: no known key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusalCount {
    /// The day, `YYYY-MM-DD` in UTC.
    pub day: String,
    /// The refusal's code, e.g. `signature_invalid`.
    pub code: String,
    /// The public id of the key, if the request named a known one.
    pub key_id: String,
    /// How many.
    pub count: i64,
    /// The last one.
    pub last_at: Timestamp,
}

/// Adds counts (summed into the day's row).
pub async fn add_refusals(db: &mut Db, counts: &[RefusalCount]) -> StoreResult<()> {
    for r in counts {
        exec_db!(db, c => sqlx::query(
            "INSERT INTO call_home_refusals (day, code, key_id, count, last_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (day, code, key_id) DO UPDATE
             SET count = call_home_refusals.count + excluded.count,
                 last_at = CASE WHEN excluded.last_at > call_home_refusals.last_at
                                THEN excluded.last_at ELSE call_home_refusals.last_at END")
            .bind(&r.day).bind(&r.code).bind(&r.key_id).bind(r.count).bind(Ts::new(r.last_at))
            .execute(c).await)?;
    }
    Ok(())
}

/// The counts from a day on (inclusive), newest day first (at most 1,000 rows).
pub async fn refusals_since(db: &mut Db, day: &str) -> StoreResult<Vec<RefusalCount>> {
    let rows: Vec<(String, String, String, i64, Ts)> = on_db!(db, c => sqlx::query_as(
        "SELECT day, code, key_id, count, last_at FROM call_home_refusals WHERE day >= $1
         ORDER BY day DESC, count DESC, code, key_id LIMIT 1000")
        .bind(day).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(day, code, key_id, count, last_at)| RefusalCount {
            day,
            code,
            key_id,
            count,
            last_at: last_at.0,
        })
        .collect())
}
