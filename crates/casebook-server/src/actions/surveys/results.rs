//! Survey results for staff: per engineer, the engineer's team, organisation, product or month
//! of sending,
//! each with its response rate (answered of sent) beside the mean scores; the answers one by
//! one with filters, keyset-paginated (what exports write); and the answers per month with
//! their mean score (the dashboard's satisfaction trend).

use casebook_domain::ids::{OrganizationId, ProductId, UserId};
use casebook_domain::policy::Permission;
use casebook_domain::survey::{Figures, Grouping, MonthSatisfaction, Survey};
use casebook_store::survey_results;
use casebook_store::surveys::{self, SurveyFilter};
use casebook_store::{Page, PageRequest};
use jiff::civil::Date;

use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, require};

/// Which surveys a result or list counts.
#[derive(Debug, Clone, Default)]
pub struct SurveyQuery {
    /// From this day (inclusive; the day sent for results, answered for answers).
    pub from: Option<Date>,
    /// To this day (inclusive).
    pub to: Option<Date>,
    /// One organisation's cases.
    pub organization: Option<OrganizationId>,
    /// One product's cases.
    pub product: Option<ProductId>,
    /// One engineer's cases (the owner at closure).
    pub engineer: Option<UserId>,
}

impl SurveyQuery {
    /// The store's filter; a last day before the first is refused.
    pub(crate) fn filter(&self) -> ActionResult<SurveyFilter> {
        if let (Some(from), Some(to)) = (self.from, self.to)
            && to < from
        {
            return Err(ActionError::field(
                "to",
                "before_from",
                "the last day is before the first",
            ));
        }
        Ok(SurveyFilter {
            from: self.from.map(|d| d.to_string()),
            to: self.to.map(|d| d.to_string()),
            organization: self.organization,
            product: self.product,
            engineer: self.engineer,
            team: None,
        })
    }
}

/// The results grouped as asked, in order of the group's key (staff).
pub async fn grouped(
    app: &App,
    who: &Principal,
    grouping: Grouping,
    query: &SurveyQuery,
) -> ActionResult<Vec<Figures>> {
    require(who, Permission::WorkCases)?;
    let filter = query.filter()?;
    let mut db = app.store.read().await?;
    let tallies = survey_results::tallies(&mut db, grouping, &filter).await?;
    Ok(tallies
        .into_iter()
        .map(|(key, label, tally)| Figures::of(key, label, &tally))
        .collect())
}

/// Answered surveys, newest first, keyset-paginated (staff): the list exports read.
pub async fn answers(
    app: &App,
    who: &Principal,
    query: &SurveyQuery,
    page: &PageRequest,
) -> ActionResult<Page<Survey>> {
    require(who, Permission::WorkCases)?;
    let filter = query.filter()?;
    let mut db = app.store.read().await?;
    Ok(surveys::answers(&mut db, &filter, page).await?)
}

/// Answers and their mean resolution score per month of answering (staff): the dashboard's
/// satisfaction trend.
pub async fn monthly(
    app: &App,
    who: &Principal,
    query: &SurveyQuery,
) -> ActionResult<Vec<MonthSatisfaction>> {
    require(who, Permission::WorkCases)?;
    let filter = query.filter()?;
    let mut db = app.store.read().await?;
    Ok(survey_results::monthly(&mut db, &filter).await?)
}
