//! The end of an on-site visit's work: the parts used taken from their reservations (the
//! serial numbers in and out, into the unit's history, the items by serial number out of the
//! depot's stock and back as defective), unused parts released, and each
//! engineer's travel and on-site time recorded as work entries, once per visit.

use casebook_domain::case::Case;
use casebook_domain::field::parts::ItemState;
use casebook_domain::field::parts::code;
use casebook_domain::field::visit::{Completion, PartUsed, Visit, VisitState};
use casebook_domain::work::{Activity, WorkDraft, WorkSource};
use casebook_domain::{FieldError, Timestamp};
use casebook_store::parts::{self as stock, Movement};
use casebook_store::visits::{self as store, NewUse, VisitStep};
use casebook_store::{Db, stock_items, units, users};
use serde_json::json;

use super::visits::{conflict, from_state, recorded, release_unused, staff_step, take};
use crate::actions::cases::work::{Recorded, record_in};
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::Principal;

/// The work is done (staff): the parts used, the units' history, the time of each engineer.
pub async fn complete(
    app: &App,
    who: &Principal,
    id: i64,
    mut request: Completion,
) -> ActionResult<Visit> {
    let now = app.clock.now();
    let (mut db, case, visit) = staff_step(app, who, id, request.version).await?;
    from_state(&visit, VisitState::OnSite, "completed")?;
    let mut errors = request.check(code);
    let reservations = store::reservations(&mut db, id).await?;
    for (i, p) in request.parts.iter().enumerate() {
        if !reservations.iter().any(|r| r.0 == p.part_id) {
            errors.push(FieldError::new(
                format!("parts[{i}].part_id"),
                "not_reserved",
                "a part reserved for this visit",
            ));
            continue;
        }
        if let Some(unit) = p.unit_id {
            match units::get(&mut db, unit).await? {
                Some(u) if u.organization_id == case.organization.id => {}
                _ => errors.push(FieldError::new(
                    format!("parts[{i}].unit_id"),
                    "not_found",
                    "a unit of the case's organisation",
                )),
            }
        }
        let serialized = stock::part(&mut db, p.part_id)
            .await?
            .is_some_and(|x| x.serialized);
        if serialized && p.new_serial.is_none() {
            errors.push(FieldError::new(
                format!("parts[{i}].new_serial"),
                "required",
                "the serial number of the part that went in",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ActionError::Validation(errors));
    }
    let checked_in = visit.checked_in_at.unwrap_or(now);
    let onsite = casebook_domain::field::remote::minutes_between(checked_in, now);
    take(
        &mut db,
        &VisitStep {
            id,
            from: VisitState::OnSite,
            to: VisitState::Completed,
            checked_in_at: None,
            work_done: Some(&request.work_done),
            travel_minutes: Some(request.travel_minutes),
            onsite_minutes: Some(onsite),
            cancel_reason: None,
        },
        now,
    )
    .await?;
    let reason = format!("visit #{id} for case {}", case.number);
    for (i, p) in request.parts.iter().enumerate() {
        let mut used = false;
        for (part, depot, _, _) in reservations.iter().filter(|r| r.0 == p.part_id) {
            if store::use_reserved(&mut db, id, *part, *depot).await? {
                let m = Movement {
                    depot: *depot,
                    part: *part,
                    kind: "used",
                    quantity: 1,
                    reason: &reason,
                    visit: Some(id),
                    user: who.user_id(),
                };
                if !stock::move_stock(&mut db, &m, now).await? {
                    return Err(ActionError::Internal(
                        "a reserved part is missing from stock".into(),
                    ));
                }
                let serialized = stock::part(&mut db, *part)
                    .await?
                    .is_some_and(|x| x.serialized);
                items_used(&mut db, (*depot, *part, serialized), i, p, id, now).await?;
                store::add_use(
                    &mut db,
                    &NewUse {
                        visit: id,
                        part: *part,
                        depot: *depot,
                        unit: p.unit_id,
                        new_serial: p.new_serial.as_deref(),
                        old_serial: p.old_serial.as_deref(),
                    },
                    now,
                )
                .await?;
                used = true;
                break;
            }
        }
        if !used {
            return Err(conflict(
                "visit_parts",
                "more parts were used than were reserved; reserve them on a new visit",
            ));
        }
        if let Some(unit) = p.unit_id {
            let number = stock::part(&mut db, p.part_id)
                .await?
                .map(|x| x.part_number)
                .unwrap_or_default();
            let side = |serial: &Option<String>| serial.as_ref().map(|s| format!("{number} {s}"));
            let changes = json!({"replaced_part": [side(&p.old_serial), side(&p.new_serial)], "case": [null, case.number.to_string()]});
            units::add_history(&mut db, unit, who.user_id(), &changes, now).await?;
        }
    }
    release_unused(&mut db, who, id, "completed", now).await?;
    record_time(
        app,
        &mut db,
        &case,
        &visit,
        request.travel_minutes,
        onsite,
        checked_in,
        now,
    )
    .await?;
    recorded(
        db,
        who,
        &case,
        id,
        ("visit.complete", "complete"),
        None,
        now,
    )
    .await
}

/// The items of a part used: the one that went in leaves the depot's stock when the depot keeps
/// that part's serial numbers (it must be one of them), the one that came out is returned to
/// the depot as defective.
async fn items_used(
    db: &mut Db,
    (depot, part, serialized): (i64, i64, bool),
    line: usize,
    used: &PartUsed,
    visit: i64,
    now: Timestamp,
) -> ActionResult<()> {
    if let Some(serial) = used.new_serial.as_deref()
        && serialized
        && stock_items::tracked(db, depot, part).await?
        && !stock_items::take(db, (depot, part, serial), ItemState::Used, Some(visit), now).await?
    {
        return Err(ActionError::field(
            &format!("parts[{line}].new_serial"),
            "not_in_stock",
            "an item of this part in stock at the depot it was reserved from",
        ));
    }
    if let Some(serial) = used.old_serial.as_deref()
        && serialized
        && !stock_items::returned(db, (depot, part, serial), visit, now).await?
    {
        return Err(ActionError::field(
            &format!("parts[{line}].old_serial"),
            "in_stock",
            "an item with this serial number is in stock; it cannot have come out of a unit",
        ));
    }
    Ok(())
}

/// Each engineer's travel and on-site time as work entries, once per visit.
#[allow(clippy::too_many_arguments)]
async fn record_time(
    app: &App,
    db: &mut Db,
    case: &Case,
    visit: &Visit,
    travel: i64,
    onsite: i64,
    checked_in: Timestamp,
    now: Timestamp,
) -> ActionResult<()> {
    let system = Principal::system("visits");
    for engineer in &visit.engineers {
        match users::get(db, engineer.id).await? {
            Some(u) if u.active && u.role.is_staff() => {}
            _ => continue,
        }
        for (activity, minutes, at, what) in [
            (Activity::Travel, travel, checked_in, "travel"),
            (Activity::OnSite, onsite, checked_in, "onsite"),
        ] {
            if minutes <= 0 {
                continue;
            }
            let draft = WorkDraft {
                minutes,
                activity,
                billable: true,
                worked_at: Some(at.min(now)),
                note: casebook_domain::text::Notes::parse(&format!("visit #{}", visit.id)).ok(),
                user_id: Some(engineer.id),
            };
            let key = format!("visit:{}:{}:{what}", visit.id, engineer.id.get());
            let recorded = Recorded {
                source: WorkSource::Visit,
                key: Some(&key),
            };
            record_in(app, db, &system, case, &draft, recorded, "", now).await?;
        }
    }
    Ok(())
}
