//! Changing a case: its fields, owner, tier, severity and status, with the timeline entries, the
//! SLA clocks following in the same transaction, the mail the change sends, and the
//! satisfaction survey a closure sends.

use casebook_domain::case::{Case, CasePatch};
use casebook_domain::lifecycle::{self, Transition, TransitionContext};
use casebook_domain::policy::{Permission, Visibility};
use casebook_domain::timeline::EventKind;
use casebook_domain::{CaseNumber, Status, Timestamp};
use casebook_store::cases::{self, CaseColumns};
use casebook_store::timeline::{self, NewEvent};
use casebook_store::{AuditEntry, Db, Table, lock_row};
use serde_json::json;

use crate::actions::cases::sla::{self, SlaCase, SlaChange};
use crate::actions::directory::refs::{check_contact, check_owner, check_product};
use crate::actions::notify::case_mail::{self, CaseNews};
use crate::actions::surveys;
use crate::actions::{ActionError, ActionResult, check_version};
use crate::app::App;
use crate::policy::{Principal, require};

use super::access::{redact, visible_case};

/// The timeline entries a change produces.
struct Changes {
    events: Vec<(EventKind, Visibility, serde_json::Value)>,
}

impl Changes {
    fn push(&mut self, kind: EventKind, visibility: Visibility, change: serde_json::Value) {
        self.events.push((kind, visibility, change));
    }
}

/// Applies the status part of a patch: the lifecycle decides, the columns follow.
fn apply_status(
    who: &Principal,
    before: &Case,
    cols: &mut CaseColumns,
    target: Status,
    reopen_days: u32,
    now: Timestamp,
) -> ActionResult<Option<Transition>> {
    if target == before.status {
        return Ok(None);
    }
    let ctx = TransitionContext {
        by: who.party(),
        has_owner: cols.owner_id.is_some(),
        closed_at: before.closed_at,
        reopen_days,
        now,
    };
    let transition = lifecycle::transition(before.status, target, &ctx)?;
    cols.status = target;
    match transition {
        Transition::AcceptSolution => {
            cols.closed_at = Some(now);
            cols.closure_confirmed_by = who.user_id();
            cols.closure_confirmed_at = Some(now);
        }
        Transition::CloseByStaff | Transition::Cancel => cols.closed_at = Some(now),
        Transition::Reopen => {
            cols.closed_at = None;
            cols.closure_confirmed_by = None;
            cols.closure_confirmed_at = None;
        }
        _ => {}
    }
    Ok(Some(transition))
}

fn transition_name(t: Transition) -> &'static str {
    match t {
        Transition::Assign => "assign",
        Transition::Unassign => "unassign",
        Transition::StartWork => "start_work",
        Transition::AwaitCustomer => "await_customer",
        Transition::Resume => "resume",
        Transition::ProposeSolution => "propose_solution",
        Transition::AcceptSolution => "accept_solution",
        Transition::RejectSolution => "reject_solution",
        Transition::WithdrawProposal => "withdraw_proposal",
        Transition::CloseByStaff => "close",
        Transition::Cancel => "cancel",
        Transition::Reopen => "reopen",
    }
}

