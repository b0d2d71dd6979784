//! Spare parts (备件): the catalogue with the products that use each part, depots, and the
//! stock of a part at a depot. Every change of stock is one conditional update (the table's
//! checks keep on hand and reserved at or above zero and reserved within on hand) and a row of
//! `stock_movements`; an update that would overdraw the stock changes nothing and says so.

use casebook_domain::Timestamp;
use casebook_domain::case::NamedRef;
use casebook_domain::field::parts::{Depot, Part, StockLevel};
use casebook_domain::ids::{Id, ProductId, UserId};

use crate::db::Db;
use crate::error::StoreResult;
use crate::time::Ts;

/// Saves a new part with its products; its id.
pub async fn insert_part(
    db: &mut Db,
    part_number: &str,
    description: &str,
    serialized: bool,
    products: &[ProductId],
    now: Timestamp,
) -> StoreResult<i64> {
    let (id,): (i64,) = on_db!(db, c => sqlx::query_as(
        "INSERT INTO parts (part_number, description, serialized, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4) RETURNING id")
        .bind(part_number).bind(description).bind(serialized).bind(Ts::new(now)).fetch_one(c).await)?;
    for p in products {
        exec_db!(db, c => sqlx::query("INSERT INTO part_products (part_id, product_id) VALUES ($1, $2)")
            .bind(id).bind(p.get()).execute(c).await)?;
    }
    Ok(id)
}

/// Whether a part number is taken.
pub async fn part_number_taken(db: &mut Db, part_number: &str) -> StoreResult<bool> {
    let n: i64 = on_db!(db, c => sqlx::query_scalar("SELECT COUNT(*) FROM parts WHERE part_number = $1")
        .bind(part_number).fetch_one(c).await)?;
    Ok(n > 0)
}

#[derive(sqlx::FromRow)]
struct PartRow {
    id: i64,
    part_number: String,
    description: String,
    serialized: bool,
}

async fn with_products(db: &mut Db, rows: Vec<PartRow>) -> StoreResult<Vec<Part>> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let products: Vec<(i64, String)> = on_db!(db, c => sqlx::query_as(
            "SELECT p.id, p.name FROM part_products pp JOIN products p ON p.id = pp.product_id
             WHERE pp.part_id = $1 ORDER BY p.name, p.id")
            .bind(r.id).fetch_all(c).await)?;
        out.push(Part {
            id: r.id,
            part_number: r.part_number,
            description: r.description,
            products: products
                .into_iter()
                .map(|(id, name)| NamedRef {
                    id: Id::new(id),
                    name,
                })
                .collect(),
            serialized: r.serialized,
        });
    }
    Ok(out)
}

/// A part.
pub async fn part(db: &mut Db, id: i64) -> StoreResult<Option<Part>> {
    let rows: Vec<PartRow> = on_db!(db, c => sqlx::query_as(
        "SELECT id, part_number, description, serialized FROM parts WHERE id = $1")
        .bind(id).fetch_all(c).await)?;
    Ok(with_products(db, rows).await?.pop())
}

/// The catalogue, by part number (at most 500), optionally only the parts a product uses.
pub async fn parts(db: &mut Db, product: Option<ProductId>) -> StoreResult<Vec<Part>> {
    let rows: Vec<PartRow> = on_db!(db, c => sqlx::query_as(
        "SELECT id, part_number, description, serialized FROM parts
         WHERE $1 IS NULL OR id IN (SELECT part_id FROM part_products WHERE product_id = $1)
         ORDER BY part_number LIMIT 500")
        .bind(product.map(|p| p.get())).fetch_all(c).await)?;
    with_products(db, rows).await
}

/// Saves a new depot; its id.
pub async fn insert_depot(
    db: &mut Db,
    code: &str,
    name: &str,
    address: &str,
    now: Timestamp,
) -> StoreResult<i64> {
    let (id,): (i64,) = on_db!(db, c => sqlx::query_as(
        "INSERT INTO depots (code, name, address, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(code).bind(name).bind(address).bind(Ts::new(now)).fetch_one(c).await)?;
    Ok(id)
}

/// Whether a depot code is taken.
pub async fn depot_code_taken(db: &mut Db, code: &str) -> StoreResult<bool> {
    let n: i64 = on_db!(db, c => sqlx::query_scalar("SELECT COUNT(*) FROM depots WHERE code = $1")
        .bind(code).fetch_one(c).await)?;
    Ok(n > 0)
}

/// Every depot, by code.
pub async fn depots(db: &mut Db) -> StoreResult<Vec<Depot>> {
    let rows: Vec<(i64, String, String, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT id, code, name, address FROM depots ORDER BY code LIMIT 500")
        .fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, code, name, address)| Depot {
            id,
            code,
            name,
            address,
        })
        .collect())
}

/// A depot.
pub async fn depot(db: &mut Db, id: i64) -> StoreResult<Option<Depot>> {
    let row: Option<(i64, String, String, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT id, code, name, address FROM depots WHERE id = $1")
        .bind(id).fetch_optional(c).await)?;
    Ok(row.map(|(id, code, name, address)| Depot {
        id,
        code,
        name,
        address,
    }))
}

/// One change of stock, recorded.
#[derive(Debug, Clone, Copy)]
pub struct Movement<'a> {
    /// The depot.
    pub depot: i64,
    /// The part.
    pub part: i64,
    /// `received`, `written_off`, `reserved`, `released` or `used`.
    pub kind: &'static str,
    /// How many (positive).
    pub quantity: i64,
    /// Why.
    pub reason: &'a str,
    /// The visit it is for.
    pub visit: Option<i64>,
    /// Who.
    pub user: Option<UserId>,
}

