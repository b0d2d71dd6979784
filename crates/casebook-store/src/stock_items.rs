//! Items of serialised parts by serial number: received into a depot, used on a visit, written
//! off, returned defective. Each step is one conditional update on the item's state, so an item
//! is used or written off once; a serial number is unique per part.

use casebook_domain::Named;
use casebook_domain::Timestamp;
use casebook_domain::case::NamedRef;
use casebook_domain::field::parts::{ItemState, StockItem};

use crate::db::Db;
use crate::error::StoreResult;
use crate::rows::parse_column;
use crate::time::Ts;

/// Receives items into a depot; an item that left (written off, returned defective) may come
/// back. The first serial number that is in stock or in use already, if any: then nothing of
/// this call should be kept (the caller rolls back).
pub async fn receive(
    db: &mut Db,
    depot: i64,
    part: i64,
    serials: &[String],
    now: Timestamp,
) -> StoreResult<Option<String>> {
    for serial in serials {
        let n = exec_db!(db, c => sqlx::query(
            "INSERT INTO stock_items (depot_id, part_id, serial, state, updated_at)
             VALUES ($1, $2, $3, 'in_stock', $4)
             ON CONFLICT (part_id, serial) DO UPDATE SET state = 'in_stock', depot_id = excluded.depot_id,
                 visit_id = NULL, updated_at = excluded.updated_at
             WHERE stock_items.state IN ('written_off', 'defective')")
            .bind(depot).bind(part).bind(serial).bind(Ts::new(now)).execute(c).await)?;
        if n != 1 {
            return Ok(Some(serial.clone()));
        }
    }
    Ok(None)
}

/// Takes an item in stock at a depot out (`used` on a visit, or `written_off`); false when it
/// is not in stock there.
pub async fn take(
    db: &mut Db,
    (depot, part, serial): (i64, i64, &str),
    to: ItemState,
    visit: Option<i64>,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec_db!(db, c => sqlx::query(
        "UPDATE stock_items SET state = $1, visit_id = $2, updated_at = $3
         WHERE depot_id = $4 AND part_id = $5 AND serial = $6 AND state = 'in_stock'")
        .bind(to.as_str()).bind(visit).bind(Ts::new(now)).bind(depot).bind(part).bind(serial)
        .execute(c).await)?;
    Ok(n == 1)
}

/// Whether a depot keeps the serial numbers of a part (any of its items is in stock there).
pub async fn tracked(db: &mut Db, depot: i64, part: i64) -> StoreResult<bool> {
    let row: Option<(i64,)> = on_db!(db, c => sqlx::query_as(
        "SELECT id FROM stock_items WHERE depot_id = $1 AND part_id = $2 AND state = 'in_stock' LIMIT 1")
        .bind(depot).bind(part).fetch_optional(c).await)?;
    Ok(row.is_some())
}

/// Records an item taken out of a unit on a visit as returned defective to the depot; false
/// when an item with that serial number is on a shelf (in stock), which cannot have come out of
/// a unit.
pub async fn returned(
    db: &mut Db,
    (depot, part, serial): (i64, i64, &str),
    visit: i64,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec_db!(db, c => sqlx::query(
        "INSERT INTO stock_items (depot_id, part_id, serial, state, visit_id, updated_at)
         VALUES ($1, $2, $3, 'defective', $4, $5)
         ON CONFLICT (part_id, serial) DO UPDATE SET state = 'defective', depot_id = excluded.depot_id,
             visit_id = excluded.visit_id, updated_at = excluded.updated_at
         WHERE stock_items.state <> 'in_stock'")
        .bind(depot).bind(part).bind(serial).bind(visit).bind(Ts::new(now)).execute(c).await)?;
    Ok(n == 1)
}

/// An item as read: depot, its name, part, part number, serial, state, visit.
type ItemRow = (i64, String, i64, String, String, String, Option<i64>);

/// Items by depot, part and state (each optional), by part number and serial (at most 5000).
pub async fn list(
    db: &mut Db,
    depot: Option<i64>,
    part: Option<i64>,
    state: Option<ItemState>,
) -> StoreResult<Vec<StockItem>> {
    let rows: Vec<ItemRow> = on_db!(db, c => sqlx::query_as(
        "SELECT i.depot_id, d.name, i.part_id, p.part_number, i.serial, i.state, i.visit_id
         FROM stock_items i JOIN depots d ON d.id = i.depot_id JOIN parts p ON p.id = i.part_id
         WHERE ($1 IS NULL OR i.depot_id = $1) AND ($2 IS NULL OR i.part_id = $2) AND ($3 IS NULL OR i.state = $3)
         ORDER BY p.part_number, i.serial LIMIT 5000").persistent(false)
        .bind(depot).bind(part).bind(state.map(Named::as_str)).fetch_all(c).await)?;
    rows.into_iter()
        .map(
            |(depot, name, part_id, part_number, serial, state, visit_id)| {
                Ok(StockItem {
                    depot: NamedRef { id: depot, name },
                    part_id,
                    part_number,
                    serial,
                    state: parse_column("stock_items.state", &state, ItemState::parse)?,
                    visit_id,
                })
            },
        )
        .collect()
}