/// Changes a case. Customers may change only its status (accept or reject a proposed solution,
/// cancel, reopen); staff change anything the lifecycle allows. `if_match` is the version from
/// an `If-Match` header, checked like `patch.version`.
pub async fn update(
    app: &App,
    who: &Principal,
    number: CaseNumber,
    patch: CasePatch,
    if_match: Option<i64>,
) -> ActionResult<Case> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let id = cases::id_of(&mut db, number)
        .await?
        .ok_or(ActionError::NotFound("case"))?;
    lock_row(&mut db, Table::Cases, id.get()).await?;
    let before = visible_case(&mut db, who, number).await?;
    if let Some(into) = before.merged_into {
        return Err(ActionError::Conflict {
            code: "case_merged",
            message: format!("case {number} was merged into {into}; change {into} instead"),
        });
    }
    if patch.changes_more_than_status() {
        if !who.is_staff() {
            return Err(ActionError::Forbidden(
                "customers can only change a case's status: accept or reject a proposed solution, cancel, or reopen",
            ));
        }
        require(who, Permission::WorkCases)?;
        if before.status.is_terminal() {
            return Err(ActionError::Conflict {
                code: "case_closed",
                message: format!(
                    "case {number} is {}; reopen it before changing it",
                    before.status
                ),
            });
        }
    }
    check_version(patch.version, before.version)?;
    check_version(if_match, before.version)?;

    let mut cols = CaseColumns::from(&before);
    let mut changes = Changes { events: Vec::new() };
    let reason = patch
        .reason
        .as_ref()
        .map(|r| r.as_str().to_owned())
        .filter(|r| !r.is_empty());
    let mut fields: Vec<&str> = Vec::new();

    if let Some(title) = patch.title {
        cols.title = title.into();
        fields.push("title");
    }
    if let Some(description) = patch.description {
        if description.is_empty() {
            return Err(ActionError::field(
                "description",
                "required",
                "the description cannot be emptied",
            ));
        }
        cols.description = description.into();
        fields.push("description");
    }
    if let Some(contact) = patch.contact_id {
        if let Some(contact) = contact {
            check_contact(&mut db, contact, before.organization.id).await?;
        }
        cols.contact_id = contact;
        fields.push("contact");
    }
    let product_touched = patch.product_id.is_some() || patch.product_version.is_some();
    if let Some(product) = patch.product_id {
        cols.product_id = product;
        fields.push("product");
    }
    if let Some(version) = patch.product_version {
        cols.product_version = version.map(Into::into);
        fields.push("product_version");
    }
    if product_touched {
        match cols.product_id {
            Some(product) => {
                check_product(&mut db, product, cols.product_version.as_deref()).await?
            }
            None if cols.product_version.is_some() => {
                return Err(ActionError::field(
                    "product_version",
                    "requires_product",
                    "a product version needs a product",
                ));
            }
            None => {}
        }
    }
    if let Some(patch_level) = patch.patch_level {
        cols.patch_level = patch_level.map(Into::into);
        fields.push("patch_level");
    }
    if let Some(os) = patch.operating_system {
        cols.operating_system = os.map(Into::into);
        fields.push("operating_system");
    }
    if let Some(environment) = patch.environment {
        cols.environment = environment.into();
        fields.push("environment");
    }
    if let Some(category) = patch.category {
        cols.category = category;
        fields.push("category");
    }
    if let Some(severity) = patch.severity.filter(|s| *s != before.severity) {
        cols.severity = severity;
        changes.push(
            EventKind::SeverityChange,
            Visibility::Public,
            json!({"from": before.severity, "to": severity, "reason": reason}),
        );
    }
    if let Some(tier) = patch.tier.filter(|t| Some(*t) != before.tier) {
        cols.tier = tier;
        changes.push(
            EventKind::TierChange,
            Visibility::Internal,
            json!({"from": before.tier, "to": tier, "reason": reason}),
        );
    }
    if let Some(owner) = patch
        .owner_id
        .filter(|o| *o != before.owner.as_ref().map(|o| o.id))
    {
        let to = match owner {
            Some(id) => Some(check_owner(&mut db, id).await?),
            None => None,
        };
        cols.owner_id = owner;
        changes.push(
            EventKind::OwnerChange,
            Visibility::Public,
            json!({"from": before.owner, "to": to}),
        );
    }
    // An owner moves a new case to assigned, and removing the owner before work starts moves it back.
    let implicit = match (
        before.status,
        before.owner.is_some(),
        cols.owner_id.is_some(),
    ) {
        (Status::New, _, true) => Some(Status::Assigned),
        (Status::Assigned, true, false) => Some(Status::New),
        (s, true, false) if !s.is_terminal() => {
            return Err(ActionError::field(
                "owner_id",
                "required",
                "a case in progress keeps an owner; assign another engineer instead",
            ));
        }
        _ => None,
    };
    if let Some(target) = patch.status.or(implicit)
        && let Some(t) = apply_status(
            who,
            &before,
            &mut cols,
            target,
            app.config.cases.reopen_days,
            now,
        )?
    {
        changes.push(EventKind::StatusChange, Visibility::Public, json!({"from": before.status, "to": target, "transition": transition_name(t), "reason": reason}));
    }
    if !fields.is_empty() {
        changes.push(
            EventKind::FieldsChange,
            Visibility::Public,
            json!({"fields": fields}),
        );
    }
    if cols == CaseColumns::from(&before) {
        return Ok(redact(who, before));
    }
    cases::update(&mut db, id, before.version, &cols, now).await?;
    let mut status_event = None;
    for (kind, visibility, change) in changes.events {
        let event = timeline::insert(
            &mut db,
            &NewEvent {
                case_id: id,
                kind,
                visibility,
                actor: who.user_id(),
                at: now,
                body: None,
                change: Some(change),
            },
        )
        .await?;
        if kind == EventKind::StatusChange {
            status_event = Some(event);
        }
    }
    let after = cases::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("case"))?;
    follow_with_clocks(app, &mut db, &before, &after, now).await?;
    super::stages::follow(app, &mut db, Some(&before), &after, now).await?;
    super::events::changed(app, &mut db, &before, &after, who, reason.as_deref(), now).await?;
    if let Some(event) = status_event {
        let news = CaseNews::Status {
            event,
            from: before.status,
            to: after.status,
            reason: reason.as_deref(),
        };
        case_mail::tell(app, &mut db, &after, news, who, now).await?;
        if after.status == Status::Closed {
            surveys::send::on_closure(app, &mut db, &after, event, now).await?;
        }
    }
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "case.update",
        "case",
        number,
        Some(&before),
        Some(&after),
    ));
    db.commit().await?;
    Ok(redact(who, after))
}

