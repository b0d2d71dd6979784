//! Field service (现场服务, docs/field-service.md), built on the case core: remote diagnosis
//! sessions with the customer's approval. `remote_policy` is who may allow remote access to an
//! organisation or a site; `remote` the sessions' steps (request, approve or decline, start
//! inside the approved window, end, revoke, cancel), `remote_end` their end (the seal, the
//! time, and the sweep that ends a session whose window closed); `remote_log` the command log and recordings, sealed when the session ends;
//! `remote_links` the signed mail link an authorised contact answers a request with. `visits`
//! is on-site visits (dispatch with spare parts reserved and the on-site arrival clock started,
//! check-in, completion with the parts used, cancellation); `visit_signing` the customer's
//! sign-off and `service_report` the signed service report it makes; `board` the dispatch
//! board and the assignment of engineers; `faults` the fault-handling reports and the fault
//! database; `parts` the parts catalogue, depots and stock.

pub mod board;
pub mod faults;
pub mod parts;
pub mod remote;
mod remote_end;
pub mod remote_links;
pub mod remote_log;
pub mod remote_policy;
mod service_report;
mod visit_completion;
pub mod visit_signing;
pub mod visits;

use casebook_domain::CaseNumber;
use casebook_domain::case::Case;
use casebook_store::Db;

use crate::actions::cases::visible_case;
use crate::actions::{ActionError, ActionResult};
use crate::policy::Principal;

/// The case a session or visit names by number, answering 404 as `what` (the record) when the
/// principal may not see the case.
pub(crate) async fn case_named(
    db: &mut Db,
    who: &Principal,
    number: &str,
    what: &'static str,
) -> ActionResult<Case> {
    let number: CaseNumber = number
        .parse()
        .map_err(|_| ActionError::Internal("a stored case number does not parse".into()))?;
    visible_case(db, who, number).await.map_err(|e| match e {
        ActionError::NotFound(_) => ActionError::NotFound(what),
        other => other,
    })
}

/// Writes the public timeline entry of a field-service step (`{"<record>": {...}}` as `change`)
/// and touches the case, in the caller's transaction.
pub(crate) async fn timeline_entry(
    db: &mut Db,
    who: &Principal,
    case: &Case,
    kind: casebook_domain::timeline::EventKind,
    change: serde_json::Value,
    now: casebook_domain::Timestamp,
) -> ActionResult<()> {
    casebook_store::timeline::insert(
        db,
        &casebook_store::timeline::NewEvent {
            case_id: case.id,
            kind,
            visibility: casebook_domain::policy::Visibility::Public,
            actor: who.user_id(),
            at: now,
            body: None,
            change: Some(change),
        },
    )
    .await?;
    casebook_store::cases::touch(db, case.id, now).await?;
    Ok(())
}
