//! Per-tier clocks (OLA): the stretches a case spends at each tier and with each owner follow
//! every change of the case in its transaction ([`follow`]: opened, tier or owner changed,
//! closed or cancelled, reopened), and staff read the business time of each on the case's
//! calendar ([`of_case`]).

use casebook_domain::CaseNumber;
use casebook_domain::Timestamp;
use casebook_domain::case::Case;
use casebook_domain::policy::Permission;
use casebook_domain::sla::china::CHINA_5X8;
use casebook_domain::stages::{self, CaseStages};
use casebook_store::case_stages::{self, Kind};
use casebook_store::{Db, sla as sla_store};

use crate::actions::ActionResult;
use crate::actions::cases::visible_case;
use crate::app::App;
use crate::policy::{Principal, require};

/// Moves the case's stretches along with a change from `before` (`None`: just opened) to
/// `after`, at `now`, in the change's transaction.
pub(crate) async fn follow(
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
            let tier = after.tier.unwrap_or(casebook_domain::Tier::Intake);
            case_stages::begin_tier(db, after.id, tier, now).await?;
            case_stages::begin_owner(db, after.id, owner(after), now).await?;
        }
        (true, true) => {
            let before = before.expect("an open case was read before");
            if before.tier != after.tier {
                let tier = after.tier.unwrap_or(casebook_domain::Tier::Intake);
                case_stages::end(db, after.id, Kind::Tier, now).await?;
                case_stages::begin_tier(db, after.id, tier, now).await?;
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

/// A case's business time per tier and per owner (staff), on the calendar of its SLA clocks
/// (China 5×8 for a case without clocks).
pub async fn of_case(app: &App, who: &Principal, number: CaseNumber) -> ActionResult<CaseStages> {
    let mut db = app.store.read().await?;
    let case = visible_case(&mut db, who, number).await?;
    require(who, Permission::WorkCases)?;
    let stretches = case_stages::of_case(&mut db, case.id).await?;
    let calendar_id = match sla_store::clocks_of_case(&mut db, case.id).await?.first() {
        Some(clock) => clock.calendar.clone(),
        None => CHINA_5X8.parse().expect("a valid id"),
    };
    let calendar = app.calendars.get(&mut db, &calendar_id).await?;
    Ok(stages::totals(&stretches, &calendar, app.clock.now()))
}
