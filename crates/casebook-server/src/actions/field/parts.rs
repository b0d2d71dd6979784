//! Spare parts (备件) for staff: the catalogue (a part number, what it is, the products that
//! use it), depots, and stock: received and written off by hand, reserved and used by visits
//! (`visits`). Customers see none of it. Every change is audited; stock never goes below zero
//! (a write-off of more than is free is refused with 409 `stock_short`). Items of serialised
//! parts received with their serial numbers are kept one by one (`items`).

use casebook_domain::field::parts::{
    Depot, DepotDraft, ItemState, Part, PartDraft, StockItem, StockLevel, StockMovement,
};
use casebook_domain::ids::ProductId;
use casebook_domain::policy::Permission;
use casebook_domain::{FieldError, Timestamp};
use casebook_store::parts::{self as store, Movement};
use casebook_store::{AuditEntry, Db, products, stock_items};
use serde_json::json;

use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, require};

/// The catalogue (staff), optionally the parts one product uses.
pub async fn list(
    app: &App,
    who: &Principal,
    product: Option<ProductId>,
) -> ActionResult<Vec<Part>> {
    require(who, Permission::WorkCases)?;
    let mut db = app.store.read().await?;
    Ok(store::parts(&mut db, product).await?)
}

/// Adds a part to the catalogue (staff).
pub async fn create(app: &App, who: &Principal, mut draft: PartDraft) -> ActionResult<Part> {
    require(who, Permission::ManageDirectory)?;
    let mut errors = draft.check();
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    for (i, p) in draft.product_ids.iter().enumerate() {
        if products::get(&mut db, *p).await?.is_none() {
            errors.push(casebook_domain::FieldError::new(
                format!("product_ids[{i}]"),
                "not_found",
                "no such product",
            ));
        }
    }
    if errors.is_empty() && store::part_number_taken(&mut db, &draft.part_number).await? {
        return Err(ActionError::Conflict {
            code: "duplicate_part_number",
            message: format!("part number {} exists already", draft.part_number),
        });
    }
    if !errors.is_empty() {
        return Err(ActionError::Validation(errors));
    }
    let id = store::insert_part(
        &mut db,
        &draft.part_number,
        &draft.description,
        draft.serialized,
        &draft.product_ids,
        now,
    )
    .await?;
    let part = store::part(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("part"))?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "part.create",
        "part",
        id,
        None,
        Some(&part),
    ));
    db.commit().await?;
    Ok(part)
}

/// Every depot (staff).
pub async fn depots(app: &App, who: &Principal) -> ActionResult<Vec<Depot>> {
    require(who, Permission::WorkCases)?;
    let mut db = app.store.read().await?;
    Ok(store::depots(&mut db).await?)
}

/// Adds a depot (staff).
pub async fn create_depot(
    app: &App,
    who: &Principal,
    mut draft: DepotDraft,
) -> ActionResult<Depot> {
    require(who, Permission::ManageDirectory)?;
    let errors = draft.check();
    if !errors.is_empty() {
        return Err(ActionError::Validation(errors));
    }
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    if store::depot_code_taken(&mut db, &draft.code).await? {
        return Err(ActionError::Conflict {
            code: "duplicate_depot",
            message: format!("depot {} exists already", draft.code),
        });
    }
    let id = store::insert_depot(&mut db, &draft.code, &draft.name, &draft.address, now).await?;
    let depot = store::depot(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("depot"))?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "depot.create",
        "depot",
        id,
        None,
        Some(&depot),
    ));
    db.commit().await?;
    Ok(depot)
}

/// Stock levels (staff), optionally of one depot or part.
pub async fn stock(
    app: &App,
    who: &Principal,
    depot: Option<i64>,
    part: Option<i64>,
) -> ActionResult<Vec<StockLevel>> {
    require(who, Permission::WorkCases)?;
    ids_from_one(depot, part)?;
    let mut db = app.store.read().await?;
    Ok(store::levels(&mut db, depot, part).await?)
}

/// Refuses a depot or part id below 1.
fn ids_from_one(depot: Option<i64>, part: Option<i64>) -> ActionResult<()> {
    for (field, id) in [("depot", depot), ("part", part)] {
        if id.is_some_and(|i| i < 1) {
            return Err(ActionError::field(field, "out_of_range", "an id from 1"));
        }
    }
    Ok(())
}

/// Receives stock at a depot or writes it off (staff); the depot's level of the part after.
pub async fn move_stock(
    app: &App,
    who: &Principal,
    depot: i64,
    mut movement: StockMovement,
) -> ActionResult<StockLevel> {
    require(who, Permission::ManageDirectory)?;
    let errors = movement.check();
    if !errors.is_empty() {
        return Err(ActionError::Validation(errors));
    }
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    store::depot(&mut db, depot)
        .await?
        .ok_or(ActionError::NotFound("depot"))?;
    let Some(part) = store::part(&mut db, movement.part_id).await? else {
        return Err(ActionError::field("part_id", "not_found", "no such part"));
    };
    if !movement.serials.is_empty() && !part.serialized {
        return Err(ActionError::field(
            "serials",
            "not_serialized",
            "this part's items carry no serial numbers",
        ));
    }
    let kind = if movement.quantity > 0 {
        "received"
    } else {
        "written_off"
    };
    let m = Movement {
        depot,
        part: movement.part_id,
        kind,
        quantity: movement.quantity.abs(),
        reason: &movement.reason,
        visit: None,
        user: who.user_id(),
    };
    if !store::move_stock(&mut db, &m, now).await? {
        return Err(ActionError::Conflict {
            code: "stock_short",
            message: "not that many are free at the depot (reserved ones stay)".into(),
        });
    }
    items_moved(&mut db, (depot, movement.part_id), &movement, now).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "stock.move",
        "depot",
        depot,
        None,
        Some(&json!({"part": movement.part_id, "kind": kind, "quantity": movement.quantity.abs(), "reason": movement.reason, "serials": movement.serials})),
    ));
    let level = store::levels(&mut db, Some(depot), Some(movement.part_id))
        .await?
        .pop()
        .ok_or(ActionError::NotFound("stock"))?;
    db.commit().await?;
    Ok(level)
}

/// The items a movement names by serial number: received into the depot (409
/// `duplicate_serial` for one in stock or in use already), or written off (each must be in
/// stock there).
async fn items_moved(
    db: &mut Db,
    (depot, part): (i64, i64),
    movement: &StockMovement,
    now: Timestamp,
) -> ActionResult<()> {
    if movement.quantity > 0 {
        if let Some(serial) = stock_items::receive(db, depot, part, &movement.serials, now).await? {
            return Err(ActionError::Conflict {
                code: "duplicate_serial",
                message: format!(
                    "an item with serial number {serial} is in stock or in use already"
                ),
            });
        }
        return Ok(());
    }
    let mut errors = Vec::new();
    for (i, serial) in movement.serials.iter().enumerate() {
        if !stock_items::take(db, (depot, part, serial), ItemState::WrittenOff, None, now).await? {
            errors.push(FieldError::new(
                format!("serials[{i}]"),
                "not_in_stock",
                "an item of this part in stock at this depot",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ActionError::Validation(errors))
    }
}

/// The items of serialised parts by depot, part and state (staff).
pub async fn items(
    app: &App,
    who: &Principal,
    depot: Option<i64>,
    part: Option<i64>,
    state: Option<ItemState>,
) -> ActionResult<Vec<StockItem>> {
    require(who, Permission::WorkCases)?;
    ids_from_one(depot, part)?;
    let mut db = app.store.read().await?;
    Ok(stock_items::list(&mut db, depot, part, state).await?)
}
