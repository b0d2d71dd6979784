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
use casebook_domain::case::Case;
use casebook_domain::contract::{Contract, Unit};
use casebook_domain::replies::ReplyTemplate;
use casebook_domain::users::User;
use casebook_domain::{Severity, Status, Tier};
use casebook_store::users::UserFilter;

use super::directory::{Holdings, holdings};
use crate::actions::call_home::views::{self, CaseCallHome};
use crate::actions::{ActionResult as Res, accounts::users, knowledge::from_case, replies};
use crate::app::AppState;
use crate::web::case_page::{CaseView, Side, around_view};
use crate::web::choices::first;
use crate::web::session::{Staff, Viewer};

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
}

around_view!(CasePage);

impl CasePage {
    fn is_owner(&self, user: &User) -> bool {
        self.case.owner.as_ref().is_some_and(|o| o.id == user.id)
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
        })
    }
}