/// Lets the SLA clocks follow a change of a case: its status, then its severity or channel.
async fn follow_with_clocks(
    app: &App,
    db: &mut Db,
    before: &Case,
    after: &Case,
    now: Timestamp,
) -> ActionResult<()> {
    let case = SlaCase::from(after);
    if before.status != after.status {
        sla::apply(
            app,
            db,
            &case,
            SlaChange::Status {
                from: before.status,
                to: after.status,
            },
            now,
        )
        .await?;
    }
    if before.severity != after.severity || before.channel != after.channel {
        sla::apply(app, db, &case, SlaChange::Terms, now).await?;
    }
    Ok(())
}

/// The reason of the status change a customer's reply makes (awaiting the customer → in
/// progress), as stored in the timeline entry's change; pages show it translated.
pub const CUSTOMER_REPLIED: &str = "the customer replied";

/// Moves a case that waits for the customer back to work when the customer answers; used by
/// replies on every channel. Returns whether it did.
pub(crate) async fn resume_on_customer_reply(
    app: &App,
    db: &mut Db,
    who: &Principal,
    case: &Case,
    now: Timestamp,
) -> ActionResult<bool> {
    if who.is_staff() || case.status != Status::AwaitingCustomer {
        return Ok(false);
    }
    let mut cols = CaseColumns::from(case);
    cols.status = Status::InProgress;
    cases::update(db, case.id, case.version, &cols, now).await?;
    let change = json!({"from": case.status, "to": Status::InProgress, "transition": transition_name(Transition::Resume), "reason": CUSTOMER_REPLIED});
    timeline::insert(
        db,
        &NewEvent {
            case_id: case.id,
            kind: EventKind::StatusChange,
            visibility: Visibility::Public,
            actor: who.user_id(),
            at: now,
            body: None,
            change: Some(change),
        },
    )
    .await?;
    let mut resumed = SlaCase::from(case);
    resumed.status = Status::InProgress;
    let change = SlaChange::Status {
        from: case.status,
        to: Status::InProgress,
    };
    sla::apply(app, db, &resumed, change, now).await?;
    Ok(true)
}
