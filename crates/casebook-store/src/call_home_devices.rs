//! The devices of a call-home batch, all at once: locked (made first if new) by one multi-row
//! upsert per chunk, in unit order so two batches never wait on each other in a circle, and
//! saved by one multi-row update per chunk when the batch ends.

use casebook_domain::Timestamp;
use casebook_domain::ids::{Id, UnitId};

use crate::call_home::DeviceState;
use crate::db::Db;
use crate::error::StoreResult;
use crate::time::Ts;

type LockedRow = (
    i64,
    Option<Ts>,
    Option<Ts>,
    Option<i64>,
    Option<Ts>,
    Option<Ts>,
    i64,
    Option<Ts>,
    i64,
    Option<String>,
    Option<Ts>,
);

/// Rows per statement: SQLite's driver finds each parameter by name among all of the
/// statement's, so statements stay small.
const LOCK_CHUNK: usize = 100;
const SAVE_CHUNK: usize = 20;

fn placeholders(rows: usize, per_row: usize) -> String {
    (0..rows)
        .map(|row| {
            let params: Vec<String> = (1..=per_row)
                .map(|k| format!("${}", row * per_row + k))
                .collect();
            format!("({})", params.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Locks the devices of `units` until the transaction ends (making those that have no state
/// yet) and returns their states. `units` are taken in ascending order.
pub async fn lock_devices(
    db: &mut Db,
    units: &[UnitId],
) -> StoreResult<Vec<(UnitId, DeviceState)>> {
    let mut sorted = units.to_vec();
    sorted.sort();
    sorted.dedup();
    let mut states = Vec::with_capacity(sorted.len());
    for chunk in sorted.chunks(LOCK_CHUNK) {
        // The upsert takes the row locks on PostgreSQL, in the order of the rows (SQLite has
        // one writer).
        let sql = format!(
            "INSERT INTO call_home_devices (unit_id) VALUES {}
             ON CONFLICT (unit_id) DO UPDATE SET window_events = call_home_devices.window_events
             RETURNING unit_id, last_event_at, last_heartbeat_at, heartbeat_secs, silent_since,
                       window_started_at, window_events, suppressed_until, suppressed_events,
                       configuration, silent_after",
            placeholders(chunk.len(), 1)
        );
        let rows: Vec<LockedRow> = on_db!(db, c => {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).persistent(false);
            for unit in chunk {
                query = query.bind(unit.get());
            }
            query.fetch_all(c).await
        })?;
        for (
            unit,
            last,
            beat,
            secs,
            silent,
            window,
            events,
            until,
            suppressed,
            configuration,
            after,
        ) in rows
        {
            let state = DeviceState {
                last_event_at: last.map(|t| t.0),
                last_heartbeat_at: beat.map(|t| t.0),
                heartbeat_secs: secs,
                silent_since: silent.map(|t| t.0),
                window_started_at: window.map(|t| t.0),
                window_events: events,
                suppressed_until: until.map(|t| t.0),
                suppressed_events: suppressed,
                configuration,
                silent_after: after.map(|t| t.0),
            };
            states.push((Id::new(unit), state));
        }
    }
    Ok(states)
}

/// Writes the states of locked devices.
pub async fn save_devices(db: &mut Db, devices: &[(UnitId, &DeviceState)]) -> StoreResult<()> {
    let ts = |t: Option<Timestamp>| t.map(Ts::new);
    for chunk in devices.chunks(SAVE_CHUNK) {
        let sql = format!(
            "WITH v (unit_id, last_event_at, last_heartbeat_at, heartbeat_secs, silent_since,
                     window_started_at, window_events, suppressed_until, suppressed_events,
                     configuration, silent_after) AS (VALUES {})
             UPDATE call_home_devices SET last_event_at = v.last_event_at,
                    last_heartbeat_at = v.last_heartbeat_at, heartbeat_secs = v.heartbeat_secs,
                    silent_since = v.silent_since, window_started_at = v.window_started_at,
                    window_events = v.window_events, suppressed_until = v.suppressed_until,
                    suppressed_events = v.suppressed_events, configuration = v.configuration,
                    silent_after = v.silent_after
             FROM v WHERE call_home_devices.unit_id = v.unit_id",
            placeholders(chunk.len(), 11)
        );
        exec_db!(db, c => {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).persistent(chunk.len() == SAVE_CHUNK);
            for (unit, s) in chunk {
                query = query
                    .bind(unit.get()).bind(ts(s.last_event_at)).bind(ts(s.last_heartbeat_at))
                    .bind(s.heartbeat_secs).bind(ts(s.silent_since)).bind(ts(s.window_started_at))
                    .bind(s.window_events).bind(ts(s.suppressed_until)).bind(s.suppressed_events)
                    .bind(&s.configuration).bind(ts(s.silent_after));
            }
            query.execute(c).await
        })?;
    }
    Ok(())
}
