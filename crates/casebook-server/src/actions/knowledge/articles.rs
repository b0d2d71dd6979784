//! Use cases for knowledge articles: list, write, read and edit. Staff write and edit drafts
//! and articles in review (an edit sends an article in review back to draft); customers read
//! only published articles meant for them — any other article does not exist for them. The
//! review steps are in `article_review`, feedback in `article_feedback`, drafts from solved
//! cases in `article_from_case`. `list_public` and `get_public` read, without a principal, only
//! published articles whose visibility is `public` (the public knowledge base, `/kb`).

use casebook_domain::Timestamp;
use casebook_domain::directory::Product;
use casebook_domain::ids::{ArticleId, ProductId, UserId};
use casebook_domain::knowledge::{
    self, Article, ArticleContent, ArticleDraft, ArticleError, ArticlePatch, ArticleStatus,
    ArticleSummary, ArticleVisibility,
};
use casebook_domain::policy::{Permission, Subject};
use casebook_store::article_list::{self, ArticleFilter, ArticleSort};
use casebook_store::articles;
use casebook_store::{AuditEntry, Db, Page, PageRequest, products};

use crate::actions::{ActionError, ActionResult, check_version};
use crate::app::App;
use crate::policy::{Principal, ensure_visible, require};

/// A refusal of the article lifecycle: 409 with its code.
pub(crate) fn refused(err: ArticleError) -> ActionError {
    ActionError::Conflict {
        code: err.code(),
        message: err.to_string(),
    }
}

/// The signed-in member of staff who writes or reviews (the system has no name to sign with).
pub(crate) fn writer(who: &Principal) -> ActionResult<UserId> {
    require(who, Permission::EditKnowledge)?;
    who.user_id().ok_or(ActionError::Forbidden(
        "articles are written and reviewed by a signed-in member of staff",
    ))
}

/// Reads an article, answering 404 if the principal may not see it.
pub(crate) async fn visible_article(
    db: &mut Db,
    who: &Principal,
    id: ArticleId,
) -> ActionResult<Article> {
    let article = articles::get(db, id)
        .await?
        .ok_or(ActionError::NotFound("article"))?;
    let for_customers = knowledge::readable_by_customers(article.status, article.visibility);
    ensure_visible(who, Subject::Article { for_customers }, "article")?;
    Ok(article)
}

/// The article as the principal sees it: bodies rendered to sanitized HTML, the linked cases
/// they may see, their own feedback; the review note and the contributors for staff only.
pub(crate) async fn shown(
    db: &mut Db,
    who: &Principal,
    mut article: Article,
) -> ActionResult<Article> {
    for text in &mut article.texts {
        text.body_html = crate::markdown::user_html(&text.body);
    }
    article.cases = articles::linked_cases(db, article.id)
        .await?
        .into_iter()
        .filter(|c| ensure_visible(who, Subject::Case(c.access), "case").is_ok())
        .map(|c| c.number)
        .collect();
    if let Some(user) = who.user_id() {
        article.my_feedback = articles::feedback_of(db, article.id, user).await?;
    }
    if !who.is_staff() {
        article.review_note = None;
        article.contributors.clear();
    }
    Ok(article)
}

/// The products named, as the catalogue has them (unknown ones are left out, so validation
/// names them).
pub(crate) async fn catalogue(db: &mut Db, ids: &[ProductId]) -> ActionResult<Vec<Product>> {
    let mut found: Vec<Product> = Vec::new();
    for id in ids.iter().take(knowledge::draft::MAX_PRODUCTS + 1) {
        if found.iter().any(|p| p.id == *id) {
            continue;
        }
        if let Some(product) = products::get(db, *id).await? {
            found.push(product);
        }
    }
    Ok(found)
}

/// Reads an article the principal may see.
pub async fn get(app: &App, who: &Principal, id: ArticleId) -> ActionResult<Article> {
    let mut db = app.store.read().await?;
    let article = visible_article(&mut db, who, id).await?;
    shown(&mut db, who, article).await
}

/// Lists the articles the principal may see; customers see only published articles meant for
/// them, whatever they filter by.
pub async fn list(
    app: &App,
    who: &Principal,
    mut filter: ArticleFilter,
    sort: ArticleSort,
    page: &PageRequest,
) -> ActionResult<Page<ArticleSummary>> {
    filter.customers_only = !who.is_staff();
    let mut db = app.store.read().await?;
    Ok(article_list::list(&mut db, &filter, sort, page).await?)
}