/// Applies a movement: `received` adds to on hand, `written_off` takes from what is free,
/// `reserved` reserves from what is free, `released` gives a reservation back, `used` takes a
/// reserved item off the shelf. False (and nothing changed) when the stock does not allow it.
pub async fn move_stock(db: &mut Db, m: &Movement<'_>, now: Timestamp) -> StoreResult<bool> {
    let sql = match m.kind {
        "received" => {
            exec_db!(db, c => sqlx::query(
                "INSERT INTO stock (depot_id, part_id, on_hand, reserved, updated_at) VALUES ($1, $2, 0, 0, $3)
                 ON CONFLICT (depot_id, part_id) DO NOTHING")
                .bind(m.depot).bind(m.part).bind(Ts::new(now)).execute(c).await)?;
            "UPDATE stock SET on_hand = on_hand + $1, updated_at = $2 WHERE depot_id = $3 AND part_id = $4"
        }
        "written_off" => {
            "UPDATE stock SET on_hand = on_hand - $1, updated_at = $2
             WHERE depot_id = $3 AND part_id = $4 AND on_hand - reserved >= $1"
        }
        "reserved" => {
            "UPDATE stock SET reserved = reserved + $1, updated_at = $2
             WHERE depot_id = $3 AND part_id = $4 AND on_hand - reserved >= $1"
        }
        "released" => {
            "UPDATE stock SET reserved = reserved - $1, updated_at = $2
             WHERE depot_id = $3 AND part_id = $4 AND reserved >= $1"
        }
        _ => {
            "UPDATE stock SET reserved = reserved - $1, on_hand = on_hand - $1, updated_at = $2
             WHERE depot_id = $3 AND part_id = $4 AND reserved >= $1"
        }
    };
    let n = exec_db!(db, c => sqlx::query(sql)
        .bind(m.quantity).bind(Ts::new(now)).bind(m.depot).bind(m.part).execute(c).await)?;
    if n != 1 {
        return Ok(false);
    }
    exec_db!(db, c => sqlx::query(
        "INSERT INTO stock_movements (depot_id, part_id, kind, quantity, reason, visit_id, user_id, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(m.depot).bind(m.part).bind(m.kind).bind(m.quantity).bind(m.reason).bind(m.visit)
        .bind(m.user.map(|u| u.get())).bind(Ts::new(now)).execute(c).await)?;
    Ok(true)
}

#[derive(sqlx::FromRow)]
struct LevelRow {
    depot_id: i64,
    depot_name: String,
    part_id: i64,
    part_number: String,
    description: String,
    on_hand: i64,
    reserved: i64,
}

/// Stock levels, by depot and part number; optionally of one depot or one part.
pub async fn levels(
    db: &mut Db,
    depot: Option<i64>,
    part: Option<i64>,
) -> StoreResult<Vec<StockLevel>> {
    let rows: Vec<LevelRow> = on_db!(db, c => sqlx::query_as(
        "SELECT s.depot_id, d.name AS depot_name, s.part_id, p.part_number, p.description, s.on_hand, s.reserved
         FROM stock s JOIN depots d ON d.id = s.depot_id JOIN parts p ON p.id = s.part_id
         WHERE ($1 IS NULL OR s.depot_id = $1) AND ($2 IS NULL OR s.part_id = $2)
         ORDER BY d.code, p.part_number LIMIT 2000")
        .bind(depot).bind(part).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|r| StockLevel {
            depot: NamedRef {
                id: r.depot_id,
                name: r.depot_name,
            },
            part_id: r.part_id,
            part_number: r.part_number,
            description: r.description,
            on_hand: r.on_hand,
            reserved: r.reserved,
            available: r.on_hand - r.reserved,
        })
        .collect())
}
