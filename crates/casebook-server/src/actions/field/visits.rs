//! On-site visits (现场服务) on a case. Staff dispatch one (engineers, the site, the planned
//! arrival, spare parts reserved from depots: a part that is not free at the depot refuses the
//! whole dispatch with 409 `stock_short`, so of two visits reserving the last item one gets it);
//! dispatch starts the plan's on-site arrival clock (`onsite_arrival`, on the plan's calendar,
//! paused and escalated like the others) and check-in meets it. Completing a visit records the
//! work done and each part used (its serial number in and the one out, into the unit's
//! history), gives unused reservations back to stock, and records each engineer's travel and
//! on-site time as work entries. Cancelling gives every reservation back. Customers see the
//! visits of their cases; each step is a public timeline entry and an audit entry.

use casebook_domain::case::Case;
use casebook_domain::field::visit::{CheckIn, Visit, VisitDraft, VisitState};
use casebook_domain::ids::SiteId;
use casebook_domain::policy::Permission;
use casebook_domain::timeline::EventKind;
use casebook_domain::{CaseNumber, FieldError, Named, Timestamp};
use casebook_store::parts::{self as stock, Movement};
use casebook_store::visits::{self as store, NewVisit, VisitStep};
use casebook_store::{AuditEntry, Db, sites, units, users};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

pub use super::visit_completion::complete;

use crate::actions::cases::sla::{self, SlaCase, SlaChange};
use crate::actions::cases::visible_case;
use crate::actions::{ActionError, ActionResult, check_version};
use crate::app::App;
use crate::policy::{Principal, require};

pub(super) fn conflict(code: &'static str, message: impl Into<String>) -> ActionError {
    ActionError::Conflict {
        code,
        message: message.into(),
    }
}

/// A case's visits, for anyone who may see the case.
pub async fn of_case(app: &App, who: &Principal, number: CaseNumber) -> ActionResult<Vec<Visit>> {
    let mut db = app.store.read().await?;
    let case = visible_case(&mut db, who, number).await?;
    Ok(store::of_case(&mut db, case.id).await?)
}

/// A visit, for anyone who may see its case.
pub async fn get(app: &App, who: &Principal, id: i64) -> ActionResult<Visit> {
    let mut db = app.store.read().await?;
    Ok(visible_visit(&mut db, who, id).await?.1)
}

async fn visible_visit(db: &mut Db, who: &Principal, id: i64) -> ActionResult<(Case, Visit)> {
    let (_, visit) = store::get(db, id)
        .await?
        .ok_or(ActionError::NotFound("visit"))?;
    let case = super::case_named(db, who, &visit.case_number, "visit").await?;
    Ok((case, visit))
}

pub(super) async fn entry(
    db: &mut Db,
    who: &Principal,
    case: &Case,
    visit: i64,
    step: &str,
    now: Timestamp,
) -> ActionResult<()> {
    let change = json!({"visit": {"visit": visit, "step": step}});
    super::timeline_entry(db, who, case, EventKind::Visit, change, now).await
}

/// The site of a visit: the one asked for (of the case's organisation), else the site of the
/// case's unit.
async fn site_of(
    db: &mut Db,
    case: &Case,
    asked: Option<SiteId>,
    errors: &mut Vec<FieldError>,
) -> ActionResult<Option<SiteId>> {
    if let Some(site) = asked {
        match sites::get(db, site).await? {
            Some(s) if s.organization_id == case.organization.id => return Ok(Some(site)),
            _ => {
                errors.push(FieldError::new(
                    "site_id",
                    "not_found",
                    "a site of the case's organisation",
                ));
                return Ok(None);
            }
        }
    }
    match &case.unit {
        Some(u) => Ok(units::get(db, u.id)
            .await?
            .and_then(|u| u.site.map(|s| s.id))),
        None => Ok(None),
    }
}

