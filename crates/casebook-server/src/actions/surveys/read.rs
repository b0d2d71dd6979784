//! Surveys as people read them: the list (all for staff, the organisation's for a customer
//! administrator, their own for a customer user; one they may not see is not found), one survey, and a case's surveys with their follow-ups (follow-ups are internal:
//! staff only).

use casebook_domain::CaseNumber;
use casebook_domain::Role;
use casebook_domain::policy::Subject;
use casebook_domain::survey::{FollowUp, Survey};
use casebook_store::surveys::SurveyScope;
use casebook_store::{Page, PageRequest, cases, survey_follow_ups, surveys};

use super::answer::addressed_to;
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, ensure_visible};

/// The surveys the caller may see, newest first: every one for staff, the organisation's for a
/// customer administrator, those asking them for a customer user (skipped ones are not listed).
pub async fn list(app: &App, who: &Principal, page: &PageRequest) -> ActionResult<Page<Survey>> {
    let scope = match who.actor() {
        None => SurveyScope::All,
        Some(a) if a.is_staff() => SurveyScope::All,
        Some(a) => match (a.role, a.organization) {
            (Role::CustomerAdmin, Some(org)) => SurveyScope::Organization(org),
            _ => SurveyScope::Asked {
                user: a.user,
                contact: a.contact,
            },
        },
    };
    let mut db = app.store.read().await?;
    Ok(surveys::list(&mut db, scope, page).await?)
}

/// One survey: staff see any, a customer one they may see (404 otherwise).
pub async fn get(app: &App, who: &Principal, id: i64) -> ActionResult<Survey> {
    Ok(asking(app, who, id).await?.0)
}

/// One survey the caller may see, and whether it asks them (only then may they answer it).
pub async fn asking(app: &App, who: &Principal, id: i64) -> ActionResult<(Survey, bool)> {
    let mut db = app.store.read().await?;
    let stored = surveys::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("survey"))?;
    addressed_to(who, &stored)?;
    let asks = who
        .actor()
        .is_some_and(|a| !a.is_staff() && a.was_asked(stored.user_id, stored.contact_id));
    Ok((stored.survey, asks))
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
