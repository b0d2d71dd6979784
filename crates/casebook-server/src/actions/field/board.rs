//! The dispatch board (派工看板) for staff: the visits of one day or week (days in the desk's time
//! zone) by engineer, unassigned visits first and each engineer's overlapping visits flagged;
//! and the assignment of engineers to a planned visit (maybe moving it), audited and on the
//! case's timeline.

use casebook_domain::field::board::{Board, lay_out};
use casebook_domain::field::visit::{Assignment, Visit, VisitState};
use casebook_domain::policy::Permission;
use jiff::civil::Date;
use serde_json::json;

use super::visits::{check_staff, conflict, from_state, recorded, staff_step};
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, require};

/// The most days one board shows.
pub const MAX_DAYS: i64 = 14;

/// The board of `days` days from `from` (staff).
pub async fn board(app: &App, who: &Principal, from: Date, days: i64) -> ActionResult<Board> {
    require(who, Permission::WorkCases)?;
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(ActionError::field(
            "days",
            "out_of_range",
            format!("1 to {MAX_DAYS} days"),
        ));
    }
    let tz = app.config.time_zone();
    let start = from
        .to_zoned(tz.clone())
        .map_err(|e| ActionError::field("from", "invalid", e.to_string()))?;
    let end = start
        .checked_add(jiff::Span::new().days(days))
        .map_err(|e| ActionError::field("from", "invalid", e.to_string()))?;
    let (start, end) = (start.timestamp(), end.timestamp());
    let mut db = app.store.read().await?;
    let visits = casebook_store::visits::between(&mut db, start, end).await?;
    Ok(lay_out(start, end, &visits))
}

/// Assigns the engineers of a planned visit (staff), and maybe its arrival and length.
pub async fn assign(
    app: &App,
    who: &Principal,
    id: i64,
    mut request: Assignment,
) -> ActionResult<Visit> {
    let now = app.clock.now();
    let (mut db, case, visit) = staff_step(app, who, id, request.version).await?;
    from_state(&visit, VisitState::Planned, "reassigned")?;
    let mut errors = request.check(now);
    check_staff(&mut db, &request.engineer_ids, &mut errors).await?;
    if !errors.is_empty() {
        return Err(ActionError::Validation(errors));
    }
    let planned = (request.planned_arrival, request.planned_minutes);
    if !casebook_store::visits::assign(
        &mut db,
        id,
        visit.version,
        &request.engineer_ids,
        planned,
        now,
    )
    .await?
    {
        return Err(conflict(
            "visit_state",
            "the visit changed meanwhile; reload it and try again",
        ));
    }
    let said = json!({"engineer_ids": request.engineer_ids.iter().map(|u| u.get()).collect::<Vec<_>>(),
        "planned_arrival": request.planned_arrival, "planned_minutes": request.planned_minutes});
    recorded(
        db,
        who,
        &case,
        id,
        ("visit.assign", "assign"),
        Some(said),
        now,
    )
    .await
}