/// Dispatches a visit from a case (staff): reserves its parts and starts the on-site clock.
pub async fn dispatch(
    app: &App,
    who: &Principal,
    number: CaseNumber,
    mut draft: VisitDraft,
) -> ActionResult<Visit> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let case = visible_case(&mut db, who, number).await?;
    require(who, Permission::WorkCases)?;
    if case.status.is_terminal() {
        return Err(conflict(
            "visit_case_closed",
            "the case is closed; reopen it first",
        ));
    }
    let mut errors = draft.check(now);
    check_staff(&mut db, &draft.engineer_ids, &mut errors).await?;
    for (i, p) in draft.parts.iter().enumerate() {
        if stock::part(&mut db, p.part_id).await?.is_none() {
            errors.push(FieldError::new(
                format!("parts[{i}].part_id"),
                "not_found",
                "no such part",
            ));
        }
        if stock::depot(&mut db, p.depot_id).await?.is_none() {
            errors.push(FieldError::new(
                format!("parts[{i}].depot_id"),
                "not_found",
                "no such depot",
            ));
        }
    }
    let site = site_of(&mut db, &case, draft.site_id, &mut errors).await?;
    if !errors.is_empty() {
        return Err(ActionError::Validation(errors));
    }
    let id = store::insert(
        &mut db,
        &NewVisit {
            case: case.id,
            organization: case.organization.id,
            site,
            engineers: &draft.engineer_ids,
            planned_arrival: draft.planned_arrival,
            planned_minutes: draft.planned_minutes,
            notes: &draft.notes,
            dispatched_by: who.user_id(),
        },
        now,
    )
    .await?;
    let reason = format!("visit #{id} for case {}", case.number);
    for p in &draft.parts {
        let m = Movement {
            depot: p.depot_id,
            part: p.part_id,
            kind: "reserved",
            quantity: p.quantity,
            reason: &reason,
            visit: Some(id),
            user: who.user_id(),
        };
        if !stock::move_stock(&mut db, &m, now).await? {
            let part = stock::part(&mut db, p.part_id)
                .await?
                .map(|p| p.part_number)
                .unwrap_or_default();
            return Err(conflict(
                "stock_short",
                format!(
                    "not enough of part {part} is free at that depot; the visit was not dispatched"
                ),
            ));
        }
        store::add_reservation(&mut db, id, p.part_id, p.depot_id, p.quantity).await?;
    }
    sla::apply(
        app,
        &mut db,
        &SlaCase::from(&case),
        SlaChange::VisitDispatched,
        now,
    )
    .await?;
    recorded(
        db,
        who,
        &case,
        id,
        ("visit.dispatch", "dispatch"),
        None,
        now,
    )
    .await
}

/// Checks that each engineer is an active member of staff.
pub(super) async fn check_staff(
    db: &mut Db,
    engineers: &[casebook_domain::ids::UserId],
    errors: &mut Vec<FieldError>,
) -> ActionResult<()> {
    for (i, e) in engineers.iter().enumerate() {
        match users::get(db, *e).await? {
            Some(u) if u.active && u.role.is_staff() => {}
            _ => errors.push(FieldError::new(
                format!("engineer_ids[{i}]"),
                "not_staff",
                "an active member of staff",
            )),
        }
    }
    Ok(())
}

/// Opens a step on a visit (staff): the transaction, the visit and its case, the version.
pub(super) async fn staff_step(
    app: &App,
    who: &Principal,
    id: i64,
    version: Option<i64>,
) -> ActionResult<(Db, Case, Visit)> {
    let mut db = app.store.write().await?;
    let (case, visit) = visible_visit(&mut db, who, id).await?;
    require(who, Permission::WorkCases)?;
    check_version(version, visit.version)?;
    Ok((db, case, visit))
}

pub(super) async fn take(db: &mut Db, s: &VisitStep<'_>, now: Timestamp) -> ActionResult<()> {
    if store::step(db, s, now).await? {
        Ok(())
    } else {
        Err(conflict(
            "visit_state",
            "the visit changed meanwhile; reload it and try again",
        ))
    }
}

pub(super) fn from_state(visit: &Visit, wanted: VisitState, doing: &str) -> ActionResult<()> {
    if visit.state == wanted {
        Ok(())
    } else {
        Err(conflict(
            "visit_state",
            format!("a visit that is {} cannot be {doing}", visit.state.as_str()),
        ))
    }
}

