//! Call-home events read back as a whole, for checks and reports: every event an organisation's
//! devices sent with what became of it, and how many rows each idempotency key has (one, unless
//! the uniqueness the intake relies on were broken).

use casebook_domain::ids::{CaseId, Id, OrganizationId, UnitId};

use crate::db::Db;
use crate::error::StoreResult;

/// An event as kept, without its texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Row id.
    pub id: i64,
    /// The device's idempotency key.
    pub idempotency_key: String,
    /// The unit it is about, if known.
    pub unit_id: Option<UnitId>,
    /// The serial number the device sent.
    pub serial_number: String,
    /// fault, warning, recovery, heartbeat, inventory.
    pub event_type: String,
    /// The event code.
    pub event_code: String,
    /// What became of it.
    pub outcome: String,
    /// The case it opened or joined.
    pub case_id: Option<CaseId>,
}

type EventRow = (
    i64,
    String,
    Option<i64>,
    String,
    String,
    String,
    String,
    Option<i64>,
);

/// Every event of an organisation, oldest first.
pub async fn events(db: &mut Db, organization: OrganizationId) -> StoreResult<Vec<StoredEvent>> {
    let rows: Vec<EventRow> = on_db!(db, c => sqlx::query_as(
        "SELECT id, idempotency_key, unit_id, serial_number, event_type, event_code, outcome, case_id
         FROM call_home_events WHERE organization_id = $1 ORDER BY id")
        .bind(organization.get()).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, idempotency_key, unit, serial_number, event_type, event_code, outcome, case)| {
                StoredEvent {
                    id,
                    idempotency_key,
                    unit_id: unit.map(Id::new),
                    serial_number,
                    event_type,
                    event_code,
                    outcome,
                    case_id: case.map(Id::new),
                }
            },
        )
        .collect())
}

/// How many rows each idempotency key of an organisation has.
pub async fn rows_per_key(
    db: &mut Db,
    organization: OrganizationId,
) -> StoreResult<Vec<(String, i64)>> {
    Ok(on_db!(db, c => sqlx::query_as(
        "SELECT idempotency_key, COUNT(*) FROM call_home_events WHERE organization_id = $1
         GROUP BY idempotency_key ORDER BY idempotency_key")
        .bind(organization.get()).fetch_all(c).await)?)
}
