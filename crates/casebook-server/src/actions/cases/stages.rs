//! Per-tier clocks (OLA): the stretches a case spends at each tier and with each owner follow
//! every change of the case in its transaction ([`follow`]: opened, tier or owner changed,
//! closed or cancelled, reopened), a stay at a tier gets the deadlines of its internal target
//! (set again when the severity changes), and staff read the business time of each on the
//! case's calendar ([`of_case`]).

use casebook_domain::CaseNumber;
use casebook_domain::case::Case;
use casebook_domain::ids::CaseId;
use casebook_domain::ola::{self, Deadlines, OlaTargets};
use casebook_domain::policy::Permission;
use casebook_domain::sla::calendar::BusinessCalendar;
use casebook_domain::sla::china::CHINA_5X8;
use casebook_domain::stages::{self, CaseStages};
use casebook_domain::{Named, Severity, Tier, Timestamp};
use casebook_store::case_stages::{self, Kind};
use casebook_store::{Db, ola_targets, sla as sla_store};

use crate::actions::ActionResult;
use crate::actions::cases::visible_case;
use crate::app::App;
use crate::policy::{Principal, require};

/// Moves the case's stretches along with a change from `before` (`None`: just opened) to
/// `after`, at `now`, in the change's transaction.
pub(crate) async fn follow(
    app: &App,
    db: &mut Db,
    before: Option<&Case>,
    after: &Case,
    now: Timestamp,
) -> ActionResult<()> {
    let was_open = before.is_some_and(|b| !b.status.is_terminal());
    let is_open = !after.status.is_terminal();
    let owner = |c: &Case| c.owner.as_ref().map(|o| o.id);
    match (was_open, is_open) {
        (true, false) => {
            case_stages::end(db, after.id, Kind::Tier, now).await?;
            case_stages::end(db, after.id, Kind::Owner, now).await?;
        }
        (false, true) => {
            let tier = after.tier.unwrap_or(Tier::Intake);
            let deadlines = deadlines_for(app, db, after.id, tier, after.severity, now).await?;
            case_stages::begin_tier(db, after.id, tier, now, deadlines).await?;
            case_stages::begin_owner(db, after.id, owner(after), now).await?;
        }
        (true, true) => {
            let before = before.expect("an open case was read before");
            if before.tier != after.tier {
                let tier = after.tier.unwrap_or(Tier::Intake);
                let deadlines = deadlines_for(app, db, after.id, tier, after.severity, now).await?;
                case_stages::end(db, after.id, Kind::Tier, now).await?;
                case_stages::begin_tier(db, after.id, tier, now, deadlines).await?;
            } else if before.severity != after.severity {
                retarget(app, db, after.id, after.severity, None).await?;
            }
            if owner(before) != owner(after) {
                case_stages::end(db, after.id, Kind::Owner, now).await?;
                case_stages::begin_owner(db, after.id, owner(after), now).await?;
            }
        }
        (false, false) => {}
    }
    Ok(())
}

/// The calendar a case's stages are measured on: that of its SLA clocks, China 5×8 for a case
/// without clocks.
async fn calendar_of(
    app: &App,
    db: &mut Db,
    case: CaseId,
) -> ActionResult<std::sync::Arc<BusinessCalendar>> {
    let calendar_id = match sla_store::clocks_of_case(db, case).await?.first() {
        Some(clock) => clock.calendar.clone(),
        None => CHINA_5X8.parse().expect("a valid id"),
    };
    app.calendars.get(db, &calendar_id).await
}

/// The deadlines of a stay at `tier` beginning at `started_at` for a case of `severity`, if the
/// tier has a target for it.
async fn deadlines_for(
    app: &App,
    db: &mut Db,
    case: CaseId,
    tier: Tier,
    severity: Severity,
    started_at: Timestamp,
) -> ActionResult<Option<Deadlines>> {
    let targets = ola_targets::list(db).await?;
    deadlines_in(app, db, &targets, case, tier, severity, started_at).await
}

async fn deadlines_in(
    app: &App,
    db: &mut Db,
    targets: &OlaTargets,
    case: CaseId,
    tier: Tier,
    severity: Severity,
    started_at: Timestamp,
) -> ActionResult<Option<Deadlines>> {
    let Some(target) = targets.find(tier, severity) else {
        return Ok(None);
    };
    let calendar = calendar_of(app, db, case).await?;
    Ok(ola::deadlines(target, started_at, &calendar))
}

/// Sets the deadlines of the case's lasting stay at a tier again, from `targets` (read from the
/// store when `None`): after a change of severity or of the targets.
pub(crate) async fn retarget(
    app: &App,
    db: &mut Db,
    case: CaseId,
    severity: Severity,
    targets: Option<&OlaTargets>,
) -> ActionResult<()> {
    let Some(stay) = case_stages::current_stay(db, case).await? else {
        return Ok(());
    };
    let tier = Tier::parse(&stay.tier).unwrap_or(Tier::Intake);
    let read;
    let targets = match targets {
        Some(t) => t,
        None => {
            read = ola_targets::list(db).await?;
            &read
        }
    };
    let deadlines = deadlines_in(app, db, targets, case, tier, severity, stay.started_at.0).await?;
    case_stages::set_deadlines(db, stay.id, deadlines).await?;
    Ok(())
}

/// A case's business time per tier and per owner (staff), with its stays' internal targets, on
/// the calendar of its SLA clocks (China 5×8 for a case without clocks).
pub async fn of_case(app: &App, who: &Principal, number: CaseNumber) -> ActionResult<CaseStages> {
    let mut db = app.store.read().await?;
    let case = visible_case(&mut db, who, number).await?;
    require(who, Permission::WorkCases)?;
    let stretches = case_stages::of_case(&mut db, case.id).await?;
    let calendar = calendar_of(app, &mut db, case.id).await?;
    Ok(stages::totals(&stretches, &calendar, app.clock.now()))
}