/// The engineer arrives (staff): meets the on-site arrival clock.
pub async fn check_in(
    app: &App,
    who: &Principal,
    id: i64,
    request: CheckIn,
) -> ActionResult<Visit> {
    let now = app.clock.now();
    let (mut db, case, visit) = staff_step(app, who, id, request.version).await?;
    from_state(&visit, VisitState::Planned, "checked in")?;
    if visit.engineers.is_empty() {
        return Err(conflict(
            "visit_unassigned",
            "no engineer is assigned to this visit; assign one on the dispatch board first",
        ));
    }
    let at = request.at.unwrap_or(now);
    if at > now + jiff::SignedDuration::from_mins(5) || at < visit.dispatched_at {
        return Err(ActionError::field(
            "at",
            "out_of_range",
            "between the dispatch and now",
        ));
    }
    take(
        &mut db,
        &VisitStep {
            id,
            from: VisitState::Planned,
            to: VisitState::OnSite,
            checked_in_at: Some(at),
            work_done: None,
            travel_minutes: None,
            onsite_minutes: None,
            cancel_reason: None,
        },
        now,
    )
    .await?;
    sla::apply(
        app,
        &mut db,
        &SlaCase::from(&case),
        SlaChange::VisitArrived { at },
        now,
    )
    .await?;
    let said = Some(json!({"at": at}));
    recorded(
        db,
        who,
        &case,
        id,
        ("visit.check_in", "check_in"),
        said,
        now,
    )
    .await
}

/// Why a visit is called off.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Cancel {
    /// Why.
    pub reason: String,
    /// The version the dispatcher saw.
    #[serde(default)]
    pub version: Option<i64>,
}

/// Calls off a planned visit (staff): its parts go back to stock, its clock is cancelled.
pub async fn cancel(app: &App, who: &Principal, id: i64, request: Cancel) -> ActionResult<Visit> {
    let now = app.clock.now();
    let (mut db, case, visit) = staff_step(app, who, id, request.version).await?;
    from_state(&visit, VisitState::Planned, "cancelled")?;
    let reason = request.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ActionError::field(
            "reason",
            "required",
            "say why, in at most 500 characters",
        ));
    }
    take(
        &mut db,
        &VisitStep {
            id,
            from: VisitState::Planned,
            to: VisitState::Cancelled,
            checked_in_at: None,
            work_done: None,
            travel_minutes: None,
            onsite_minutes: None,
            cancel_reason: Some(reason),
        },
        now,
    )
    .await?;
    release_unused(&mut db, who, id, "cancelled", now).await?;
    sla::apply(
        app,
        &mut db,
        &SlaCase::from(&case),
        SlaChange::VisitCancelled,
        now,
    )
    .await?;
    let said = Some(json!({"reason": reason}));
    recorded(db, who, &case, id, ("visit.cancel", "cancel"), said, now).await
}

/// Ends a step: the visit read again, the audit entry (`said`, else the visit), the public
/// timeline entry, the commit.
pub(super) async fn recorded(
    mut db: Db,
    who: &Principal,
    case: &Case,
    id: i64,
    (action, step): (&'static str, &str),
    said: Option<serde_json::Value>,
    now: Timestamp,
) -> ActionResult<Visit> {
    let (_, done) = store::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("visit"))?;
    let after = said.unwrap_or_else(|| serde_json::to_value(&done).unwrap_or_default());
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        action,
        "visit",
        id,
        None,
        Some(&after),
    ));
    entry(&mut db, who, case, id, step, now).await?;
    db.commit().await?;
    Ok(done)
}

/// Gives back what a visit reserved and did not use.
pub(super) async fn release_unused(
    db: &mut Db,
    who: &Principal,
    id: i64,
    why: &str,
    now: Timestamp,
) -> ActionResult<()> {
    let reason = format!("visit #{id} {why}");
    for (part, depot, quantity, used) in store::reservations(db, id).await? {
        if quantity > used {
            let m = Movement {
                depot,
                part,
                kind: "released",
                quantity: quantity - used,
                reason: &reason,
                visit: Some(id),
                user: who.user_id(),
            };
            if !stock::move_stock(db, &m, now).await? {
                return Err(ActionError::Internal(format!(
                    "the reservation of visit {id} is missing from stock"
                )));
            }
        }
    }
    Ok(())
}
