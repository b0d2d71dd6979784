//! Merging a duplicate case into another (the survivor). The duplicate's timeline entries and
//! their attachments move to the survivor (the entry that opened it stays, and the survivor gets
//! an entry with the duplicate's title and description); the duplicate is closed, names the
//! survivor (`merged_into`) and keeps its number, so a mail reply to it or a link to it leads to
//! the survivor. The two are linked "duplicate of" unless they were linked already.
//!
//! Clocks: the duplicate's running clocks stop as cancelled, neither met nor breached, and the
//! survivor's clocks stay as they are. The survivor carries the promise the customer is working
//! to; moving or restarting clocks would either give the desk a second deadline for one problem
//! or count a duplicate as a solved problem in the service reports. A breach the duplicate had
//! already stays in its history.

use casebook_domain::case::Case;
use casebook_domain::links::LinkKind;
use casebook_domain::policy::{Permission, Visibility};
use casebook_domain::text::Notes;
use casebook_domain::timeline::EventKind;
use casebook_domain::{CaseNumber, Status};
use casebook_store::case_links;
use casebook_store::cases::{self, CaseColumns};
use casebook_store::timeline::{self, NewEvent};
use casebook_store::{AuditEntry, Table, lock_row};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::actions::cases::sla::{self, SlaCase, SlaChange};
use crate::actions::{ActionError, ActionResult, check_version};
use crate::app::App;
use crate::policy::{Principal, require};

use super::access::{redact, visible_case};
use super::links::note_on;

/// A merge of the case in the path into another.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeDraft {
    /// The surviving case's number.
    pub into: CaseNumber,
    /// Why (shown on both timelines).
    pub reason: Notes,
    /// The version of the merged case you last read; a mismatch is refused with 409.
    pub version: Option<i64>,
}

fn conflict(code: &'static str, message: String) -> ActionError {
    ActionError::Conflict { code, message }
}

/// Merges the case `number` into `draft.into`; returns the survivor.
pub async fn merge(
    app: &App,
    who: &Principal,
    number: CaseNumber,
    draft: MergeDraft,
    if_match: Option<i64>,
) -> ActionResult<Case> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let mut ids = Vec::new();
    for n in [number, draft.into] {
        if let Some(id) = cases::id_of(&mut db, n).await? {
            ids.push(id);
        }
    }
    ids.sort_by_key(|id| id.get());
    for id in ids {
        lock_row(&mut db, Table::Cases, id.get()).await?;
    }
    let dup = visible_case(&mut db, who, number).await?;
    require(who, Permission::WorkCases)?;
    let reason = draft.reason.as_str().trim().to_owned();
    if reason.is_empty() {
        return Err(ActionError::field(
            "reason",
            "required",
            "say why the cases are merged",
        ));
    }
    if number == draft.into {
        return Err(conflict(
            "merge_into_itself",
            format!("case {number} cannot be merged into itself"),
        ));
    }
    let survivor = visible_case(&mut db, who, draft.into)
        .await
        .map_err(|e| match e {
            ActionError::NotFound(_) => {
                ActionError::field("into", "not_found", format!("no case {}", draft.into))
            }
            e => e,
        })?;
    check_version(draft.version, dup.version)?;
    check_version(if_match, dup.version)?;
    if let Some(into) = dup.merged_into {
        return Err(conflict(
            "already_merged",
            format!("case {number} was merged into {into} already"),
        ));
    }
    if let Some(into) = survivor.merged_into {
        return Err(conflict(
            "merged_case",
            format!(
                "case {} was merged into {into}; merge into {into} instead",
                survivor.number
            ),
        ));
    }
    if dup.organization.id != survivor.organization.id {
        return Err(conflict(
            "merge_across_organizations",
            format!(
                "case {number} belongs to {} and case {} to {}; only cases of one organisation are merged (link them instead)",
                dup.organization.name, survivor.number, survivor.organization.name
            ),
        ));
    }
    if survivor.status.is_terminal() {
        return Err(conflict(
            "case_closed",
            format!(
                "case {} is {}; reopen it before merging into it",
                survivor.number, survivor.status
            ),
        ));
    }

    let mut cols = CaseColumns::from(&dup);
    cols.status = Status::Closed;
    cols.closed_at = Some(now);
    cases::update(&mut db, dup.id, dup.version, &cols, now).await?;
    case_links::set_merged_into(&mut db, dup.id, survivor.id).await?;
    let moved = case_links::move_timeline(&mut db, dup.id, survivor.id).await?;
    if !dup.status.is_terminal() {
        let mut stopped = SlaCase::from(&dup);
        stopped.status = Status::Closed;
        let change = SlaChange::Status {
            from: dup.status,
            to: Status::Cancelled,
        };
        sla::apply(app, &mut db, &stopped, change, now).await?;
        let mut closed = dup.clone();
        closed.status = Status::Closed;
        super::stages::follow(app, &mut db, Some(&dup), &closed, now).await?;
    }
    let to_dup = json!({"role": "merged_into", "case": survivor.number, "reason": reason});
    note_on(
        &mut db,
        who,
        EventKind::Merged,
        &dup,
        Visibility::Public,
        to_dup,
        now,
    )
    .await?;
    let body = format!("{}\n\n{}", dup.title, dup.description);
    timeline::insert(
        &mut db,
        &NewEvent {
            case_id: survivor.id,
            kind: EventKind::Merged,
            visibility: Visibility::Public,
            actor: who.user_id(),
            at: now,
            body: Some(&body),
            change: Some(
                json!({"role": "merged_from", "case": dup.number, "moved": moved, "reason": reason}),
            ),
        },
    )
    .await?;
    cases::touch(&mut db, survivor.id, now).await?;
    if case_links::between(&mut db, dup.id, survivor.id)
        .await?
        .is_none()
    {
        let kind = LinkKind::DuplicateOf;
        case_links::insert(&mut db, dup.id, survivor.id, kind, who.user_id(), now).await?;
    }
    let after = cases::get(&mut db, dup.id)
        .await?
        .ok_or(ActionError::NotFound("case"))?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "case.merge",
        "case",
        number,
        Some(&dup),
        Some(&after),
    ));
    let survivor = cases::get(&mut db, survivor.id)
        .await?
        .ok_or(ActionError::NotFound("case"))?;
    db.commit().await?;
    Ok(redact(who, survivor))
}

/// The case a reply to `case` belongs in: the case itself, or the case it was merged into
/// (followed along a chain of merges, at most a few steps).
pub(crate) async fn surviving(app: &App, who: &Principal, case: Case) -> ActionResult<Case> {
    let mut case = case;
    for _ in 0..8 {
        match case.merged_into {
            Some(into) => case = super::get(app, who, into).await?,
            None => break,
        }
    }
    Ok(case)
}
