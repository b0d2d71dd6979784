//! The console's case page: header (number, severity, status, owner, tier, organisation,
//! contract, entitlement), SLA clocks counting down, the timeline with public replies and
//! internal notes told apart, the reply box with files, the change form (status, severity,
//! owner, tier), escalation with a reason, and beside it the customer's units, contracts and
//! recent cases. A case a device opened or joined shows its fault (signature, occurrences,
//! first and last seen) and the device's events, marked as such. The knowledge articles linked
//! to the case are listed; a solved case offers "create an article from this case"
//! (`kb_review.rs`). Above the reply box, the engineer's reply templates and macros
//! (`replies.rs`).

use askama::Template;
use casebook_domain::Named;
use casebook_domain::Role;
use casebook_domain::case::Case;
use casebook_domain::contract::{Contract, Unit};
use casebook_domain::ids::UserId;
use casebook_domain::replies::ReplyTemplate;
use casebook_domain::sla::plan::PlanId;
use casebook_domain::users::User;
use casebook_domain::work::{Activity, WorkEntry};
use casebook_domain::{Severity, Status, Tier};
use casebook_store::users::UserFilter;

use super::directory::{Holdings, holdings};
use crate::actions::call_home::views::{self, CaseCallHome};
use crate::actions::cases::stages;
use crate::actions::cases::work::{self, CaseWork};
use crate::actions::contracts::plans;
use crate::actions::surveys::read::{self as survey_read, CaseSurveys};
use crate::actions::{ActionResult as Res, accounts::users, knowledge::from_case, replies};
use crate::app::AppState;
use crate::web::case_page::{CaseView, Side, around_view};
use crate::web::choices::first;
use crate::web::session::{Staff, Viewer};
use casebook_domain::stages::CaseStages;

#[derive(Template)]
#[template(path = "console/case.html")]
pub struct CasePage {
    view: CaseView,
    staff: Vec<User>,
    units: Vec<Unit>,
    contracts: Vec<Contract>,
    recent: Vec<Case>,
    call_home: CaseCallHome,
    articles: Vec<super::kb::Listed>,
    /// The reply templates and macros the engineer may use.
    templates: Vec<ReplyTemplate>,
    severities: [Severity; 4],
    tiers: &'static [Tier],
    /// The plans of the case and of the customer's contracts, by name.
    plan_names: Vec<(PlanId, String)>,
    /// The time spent on the case.
    work: CaseWork,
    /// The activities time is spent on.
    activities: &'static [Activity],
    /// The business time at each tier and with each owner.
    stages: CaseStages,
    /// The satisfaction surveys of the case and their follow-ups.
    surveys: CaseSurveys,
    /// Spare parts in stock, for a visit's reservation.
    stock: Vec<casebook_domain::field::parts::StockLevel>,
    /// The viewer, and whether they manage (may remove anyone's time).
    me: Option<UserId>,
    manages: bool,
}

around_view!(CasePage);

impl CasePage {
    fn skip_key(&self, reason: &casebook_domain::survey::SkipReason) -> String {
        format!("survey-skip-{}", casebook_domain::Named::as_str(*reason))
    }

    fn reason_key(&self, f: &casebook_domain::survey::FollowUp) -> String {
        format!("survey-reason-{}", casebook_domain::Named::as_str(f.reason))
    }

    fn is_owner(&self, user: &User) -> bool {
        self.case.owner.as_ref().is_some_and(|o| o.id == user.id)
    }

    /// A plan by its name (its id when it has none).
    fn plan_name(&self, id: &str) -> String {
        self.plan_names
            .iter()
            .find(|(plan, _)| plan.as_str() == id)
            .map(|(_, name)| name.clone())
            .unwrap_or_else(|| id.to_owned())
    }

    /// The entitlement banner after the outcome, every part from the catalogues: the contract
    /// (with its term when it is among the customer's contracts shown), the plan by its name,
    /// and why a refused case gets no SLA coverage.
    fn entitlement_parts(&self) -> Vec<String> {
        let ctx = &self.ctx;
        let Some(ent) = &self.case.entitlement else {
            return Vec::new();
        };
        let contract = ent
            .contract_number
            .as_ref()
            .and_then(|n| self.contracts.iter().find(|c| &c.contract_number == n));
        let mut parts = Vec::new();
        match (&ent.contract_number, contract) {
            (Some(number), Some(c)) => parts.push(ctx.tn(
                "entitlement-contract-term",
                &[
                    ("number", number.clone()),
                    ("from", c.starts_on.to_string()),
                    ("until", c.ends_on.to_string()),
                ],
            )),
            (Some(number), None) => parts.push(ctx.t1("entitlement-contract", "number", number)),
            (None, _) => {}
        }
        if let Some(plan) = &ent.plan {
            parts.push(ctx.t1("entitlement-plan", "name", self.plan_name(plan)));
        }
        parts.extend(ctx.entitlement_why(
            ent.outcome,
            ent.contract_number.as_deref(),
            self.case.channel,
        ));
        parts
    }

