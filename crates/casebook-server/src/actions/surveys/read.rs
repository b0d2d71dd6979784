//! Surveys as people read them: a customer's own (pending and answered; another's is not
//! found), one survey, and a case's surveys with their follow-ups (follow-ups are internal:
//! staff only).

use casebook_domain::CaseNumber;
use casebook_domain::survey::{FollowUp, Survey};
use casebook_domain::policy::Subject;
use casebook_store::{Page, PageRequest, cases, survey_follow_ups, surveys};

use super::answer::addressed_to;
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, ensure_visible};

/// The surveys addressed to the caller, newest first (staff are asked none).
pub async fn mine(app: &App, who: &Principal, page: &PageRequest) -> ActionResult<Page<Survey>> {
    let Some(actor) = who.actor().filter(|a| !a.is_staff()) else {
        return Ok(Page {
            items: Vec::new(),
            next_cursor: None,
        });
    };
    let mut db = app.store.read().await?;
    Ok(surveys::of_customer(&mut db, actor.user, actor.contact, page).await?)
}

/// One survey: staff see any, a customer only one addressed to them.
pub async fn get(app: &App, who: &Principal, id: i64) -> ActionResult<Survey> {
    let mut db = app.store.read().await?;
    let stored = surveys::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("survey"))?;
    addressed_to(who, &stored)?;
    Ok(stored.survey)
}

/// A case's surveys and follow-ups.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CaseSurveys {
    /// Its surveys, newest first: sent, answered and (for staff) skipped with the reason;
    /// customers see only those addressed to them.
    pub surveys: Vec<Survey>,
    /// The follow-ups their answers opened (staff only; empty for customers).
    pub follow_ups: Vec<FollowUp>,
}

/// The surveys of a case the caller may see.
pub async fn of_case(app: &App, who: &Principal, number: CaseNumber) -> ActionResult<CaseSurveys> {
    let mut db = app.store.read().await?;
    // Surveys sit below the case core: the case's visibility is asked of the policy here.
    let case = cases::get_by_number(&mut db, number)
        .await?
        .ok_or(ActionError::NotFound("case"))?;
    ensure_visible(who, Subject::Case(case.access()), "case")?;
    let all = surveys::of_case(&mut db, case.id).await?;
    let surveys = all
        .into_iter()
        .filter(|s| who.is_staff() || addressed_to(who, s).is_ok())
        .filter(|s| who.is_staff() || s.survey.skip_reason.is_none())
        .map(|s| s.survey)
        .collect();
    let follow_ups = if who.is_staff() {
        survey_follow_ups::of_case(&mut db, case.id).await?
    } else {
        Vec::new()
    };
    Ok(CaseSurveys {
        surveys,
        follow_ups,
    })
}
