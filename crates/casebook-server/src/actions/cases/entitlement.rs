//! Changing the entitlement of an open case, which only staff do: a coordinator's override of a
//! refusal with a written reason, and a re-check against the contracts as they are now (after a
//! renewal or a contract change, which never rewrite open cases by themselves). Both recompute
//! the case's SLA clocks on the plan chosen, and are audited and noted on the internal timeline.

use casebook_domain::case::{Case, Entitlement};
use casebook_domain::entitlement::Outcome;
use casebook_domain::policy::Role;
use casebook_domain::sla::plan::{Plan, PlanId};
use casebook_domain::text::{Code, Notes};
use casebook_domain::timeline::EventKind;
use casebook_domain::{CaseNumber, Visibility};
use casebook_store::cases::{self, StoredEntitlement};
use casebook_store::timeline::{self, NewEvent};
use casebook_store::{AuditEntry, Db, Table, contracts, lock_row, plans, units};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::actions::cases::sla::{self, SlaCase, SlaChange};
use crate::actions::contracts::entitlements::{Asked, OrgOf, check};
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::Principal;

/// The case, if the principal may change its entitlement: coordinators, managers, admins (a
/// case they may not see is not found, as everywhere).
async fn changeable(
    db: &mut Db,
    who: &Principal,
    number: CaseNumber,
) -> ActionResult<(Case, casebook_domain::ids::UserId)> {
    let seen = crate::actions::cases::visible_case(db, who, number).await?;
    // One change of the case at a time; read it again under the lock.
    lock_row(db, Table::Cases, seen.id.get()).await?;
    let case = crate::actions::cases::visible_case(db, who, number).await?;
    let actor = who
        .actor()
        .filter(|a| matches!(a.role, Role::Coordinator | Role::Manager | Role::Admin))
        .ok_or(ActionError::Forbidden(
            "only coordinators, managers and administrators change entitlements",
        ))?;
    Ok((case, actor.user))
}

/// A new entitlement for a case: the decision, the plan, where the plan came from, the note.
struct NewEntitlement<'a> {
    stored: &'a StoredEntitlement,
    plan: &'a Plan,
    source: &'a str,
    note: &'a str,
}

/// A closed or cancelled case keeps the entitlement and SLA it had.
fn refuse_closed(case: &Case) -> ActionResult<()> {
    if case.status.is_terminal() {
        return Err(ActionError::Conflict {
            code: "case_closed",
            message: "the case is closed; its entitlement and SLA are history".into(),
        });
    }
    Ok(())
}

/// The contract a case is charged to, by its stored number.
async fn stored_contract(
    db: &mut Db,
    case: &Case,
) -> ActionResult<Option<casebook_domain::ids::ContractId>> {
    match case
        .entitlement
        .as_ref()
        .and_then(|e| e.contract_number.as_deref())
    {
        Some(n) => Ok(contracts::find_by_number(db, n).await?.map(|c| c.id)),
        None => Ok(None),
    }
}

/// Stores a new entitlement and plan, recomputes the clocks, notes it on the timeline.
async fn apply(
    app: &App,
    db: &mut Db,
    who: &Principal,
    before: &Case,
    new: NewEntitlement<'_>,
) -> ActionResult<Case> {
    let NewEntitlement {
        stored,
        plan,
        source,
        note,
    } = new;
    let now = app.clock.now();
    cases::set_entitlement(db, before.id, stored, true).await?;
    casebook_store::sla::set_case_plan(db, before.id, &plan.id, source, now).await?;
    sla::apply(app, db, &SlaCase::from(before), SlaChange::Terms, now).await?;
    let was: Option<&Entitlement> = before.entitlement.as_ref();
    timeline::insert(
        db,
        &NewEvent {
            case_id: before.id,
            kind: EventKind::FieldsChange,
            visibility: Visibility::Internal,
            actor: who.user_id(),
            at: now,
            body: Some(note),
            change: Some(json!({
                "entitlement": [was.map(|e| e.outcome), stored.outcome],
                "plan": [was.and_then(|e| e.plan.clone()), plan.id],
            })),
        },
    )
    .await?;
    let after = cases::get(db, before.id)
        .await?
        .ok_or(ActionError::NotFound("case"))?;
    Ok(after)
}