    /// Minutes as hours with one decimal.
    fn hours(&self, minutes: &i64) -> String {
        casebook_domain::work::hours_text(*minutes)
    }

    /// Business seconds as hours with one decimal.
    fn stage_hours(&self, seconds: &i64) -> String {
        casebook_domain::work::hours_text(*seconds / 60)
    }

    /// Business minutes as hours with one decimal.
    fn target_hours(&self, minutes: &i64) -> String {
        casebook_domain::work::hours_text(*minutes)
    }

    /// An internal target's state as a class name (`running`, `warning`, `breached`, `met`).
    fn ola_state(&self, state: &casebook_domain::ola::OlaState) -> String {
        serde_json::to_value(state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// The message key of an internal target's state.
    fn ola_state_key(&self, state: &casebook_domain::ola::OlaState) -> String {
        format!("ola-state-{}", self.ola_state(state))
    }

    /// Whether the time typed was billable: checked unless a refused form said otherwise.
    fn billable_checked(&self) -> bool {
        self.typed.work_billable || self.typed.work_minutes.is_empty()
    }

    /// Whether an entry was recorded from a remote session or a visit.
    fn automatic(&self, entry: &WorkEntry) -> bool {
        entry.source != casebook_domain::work::WorkSource::Manual
    }

    /// The message naming how an automatic entry was recorded.
    fn source_key(&self, entry: &WorkEntry) -> String {
        format!("work-source-{}", entry.source.as_str())
    }

    /// Whether the viewer may remove an entry: their own, or any for managers and admins.
    fn may_remove(&self, entry: &WorkEntry) -> bool {
        self.manages || self.me == Some(entry.user.id)
    }

    /// Whether an article may grow from this case (its solution was proposed, or it is closed).
    fn is_solved(&self) -> bool {
        matches!(self.case.status, Status::SolutionProposed | Status::Closed)
    }
}

/// The console's side of the case page: internal notes, and beside the case the staff, the
/// customer's units, contracts and recent cases, call home and the linked articles.
pub struct Console;

impl Side for Console {
    type Who = Staff;
    type Page = CasePage;

    async fn page(app: &AppState, viewer: &Viewer, view: CaseView, _: bool) -> Res<CasePage> {
        let who = &viewer.who;
        let number = view.case.number;
        let staff = UserFilter {
            staff: Some(true),
            ..UserFilter::default()
        };
        let staff = users::list(app, who, staff, &first(200)).await?.items;
        let org = view.case.organization.id;
        let held = holdings(app, who, org, [20, 20, 8]).await?;
        let Holdings {
            units,
            contracts,
            recent,
        } = held;
        let recent = recent.into_iter().filter(|c| c.number != number).collect();
        let call_home = views::of_case(app, who, view.case.id).await?;
        let articles = from_case::of_case(app, who, number, &first(50))
            .await?
            .items;
        let templates = replies::list(app, who).await?;
        let case_plan = view.case.entitlement.as_ref().and_then(|e| e.plan.clone());
        let plan_ids: Vec<PlanId> = contracts
            .iter()
            .map(|c| c.plan.clone())
            .chain(case_plan.and_then(|p| p.parse().ok()))
            .collect();
        let plan_names = plans::names(app, who, &plan_ids).await?;
        let work = work::of_case(app, who, number).await?;
        let stages = stages::of_case(app, who, number).await?;
        let surveys = survey_read::of_case(app, who, number).await?;
        let stock = crate::actions::field::parts::stock(app, who, None, None).await?;
        Ok(CasePage {
            articles: super::kb::listed(viewer.ctx.lang, articles),
            templates,
            view,
            staff,
            units,
            contracts,
            recent,
            call_home,
            severities: Severity::ALL,
            tiers: Tier::ALL,
            plan_names,
            work,
            stages,
            surveys,
            stock,
            activities: Activity::ALL,
            me: who.user_id(),
            manages: who
                .actor()
                .is_none_or(|a| matches!(a.role, Role::Manager | Role::Admin)),
        })
    }
}