/// Lists the published `public` articles, for someone who is not signed in: whatever the filter
/// asks, the statement keeps only published articles whose visibility is `public`.
pub async fn list_public(
    app: &App,
    mut filter: ArticleFilter,
    sort: ArticleSort,
    page: &PageRequest,
) -> ActionResult<Page<ArticleSummary>> {
    filter.customers_only = true;
    filter.status = Some(ArticleStatus::Published);
    filter.visibility = Some(ArticleVisibility::Public);
    let mut db = app.store.read().await?;
    let mut page = article_list::list(&mut db, &filter, sort, page).await?;
    // The statement already keeps only these; checked again so no change there can leak.
    page.items
        .retain(|a| knowledge::readable_by_public(a.status, a.visibility));
    Ok(page)
}

/// Reads a published `public` article for someone who is not signed in: bodies rendered to
/// sanitized HTML, no linked cases, no feedback, no staff names or review note. Every other
/// article (a draft, in review, internal, for customers, retired, unknown) is the same 404.
pub async fn get_public(app: &App, id: ArticleId) -> ActionResult<Article> {
    let mut db = app.store.read().await?;
    let mut article = articles::get(&mut db, id)
        .await?
        .filter(|a| knowledge::readable_by_public(a.status, a.visibility))
        .ok_or(ActionError::NotFound("article"))?;
    for text in &mut article.texts {
        text.body_html = crate::markdown::user_html(&text.body);
    }
    article.cases.clear();
    article.my_feedback = None;
    article.review_note = None;
    article.contributors.clear();
    article.author.name.clear();
    article.edited_by = None;
    article.reviewer = None;
    Ok(article)
}

/// Writes a new draft.
pub async fn create(app: &App, who: &Principal, draft: ArticleDraft) -> ActionResult<Article> {
    let author = writer(who)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let catalogue = catalogue(&mut db, &draft.product_ids()).await?;
    let content = draft
        .validate(&catalogue)
        .map_err(ActionError::Validation)?;
    let article = create_in(&mut db, who, author, &content, None, now).await?;
    let article = shown(&mut db, who, article).await?;
    db.commit().await?;
    Ok(article)
}

/// Writes a new draft in the caller's transaction, audited (`source` says where it came
/// from, e.g. the case it grew from).
pub(crate) async fn create_in(
    db: &mut Db,
    who: &Principal,
    author: UserId,
    content: &ArticleContent,
    source: Option<serde_json::Value>,
    now: Timestamp,
) -> ActionResult<Article> {
    let id = articles::insert(db, content, author, now).await?;
    let article = articles::get(db, id)
        .await?
        .ok_or(ActionError::NotFound("article"))?;
    let mut record = serde_json::to_value(&article).unwrap_or_default();
    if let (Some(record), Some(source)) = (record.as_object_mut(), source) {
        record.insert("source".into(), source);
    }
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "article.create",
        "article",
        id,
        None,
        Some(&record),
    ));
    Ok(article)
}

/// Changes a draft or an article in review (which goes back to draft); `patch.version` must be
/// the stored version. Whoever changes its content becomes its last writer (`edited_by`) and
/// may not review it.
pub async fn update(
    app: &App,
    who: &Principal,
    id: ArticleId,
    patch: ArticlePatch,
) -> ActionResult<Article> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    articles::lock(&mut db, id).await?;
    let before = visible_article(&mut db, who, id).await?;
    let editor = writer(who)?;
    check_version(Some(patch.version), before.version)?;
    let status = knowledge::after_edit(before.status).map_err(refused)?;
    let catalogue = catalogue(&mut db, &patch.product_ids()).await?;
    let content = patch
        .apply(before.content(), &catalogue)
        .map_err(ActionError::Validation)?;
    if content == before.content() && status == before.status {
        return shown(&mut db, who, before).await;
    }
    articles::update(&mut db, id, before.version, &content, status, now).await?;
    if content != before.content() {
        // Whoever changes the text may not review it.
        articles::record_writer(&mut db, id, editor).await?;
    }
    let after = articles::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("article"))?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "article.update",
        "article",
        id,
        Some(&before),
        Some(&after),
    ));
    let after = shown(&mut db, who, after).await?;
    db.commit().await?;
    Ok(after)
}
