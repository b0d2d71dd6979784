//! Applying a template to a case: its text (as rendered, or as the engineer edited it) is posted
//! as a reply or an internal note, and a macro's changes (status, severity, tier, taking the
//! case) are made after it, with the template's name as the reason. A change the case cannot
//! take now (a status the lifecycle does not allow from here) is refused before anything is
//! posted.

use casebook_domain::CaseNumber;
use casebook_domain::case::{Case, CasePatch};
use casebook_domain::policy::Permission;
use casebook_domain::text::{LongText, Notes};
use casebook_domain::timeline::CommentDraft;

use super::{get, render};
use crate::actions::{ActionError, ActionResult, cases, cases::comments};
use crate::app::App;
use crate::i18n::Lang;
use crate::policy::{Principal, require};

/// Applies template `id` to case `number`: posts `text` (the rendered text in `lang` when
/// `None`) and makes the macro's changes; the case as it is after.
pub async fn apply(
    app: &App,
    who: &Principal,
    id: i64,
    number: CaseNumber,
    text: Option<String>,
    lang: Lang,
) -> ActionResult<Case> {
    // A case the principal may not see does not exist for them, whatever else is wrong.
    let case = cases::get(app, who, number).await?;
    require(who, Permission::WorkCases)?;
    let template = get(app, who, id).await?;
    let changes = &template.changes;
    if let Some(status) = changes.status
        && status != case.status
        && !cases::next_statuses(app, who, &case).contains(&status)
    {
        return Err(ActionError::field(
            "status",
            "transition_not_allowed",
            format!(
                "the case cannot move from {} to {} now",
                case.status, status
            ),
        ));
    }
    let text = match text {
        Some(text) => text,
        None => render::text_for(app, who, &template, number, lang).await?,
    };
    if !text.trim().is_empty() {
        let body =
            LongText::parse(&text).map_err(|e| ActionError::Validation(vec![e.on("body")]))?;
        let draft = CommentDraft {
            body,
            visibility: Some(template.visibility),
            work: None,
        };
        comments::add(app, who, number, draft, Vec::new()).await?;
    }
    let owner = case.owner.as_ref().map(|o| o.id);
    let patch = CasePatch {
        status: changes.status.filter(|s| *s != case.status),
        severity: changes.severity.filter(|s| *s != case.severity),
        tier: changes.tier.filter(|t| case.tier != Some(*t)),
        owner_id: Some(who.user_id()).filter(|me| changes.take && *me != owner),
        ..CasePatch::default()
    };
    if patch.status.is_none()
        && patch.severity.is_none()
        && patch.tier.is_none()
        && patch.owner_id.is_none()
    {
        return cases::get(app, who, number).await;
    }
    let reason = format!("{}: {}", lang.t("reply-macro"), template.name.as_str());
    let reason =
        Notes::parse(&reason).map_err(|e| ActionError::Validation(vec![e.on("reason")]))?;
    let patch = CasePatch {
        reason: Some(reason),
        ..patch
    };
    cases::update(app, who, number, patch, None).await
}