/// Re-runs the entitlement check of an open case against the contracts as they are today (for
/// example after a renewal), and recomputes its clocks on the plan chosen.
pub async fn recheck_case(app: &App, who: &Principal, number: CaseNumber) -> ActionResult<Case> {
    let mut db = app.store.write().await?;
    let (before, _) = changeable(&mut db, who, number).await?;
    refuse_closed(&before)?;
    let unit = match &before.unit {
        Some(u) => units::get(&mut db, u.id).await?,
        None => None,
    };
    let asked = Asked {
        contract_number: None,
        unit: unit.as_ref(),
        product: before.product.as_ref().map(|p| p.id),
        contact: before.contact.as_ref().map(|c| c.id),
        channel: before.channel,
        charged_to: before
            .entitlement
            .as_ref()
            .filter(|e| e.outcome == Outcome::Entitled)
            .and(stored_contract(&mut db, &before).await?),
    };
    let checked = check(app, &mut db, OrgOf::Id(before.organization.id), asked).await?;
    let note = format!(
        "Entitlement re-checked: {} ({})",
        checked.stored.outcome.as_str(),
        checked.stored.reason
    );
    let new = NewEntitlement {
        stored: &checked.stored,
        plan: &checked.plan,
        source: checked.source,
        note: &note,
    };
    let after = apply(app, &mut db, who, &before, new).await?;
    db.audit(AuditEntry::change(
        app.clock.now(),
        &who.audit_actor(),
        "case.entitlement_recheck",
        "case",
        number,
        Some(&before),
        Some(&after),
    ));
    db.commit().await?;
    Ok(after)
}

/// A coordinator's override of a refused entitlement.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideInput {
    /// Why (e.g. "renewal HT-2027-001 signed, in the post"); required.
    pub reason: Notes,
    /// The contract to charge (default: the one the check named).
    pub contract_number: Option<Code>,
    /// The plan to use (default: that contract's plan).
    #[schema(value_type = Option<String>)]
    pub plan: Option<PlanId>,
}

/// Overrides the entitlement of a case (coordinators, managers, admins): the case becomes
/// entitled under the contract and plan given, its SLA clocks are recomputed on that plan, and
/// the override is audited and shown on the timeline.
pub async fn override_case(
    app: &App,
    who: &Principal,
    number: CaseNumber,
    input: OverrideInput,
) -> ActionResult<Case> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let (before, actor) = changeable(&mut db, who, number).await?;
    refuse_closed(&before)?;
    if input.reason.as_str().trim().is_empty() {
        return Err(ActionError::field(
            "reason",
            "required",
            "write why the case is entitled",
        ));
    }
    let Some(current) = before.entitlement.clone() else {
        return Err(ActionError::field(
            "number",
            "no_entitlement",
            "this case has no entitlement to override",
        ));
    };
    if current.outcome == Outcome::Entitled {
        return Err(ActionError::Conflict {
            code: "already_entitled",
            message: "the case is already entitled".into(),
        });
    }
    let number_wanted = input
        .contract_number
        .as_ref()
        .map(|c| c.as_str().to_owned())
        .or(current.contract_number.clone());
    let contract = match number_wanted {
        Some(n) => match contracts::find_by_number(&mut db, &n).await? {
            Some(c) if c.organization_id == before.organization.id => Some(c),
            _ => {
                return Err(ActionError::field(
                    "contract_number",
                    "not_found",
                    format!("no contract {n} of this organisation"),
                ));
            }
        },
        None => None,
    };
    let plan_id = match (&input.plan, &contract) {
        (Some(p), _) => p.clone(),
        (None, Some(c)) => c.plan.clone(),
        (None, None) => {
            return Err(ActionError::field(
                "plan",
                "required",
                "the case has no contract: name a contract number or a plan",
            ));
        }
    };
    let plan = plans::get(&mut db, &plan_id).await?.ok_or_else(|| {
        ActionError::field("plan", "not_found", format!("no support plan {plan_id}"))
    })?;
    let stored = StoredEntitlement {
        unit: before.unit.as_ref().map(|u| u.id),
        contract: contract.as_ref().map(|c| c.id),
        outcome: Outcome::Entitled,
        reason: format!(
            "overridden: {} (the check said {}: {})",
            input.reason.as_str(),
            current.outcome.as_str(),
            current.reason
        ),
        overridden: Some((actor, input.reason.as_str().to_owned())),
    };
    let note = format!("Entitlement overridden: {}", input.reason.as_str());
    let new = NewEntitlement {
        stored: &stored,
        plan: &plan,
        source: "override",
        note: &note,
    };
    let after = apply(app, &mut db, who, &before, new).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "case.entitlement_override",
        "case",
        number,
        Some(&before),
        Some(&after),
    ));
    db.commit().await?;
    Ok(after)
}
