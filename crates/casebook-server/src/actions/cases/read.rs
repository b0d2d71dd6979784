//! Reading cases: one case, the lists and counts of the cases a principal may see, the mark
//! that tells lists to refresh, and the statuses a case may move to next.

use casebook_domain::case::Case;
use casebook_domain::lifecycle::{self, TransitionContext};
use casebook_domain::policy::Permission;
use casebook_domain::{CaseNumber, Status};
use casebook_store::case_list::{self, CaseFilter};
use casebook_store::timeline::{self};
use casebook_store::{Page, PageRequest};

use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, case_scope, require};

use super::access::{redact, visible_case};

/// Reads a case.
pub async fn get(app: &App, who: &Principal, number: CaseNumber) -> ActionResult<Case> {
    let mut db = app.store.read().await?;
    Ok(redact(who, visible_case(&mut db, who, number).await?))
}

/// Lists the cases the principal may see.
pub async fn list(
    app: &App,
    who: &Principal,
    filter: CaseFilter,
    page: &PageRequest,
) -> ActionResult<Page<Case>> {
    if !who.is_staff() && !filter.tiers.is_empty() {
        return Err(ActionError::field(
            "tier",
            "not_allowed",
            "only support staff filter by tier",
        ));
    }
    let mut db = app.store.read().await?;
    let page = case_list::list(&mut db, case_scope(who), &filter, page).await?;
    Ok(page.map(|c| redact(who, c)))
}

/// Counts the cases of a list the principal may see, up to `cap`.
pub async fn count(app: &App, who: &Principal, filter: &CaseFilter, cap: i64) -> ActionResult<i64> {
    let mut db = app.store.read().await?;
    Ok(case_list::count(&mut db, case_scope(who), filter, cap).await?)
}

/// A mark that grows whenever any case changes (staff only: it tells the console's lists to
/// refresh, and would tell a customer about other organisations' activity).
pub async fn change_mark(app: &App, who: &Principal) -> ActionResult<i64> {
    require(who, Permission::WorkCases)?;
    let mut db = app.store.read().await?;
    Ok(timeline::latest_id(&mut db).await?)
}

/// The statuses the principal may move a case to now.
pub fn next_statuses(app: &App, who: &Principal, case: &Case) -> Vec<Status> {
    let ctx = TransitionContext {
        by: who.party(),
        has_owner: case.owner.is_some(),
        closed_at: case.closed_at,
        reopen_days: app.config.cases.reopen_days,
        now: app.clock.now(),
    };
    lifecycle::next_statuses(case.status, &ctx)
}
