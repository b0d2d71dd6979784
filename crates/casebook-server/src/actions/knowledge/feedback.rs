//! "Did this solve your problem?": each reader of a published article answers once; a new
//! answer replaces theirs and moves the counts shown on the article (and its place when
//! articles are sorted by how often they solved a problem).

use casebook_domain::ids::ArticleId;
use casebook_domain::knowledge::{Article, ArticleFeedback, ArticleStatus};
use casebook_store::AuditEntry;
use casebook_store::articles;
use serde_json::json;

use crate::actions::knowledge::articles::{shown, visible_article};
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::Principal;

/// Records the principal's answer for a published article they may read.
pub async fn give(
    app: &App,
    who: &Principal,
    id: ArticleId,
    feedback: ArticleFeedback,
) -> ActionResult<Article> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    articles::lock(&mut db, id).await?;
    let article = visible_article(&mut db, who, id).await?;
    let user = who.user_id().ok_or(ActionError::Forbidden(
        "feedback is given by a signed-in reader",
    ))?;
    if article.status != ArticleStatus::Published {
        return Err(ActionError::Conflict {
            code: "article_not_published",
            message: format!(
                "only published articles take feedback; this one is {}",
                article.status
            ),
        });
    }
    let before = articles::feedback_of(&mut db, id, user).await?;
    articles::give_feedback(
        &mut db,
        id,
        user,
        feedback.solved,
        feedback.comment.as_str(),
        now,
    )
    .await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "article.feedback",
        "article",
        id,
        before.map(|solved| json!({"solved": solved})).as_ref(),
        Some(&json!({"solved": feedback.solved, "comment": feedback.comment.as_str()})),
    ));
    let after = articles::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("article"))?;
    let after = shown(&mut db, who, after).await?;
    db.commit().await?;
    Ok(after)
}
