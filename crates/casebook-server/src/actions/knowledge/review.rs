//! The review lifecycle of articles: submit (draft → in review; the submitter answers for the
//! text like its writers), publish and reject (the review, by a member of staff who did not
//! write, change or submit the text — `Article::writers`; the reviewer is recorded, a rejection
//! carries a note), retire (published → retired) and revise (published or retired → draft, out of the
//! customers' sight until published again). Publishing an alert queues its mail in the same
//! transaction (`article_alerts`).

use casebook_domain::ids::ArticleId;
use casebook_domain::knowledge::{self, Article, ReviewStep};
use casebook_domain::text::Notes;
use casebook_store::AuditEntry;
use casebook_store::articles::{self, Review};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::actions::knowledge::alerts;
use crate::actions::knowledge::articles::{refused, shown, visible_article, writer};
use crate::actions::{ActionError, ActionResult, check_version};
use crate::app::App;
use crate::policy::Principal;

/// The optional body of a review step.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// The version you last read; a mismatch is refused with 409.
    pub version: Option<i64>,
}

/// The body of a rejection.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectInput {
    /// What the author should change.
    pub note: Notes,
    /// The version you last read.
    pub version: Option<i64>,
}

/// Submits a draft for review.
pub async fn submit(
    app: &App,
    who: &Principal,
    id: ArticleId,
    input: StepInput,
) -> ActionResult<Article> {
    step(app, who, id, ReviewStep::Submit, "", input.version).await
}

/// Publishes an article in review (a reviewer who did not write, change or submit its text); an
/// alert is mailed to the contacts it concerns.
pub async fn publish(
    app: &App,
    who: &Principal,
    id: ArticleId,
    input: StepInput,
) -> ActionResult<Article> {
    step(app, who, id, ReviewStep::Publish, "", input.version).await
}

/// Sends an article in review back to its author with a note (a reviewer who did not write,
/// change or submit its text).
pub async fn reject(
    app: &App,
    who: &Principal,
    id: ArticleId,
    input: RejectInput,
) -> ActionResult<Article> {
    if input.note.is_empty() {
        return Err(ActionError::field(
            "note",
            "required",
            "say what the author should change",
        ));
    }
    step(
        app,
        who,
        id,
        ReviewStep::Reject,
        input.note.as_str(),
        input.version,
    )
    .await
}

/// Retires a published article.
pub async fn retire(
    app: &App,
    who: &Principal,
    id: ArticleId,
    input: StepInput,
) -> ActionResult<Article> {
    step(app, who, id, ReviewStep::Retire, "", input.version).await
}

/// Takes a published or retired article back to draft, to change it.
pub async fn revise(
    app: &App,
    who: &Principal,
    id: ArticleId,
    input: StepInput,
) -> ActionResult<Article> {
    step(app, who, id, ReviewStep::Revise, "", input.version).await
}

fn action_of(step: ReviewStep) -> &'static str {
    match step {
        ReviewStep::Submit => "article.submit",
        ReviewStep::Publish => "article.publish",
        ReviewStep::Reject => "article.reject",
        ReviewStep::Retire => "article.retire",
        ReviewStep::Revise => "article.revise",
    }
}

async fn step(
    app: &App,
    who: &Principal,
    id: ArticleId,
    step: ReviewStep,
    note: &str,
    version: Option<i64>,
) -> ActionResult<Article> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    articles::lock(&mut db, id).await?;
    let before = visible_article(&mut db, who, id).await?;
    let by = writer(who)?;
    check_version(version, before.version)?;
    let status = knowledge::review(before.status, step, &before.writers(), by).map_err(refused)?;
    let mut review = Review::of(&before);
    review.status = status;
    match step {
        ReviewStep::Submit => review.submitted_at = Some(now),
        ReviewStep::Publish => {
            review.reviewer = Some(by);
            review.note.clear();
            review.approved_at = Some(now);
            review.published_at = Some(now);
            review.retired_at = None;
            if before.alert {
                review.alert_sent_at = Some(now);
            }
        }
        ReviewStep::Reject => {
            review.reviewer = Some(by);
            review.note = note.to_owned();
        }
        ReviewStep::Retire => review.retired_at = Some(now),
        ReviewStep::Revise => {}
    }
    articles::set_review(&mut db, id, before.version, &review, now).await?;
    if step == ReviewStep::Submit {
        articles::record_writer(&mut db, id, by).await?;
    }
    let after = articles::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("article"))?;
    let mut record = serde_json::to_value(&after).unwrap_or_default();
    if step == ReviewStep::Publish && after.alert {
        let queued = alerts::queue(app, &mut db, &after, now).await?;
        if let Some(record) = record.as_object_mut() {
            record.insert("alert_mails_queued".into(), queued.into());
        }
    }
    let before = serde_json::to_value(&before).unwrap_or_default();
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        action_of(step),
        "article",
        id,
        Some(&before),
        Some(&record),
    ));
    let after = shown(&mut db, who, after).await?;
    db.commit().await?;
    Ok(after)
}
