//! Use cases for support plans: list, read, create, replace, choose the default, and the plan
//! that applies to an organisation's cases (its own, else the default; contracts take over this
//! choice later without changing the SLA engine).

use casebook_domain::Status;
use casebook_domain::directory::Organization;
use casebook_domain::error::FieldError;
use casebook_domain::ids::OrganizationId;
use casebook_domain::policy::Permission;
use casebook_domain::sla::CalendarId;
use casebook_domain::sla::plan::{
    EscalationStep, Plan, PlanId, PlanSpec, SeverityTerms, default_escalation,
    default_pause_statuses,
};
use casebook_store::{
    AuditEntry, Db, Page, PageRequest, StoreError, calendars, organizations, plans,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actions::{ActionError, ActionResult, check_version};
use crate::app::App;
use crate::policy::{Principal, require};

/// A plan as written by an admin (fields as in [`PlanSpec`], not flattened so that a bad field
/// is named by its path).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// Stable id (creation only; on replace it must be absent or equal).
    pub id: Option<PlanId>,
    /// Its name.
    pub name: String,
    /// What it promises.
    #[serde(default)]
    pub description: String,
    /// The terms of each severity, 1 to 4.
    pub severities: Vec<SeverityTerms>,
    /// Statuses that pause the clocks (default: awaiting_customer).
    pub pause_statuses: Option<Vec<Status>>,
    /// Escalation steps (default: 75 % owner, 100 % tier lead, 150 % duty manager).
    pub escalation: Option<Vec<EscalationStep>>,
    /// Make it the default plan.
    #[serde(default)]
    pub is_default: bool,
}

impl PlanInput {
    fn spec(&self) -> PlanSpec {
        PlanSpec {
            name: self.name.clone(),
            description: self.description.clone(),
            severities: self.severities.clone(),
            pause_statuses: self
                .pause_statuses
                .clone()
                .unwrap_or_else(default_pause_statuses),
            escalation: self.escalation.clone().unwrap_or_else(default_escalation),
        }
    }
}

/// Where a case's plan came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanSource {
    /// The organisation's own plan.
    Organization,
    /// The default plan.
    Default,
}

async fn validate(db: &mut Db, spec: &PlanSpec) -> ActionResult<()> {
    let mut errors = spec.validate().err().unwrap_or_default();
    for (field, id) in spec.calendars() {
        if calendars::get(db, id).await?.is_none() {
            errors.push(FieldError::new(
                field,
                "not_found",
                format!("no calendar {id}"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ActionError::Validation(errors))
    }
}

async fn load(db: &mut Db, id: &PlanId) -> ActionResult<Plan> {
    plans::get(db, id)
        .await?
        .ok_or(ActionError::NotFound("plan"))
}

/// Lists plans (staff).
pub async fn list(app: &App, who: &Principal, page: &PageRequest) -> ActionResult<Page<Plan>> {
    require(who, Permission::WorkCases)?;
    let mut db = app.store.read().await?;
    Ok(plans::list(&mut db, page).await?)
}

/// Reads a plan (staff).
pub async fn get(app: &App, who: &Principal, id: &PlanId) -> ActionResult<Plan> {
    require(who, Permission::WorkCases)?;
    let mut db = app.store.read().await?;
    load(&mut db, id).await
}

/// The names of plans, as anyone signed in sees them beside a contract or a case (a customer
/// reads the plan of their own contract by its name); an unknown id keeps no name.
pub async fn names(
    app: &App,
    _who: &Principal,
    ids: &[PlanId],
) -> ActionResult<Vec<(PlanId, String)>> {
    let mut db = app.store.read().await?;
    let mut named = Vec::with_capacity(ids.len());
    for id in ids {
        if named.iter().any(|(known, _)| known == id) {
            continue;
        }
        if let Some(plan) = plans::get(&mut db, id).await? {
            named.push((id.clone(), plan.spec.name));
        }
    }
    Ok(named)
}

/// Creates a plan (admins).
pub async fn create(app: &App, who: &Principal, input: PlanInput) -> ActionResult<Plan> {
    require(who, Permission::ManageServiceLevels)?;
    let id = input.id.clone().ok_or_else(|| {
        ActionError::field("id", "required", "a plan needs an id, e.g. gold-7x24")
    })?;
    let spec = input.spec();
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    validate(&mut db, &spec).await?;
    plans::insert(&mut db, &id, &spec, false, now)
        .await
        .map_err(|e| match e {
            StoreError::Duplicate(_) => ActionError::Conflict {
                code: "duplicate_plan",
                message: format!("a plan with the id {id} exists already"),
            },
            e => e.into(),
        })?;
    if input.is_default {
        plans::set_default(&mut db, &id).await?;
    }
    let plan = load(&mut db, &id).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "plan.create",
        "plan",
        &id,
        None,
        Some(&plan),
    ));
    db.commit().await?;
    Ok(plan)
}

/// Replaces a plan (admins). Open cases keep their clocks until their severity or status next
/// changes.
pub async fn replace(
    app: &App,
    who: &Principal,
    id: &PlanId,
    input: PlanInput,
    if_match: Option<i64>,
) -> ActionResult<Plan> {
    require(who, Permission::ManageServiceLevels)?;
    if input.id.as_ref().is_some_and(|i| i != id) {
        return Err(ActionError::field(
            "id",
            "mismatch",
            "the id in the body differs from the path",
        ));
    }
    let spec = input.spec();
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let before = load(&mut db, id).await?;
    check_version(if_match, before.version)?;
    validate(&mut db, &spec).await?;
    if spec != before.spec {
        plans::update(&mut db, id, &spec, before.version, now).await?;
    }
    if input.is_default && !before.is_default {
        plans::set_default(&mut db, id).await?;
    }
    let after = load(&mut db, id).await?;
    if after != before {
        db.audit(AuditEntry::change(
            now,
            &who.audit_actor(),
            "plan.update",
            "plan",
            id,
            Some(&before),
            Some(&after),
        ));
        db.commit().await?;
    }
    Ok(after)
}

/// The plan for an organisation's cases, and where it came from.
pub async fn for_organization(
    db: &mut Db,
    organization: OrganizationId,
) -> ActionResult<(Plan, PlanSource)> {
    let org = organizations::get(db, organization)
        .await?
        .ok_or(ActionError::NotFound("organization"))?;
    plan_of_organization(db, &org).await
}

/// The plan of an organisation already read: its own, or the default plan.
pub async fn plan_of_organization(
    db: &mut Db,
    org: &Organization,
) -> ActionResult<(Plan, PlanSource)> {
    if let Some(id) = &org.support_plan
        && let Some(plan) = plans::get(db, id).await?
    {
        return Ok((plan, PlanSource::Organization));
    }
    let plan = plans::get_default(db)
        .await?
        .ok_or_else(|| ActionError::Unavailable("no default support plan is set".into()))?;
    Ok((plan, PlanSource::Default))
}

/// The calendars a plan needs, for loading them once.
pub fn calendar_ids(plan: &Plan) -> Vec<CalendarId> {
    let mut ids: Vec<CalendarId> = plan
        .spec
        .calendars()
        .into_iter()
        .map(|(_, id)| id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}
