//! What every use case on a case needs to know first: whether the principal may see the case
//! (a case it may not see does not exist for it), what of it a customer does not see, and who may
//! write what on it.

use casebook_domain::CaseNumber;
use casebook_domain::case::Case;
use casebook_domain::policy::{Subject, Visibility};
use casebook_store::Db;
use casebook_store::cases;

use crate::actions::{ActionError, ActionResult};
use crate::policy::{Principal, ensure_visible};

/// What customers do not see of a case.
pub fn redact(who: &Principal, mut case: Case) -> Case {
    if !who.is_staff() {
        case.tier = None;
        case.entitlement = None;
    }
    case
}

/// Reads a case by number within a transaction, answering 404 if the principal may not see it.
pub(crate) async fn visible_case(
    db: &mut Db,
    who: &Principal,
    number: CaseNumber,
) -> ActionResult<Case> {
    let case = cases::get_by_number(db, number)
        .await?
        .ok_or(ActionError::NotFound("case"))?;
    ensure_visible(who, Subject::Case(case.access()), "case")?;
    Ok(case)
}

/// The visibility of what a principal writes: customers write only public entries.
pub(crate) fn visibility_for(
    who: &Principal,
    asked: Option<Visibility>,
) -> ActionResult<Visibility> {
    match asked.unwrap_or(Visibility::Public) {
        Visibility::Internal if !who.is_staff() => Err(ActionError::Forbidden(
            "only support staff can write internal notes",
        )),
        v => Ok(v),
    }
}
