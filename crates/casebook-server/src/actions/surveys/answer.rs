//! Answering a survey: through the signed link in its mail (no sign-in) or signed in, in the
//! portal or the API, by the customer it was addressed to. A survey is answered once, before it
//! expires; a forged link finds nothing, an expired or used one is refused with its own code,
//! and a refused answer changes nothing. A low score or a negative comment opens a follow-up in
//! the same transaction.

use casebook_domain::Timestamp;
use casebook_domain::policy::Subject;
use casebook_domain::survey::{
    self, AnswerDraft, AnsweredVia, Survey, SurveySettings, SurveyStatus,
};
use casebook_store::surveys::{self, Answering, StoredSurvey};
use casebook_store::{AuditActor, AuditEntry, Db};

use super::{follow_ups, settings};
use crate::actions::integrations::emit;
use crate::actions::notify::tokens::{self, LinkError};
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, ensure_visible};
use casebook_domain::Named;
use casebook_domain::events::{EventKind, SurveySection};

/// A survey that a link may answer, with the questions to ask.
#[derive(Debug, Clone)]
pub struct Asked {
    /// The survey.
    pub survey: Survey,
    /// The settings in force (the questions' texts).
    pub settings: SurveySettings,
}

fn expired() -> ActionError {
    ActionError::Conflict {
        code: "survey_expired",
        message: "this survey can no longer be answered: its time is over".into(),
    }
}

/// Refuses a survey that cannot take an answer now.
fn answerable(s: &StoredSurvey, now: Timestamp) -> ActionResult<()> {
    match s.survey.status {
        SurveyStatus::Answered => Err(ActionError::Conflict {
            code: "survey_answered",
            message: "this survey was answered already; thank you".into(),
        }),
        SurveyStatus::Skipped => Err(ActionError::NotFound("survey")),
        SurveyStatus::Pending if !s.survey.answerable(now) => Err(expired()),
        SurveyStatus::Pending => Ok(()),
    }
}

async fn by_token(
    key: &[u8],
    db: &mut Db,
    token: &str,
    now: Timestamp,
) -> ActionResult<StoredSurvey> {
    let id = match tokens::read_survey_token(key, token, now) {
        Ok(id) => id,
        Err(LinkError::Invalid) => return Err(ActionError::NotFound("survey")),
        Err(LinkError::Expired) => return Err(expired()),
    };
    surveys::get(db, id)
        .await?
        .ok_or(ActionError::NotFound("survey"))
}

/// What a survey link leads to: the survey and its questions, if it can still be answered.
pub async fn check_link(app: &App, token: &str) -> ActionResult<Asked> {
    let now = app.clock.now();
    let key = tokens::signing_key(app).await?;
    let mut db = app.store.read().await?;
    let stored = by_token(&key, &mut db, token, now).await?;
    answerable(&stored, now)?;
    let (settings, _) = settings::current(&mut db).await?;
    Ok(Asked {
        survey: stored.survey,
        settings,
    })
}

/// Answers a survey through its mail link.
pub async fn by_link(app: &App, token: &str, draft: &AnswerDraft) -> ActionResult<Survey> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let key = tokens::key(app, &mut db).await?;
    let stored = by_token(&key, &mut db, token, now).await?;
    let actor = AuditActor {
        user: stored.user_id,
        label: format!(
            "survey-link:{}",
            stored.survey.recipient.as_deref().unwrap_or("")
        ),
    };
    let survey = write(app, &mut db, stored, draft, AnsweredVia::Link, &actor, now).await?;
    db.commit().await?;
    Ok(survey)
}

/// Refuses a survey the principal may not see (404): a customer user sees those addressed
/// to them, a customer administrator those of their organisation.
pub(crate) fn addressed_to(who: &Principal, s: &StoredSurvey) -> ActionResult<()> {
    ensure_visible(
        who,
        Subject::Survey {
            organization: s.organization_id,
            user: s.user_id,
            contact: s.contact_id,
        },
        "survey",
    )
}

/// Answers a survey signed in: only the customer it asks (403 for staff and a colleague who
/// may see it).
pub async fn as_customer(
    app: &App,
    who: &Principal,
    id: i64,
    draft: &AnswerDraft,
) -> ActionResult<Survey> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let stored = surveys::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("survey"))?;
    addressed_to(who, &stored)?;
    if !who
        .actor()
        .is_some_and(|a| !a.is_staff() && a.was_asked(stored.user_id, stored.contact_id))
    {
        return Err(ActionError::Forbidden(
            "only the customer who was asked can answer a survey",
        ));
    }
    let survey = write(
        app,
        &mut db,
        stored,
        draft,
        AnsweredVia::Portal,
        &who.audit_actor(),
        now,
    )
    .await?;
    db.commit().await?;
    Ok(survey)
}

/// Checks and writes the answer, then opens a follow-up if it calls for one.
async fn write(
    app: &App,
    db: &mut Db,
    stored: StoredSurvey,
    draft: &AnswerDraft,
    via: AnsweredVia,
    actor: &AuditActor,
    now: Timestamp,
) -> ActionResult<Survey> {
    answerable(&stored, now)?;
    let answer = draft.check().map_err(ActionError::Validation)?;
    let (settings, _) = settings::current(db).await?;
    let negative = answer
        .comment
        .as_deref()
        .is_some_and(|c| settings.is_negative(c));
    let on = now.to_zoned(app.config.time_zone()).date().to_string();
    let written = surveys::answer(
        db,
        stored.survey.id,
        &Answering {
            answer: &answer,
            negative,
            via,
            at: now,
            on: &on,
        },
    )
    .await?;
    if !written {
        // Answered by a concurrent request since it was read.
        return Err(ActionError::Conflict {
            code: "survey_answered",
            message: "this survey was answered already; thank you".into(),
        });
    }
    let after = surveys::get(db, stored.survey.id)
        .await?
        .ok_or(ActionError::NotFound("survey"))?;
    db.audit(AuditEntry::change(
        now,
        actor,
        "survey.answer",
        "survey",
        stored.survey.id,
        Some(&stored.survey),
        Some(&after.survey),
    ));
    if let Some(reason) = survey::follow_up_reason(&settings, &answer) {
        follow_ups::open_in(app, db, &after, reason, now).await?;
        if let Some(case) = casebook_store::cases::get(db, after.case_id).await? {
            let s = &after.survey;
            let section = SurveySection {
                reason: reason.as_str().into(),
                resolution: s.resolution,
                speed: s.speed,
                engineer: s.engineer_score,
                comment: s.comment.clone(),
            };
            let actor = casebook_domain::events::Actor {
                kind: "customer".into(),
                name: s.recipient.clone().unwrap_or_default(),
            };
            emit::case_event(app, db, EventKind::SurveyLowScore, &case, actor, now, |e| {
                e.survey = Some(section)
            })
            .await?;
        }
    }
    Ok(after.survey)
}
