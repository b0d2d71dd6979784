//! Knowledge articles: the article row with its lifecycle columns, its texts (one per language),
//! the products and versions it applies to, the cases it is linked to, readers' feedback with
//! the counts kept on the article. Lists are in `article_list`, subscriptions and alert
//! recipients in `article_alerts`.

use casebook_domain::case::NamedRef;
use casebook_domain::ids::{ArticleId, CaseId, Id, UserId};
use casebook_domain::knowledge::{
    Article, ArticleContent, ArticleProduct, ArticleStatus, ArticleText, ArticleVisibility,
    Language,
};
use casebook_domain::policy::CaseAccess;
use casebook_domain::{CaseNumber, Named, Timestamp};

use crate::cases::named;
use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::rows::parse_column;
use crate::time::Ts;

/// The columns of an article's lifecycle, written together by a review step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// Status.
    pub status: ArticleStatus,
    /// Who last reviewed it.
    pub reviewer: Option<UserId>,
    /// The note of a rejection.
    pub note: String,
    /// Last submitted.
    pub submitted_at: Option<Timestamp>,
    /// Last approved.
    pub approved_at: Option<Timestamp>,
    /// Last published.
    pub published_at: Option<Timestamp>,
    /// Retired.
    pub retired_at: Option<Timestamp>,
    /// Alert last mailed.
    pub alert_sent_at: Option<Timestamp>,
}

impl Review {
    /// The lifecycle columns of an article as read.
    pub fn of(article: &Article) -> Self {
        Review {
            status: article.status,
            reviewer: article.reviewer.as_ref().map(|r| r.id),
            note: article.review_note.clone().unwrap_or_default(),
            submitted_at: article.submitted_at,
            approved_at: article.approved_at,
            published_at: article.published_at,
            retired_at: article.retired_at,
            alert_sent_at: article.alert_sent_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    status: String,
    visibility: String,
    alert: bool,
    tags: String,
    author_id: i64,
    author_name: Option<String>,
    edited_by: Option<i64>,
    edited_by_name: Option<String>,
    contributors: String,
    reviewer_id: Option<i64>,
    reviewer_name: Option<String>,
    review_note: String,
    submitted_at: Option<Ts>,
    approved_at: Option<Ts>,
    published_at: Option<Ts>,
    retired_at: Option<Ts>,
    alert_sent_at: Option<Ts>,
    solved_count: i64,
    not_solved_count: i64,
    created_at: Ts,
    updated_at: Ts,
    version: i64,
}

const SELECT: &str = "SELECT a.id, a.status, a.visibility, a.alert, a.tags, a.author_id,
        (SELECT name FROM users WHERE id = a.author_id) AS author_name, a.edited_by,
        (SELECT name FROM users WHERE id = a.edited_by) AS edited_by_name, a.contributors,
        a.reviewer_id,
        (SELECT name FROM users WHERE id = a.reviewer_id) AS reviewer_name, a.review_note,
        a.submitted_at, a.approved_at, a.published_at, a.retired_at, a.alert_sent_at,
        a.solved_count, a.not_solved_count, a.created_at, a.updated_at, a.version
     FROM articles a";

pub(crate) fn status_of(raw: &str) -> StoreResult<ArticleStatus> {
    parse_column("articles.status", raw, ArticleStatus::parse)
}

pub(crate) fn visibility_of(raw: &str) -> StoreResult<ArticleVisibility> {
    parse_column("articles.visibility", raw, ArticleVisibility::parse)
}

pub(crate) fn tags_of(raw: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(raw).map_err(|e| StoreError::corrupt("articles.tags", e))
}

fn contributors_of(raw: &str) -> StoreResult<Vec<UserId>> {
    let ids: Vec<i64> =
        serde_json::from_str(raw).map_err(|e| StoreError::corrupt("articles.contributors", e))?;
    Ok(ids.into_iter().map(Id::new).collect())
}

pub(crate) fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("lists of strings serialise")
}

impl Row {
    fn into_article(
        self,
        texts: Vec<ArticleText>,
        products: Vec<ArticleProduct>,
    ) -> StoreResult<Article> {
        Ok(Article {
            id: Id::new(self.id),
            status: status_of(&self.status)?,
            visibility: visibility_of(&self.visibility)?,
            alert: self.alert,
            tags: tags_of(&self.tags)?,
            texts,
            products,
            cases: Vec::new(),
            author: NamedRef {
                id: Id::new(self.author_id),
                name: self.author_name.unwrap_or_default(),
            },
            edited_by: named(self.edited_by, self.edited_by_name),
            contributors: contributors_of(&self.contributors)?,
            reviewer: named(self.reviewer_id, self.reviewer_name),
            review_note: Some(self.review_note),
            submitted_at: self.submitted_at.map(Into::into),
            approved_at: self.approved_at.map(Into::into),
            published_at: self.published_at.map(Into::into),
            retired_at: self.retired_at.map(Into::into),
            alert_sent_at: self.alert_sent_at.map(Into::into),
            solved_count: self.solved_count,
            not_solved_count: self.not_solved_count,
            my_feedback: None,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
            version: self.version,
        })
    }
}

/// Locks an article's row for the rest of the transaction (PostgreSQL; SQLite has one writer).
pub async fn lock(db: &mut Db, id: ArticleId) -> StoreResult<()> {
    if db.backend() == crate::Backend::Postgres {
        exec_db!(db, c => sqlx::query("SELECT 1 FROM articles WHERE id = $1 FOR UPDATE")
            .bind(id.get()).execute(c).await)?;
    }
    Ok(())
}

/// Inserts a draft written by `author` (also its last writer and first contributor); returns its
/// id.
pub async fn insert(
    db: &mut Db,
    content: &ArticleContent,
    author: UserId,
    now: Timestamp,
) -> StoreResult<ArticleId> {
    let (id,): (i64,) = on_db!(db, c => sqlx::query_as(
        "INSERT INTO articles (status, visibility, alert, tags, author_id, edited_by, contributors,
             created_at, updated_at)
         VALUES ('draft', $1, $2, $3, $4, $4, $5, $6, $6) RETURNING id")
        .bind(content.visibility.as_str()).bind(content.alert).bind(json(&content.tags))
        .bind(author.get()).bind(json(&[author.get()])).bind(Ts::new(now)).fetch_one(c).await)?;
    let id = Id::new(id);
    write_texts_and_products(db, id, content).await?;
    Ok(id)
}

/// Writes an article's content and status if its stored version is still `version`. Record who
/// changed it with `record_writer`.
pub async fn update(
    db: &mut Db,
    id: ArticleId,
    version: i64,
    content: &ArticleContent,
    status: ArticleStatus,
    now: Timestamp,
) -> StoreResult<()> {
    let changed = exec_db!(db, c => sqlx::query(
        "UPDATE articles SET status = $1, visibility = $2, alert = $3, tags = $4, updated_at = $5,
             version = version + 1
         WHERE id = $6 AND version = $7")
        .bind(status.as_str()).bind(content.visibility.as_str()).bind(content.alert)
        .bind(json(&content.tags)).bind(Ts::new(now)).bind(id.get()).bind(version)
        .execute(c).await)?;
    if changed == 0 {
        return Err(StoreError::StaleVersion);
    }
    exec_db!(db, c => sqlx::query("DELETE FROM article_texts WHERE article_id = $1")
        .bind(id.get()).execute(c).await)?;
    exec_db!(db, c => sqlx::query("DELETE FROM article_products WHERE article_id = $1")
        .bind(id.get()).execute(c).await)?;
    write_texts_and_products(db, id, content).await
}

/// Records that `by` wrote, changed or submitted an article's text: they become its last writer
/// (`edited_by`) and join its contributors, so that they may not review it. Part of the change
/// it records (`update` or a submitting `set_review`): the version does not move again. Lock
/// the article first.
pub async fn record_writer(db: &mut Db, id: ArticleId, by: UserId) -> StoreResult<()> {
    let raw: String = on_db!(db, c => sqlx::query_scalar(
        "SELECT contributors FROM articles WHERE id = $1")
        .bind(id.get()).fetch_one(c).await)?;
    let mut contributors: Vec<i64> = contributors_of(&raw)?.iter().map(|u| u.get()).collect();
    if !contributors.contains(&by.get()) {
        contributors.push(by.get());
    }
    exec_db!(db, c => sqlx::query(
        "UPDATE articles SET edited_by = $1, contributors = $2 WHERE id = $3")
        .bind(by.get()).bind(json(&contributors)).bind(id.get()).execute(c).await)?;
    Ok(())
}

async fn write_texts_and_products(
    db: &mut Db,
    id: ArticleId,
    content: &ArticleContent,
) -> StoreResult<()> {
    for t in &content.texts {
        exec_db!(db, c => sqlx::query(
            "INSERT INTO article_texts (article_id, language, title, symptom, cause, resolution, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(id.get()).bind(t.language.as_str()).bind(&t.title).bind(&t.symptom)
            .bind(&t.cause).bind(&t.resolution).bind(&t.body).execute(c).await)?;
    }
    for p in &content.products {
        exec_db!(db, c => sqlx::query(
            "INSERT INTO article_products (article_id, product_id, versions) VALUES ($1, $2, $3)")
            .bind(id.get()).bind(p.product.id.get()).bind(json(&p.versions)).execute(c).await)?;
    }
    Ok(())
}

/// Writes the lifecycle columns if the stored version is still `version`. Publishing forgets the
/// contributors: what they wrote has now been reviewed (the author and `edited_by` stay).
pub async fn set_review(
    db: &mut Db,
    id: ArticleId,
    version: i64,
    r: &Review,
    now: Timestamp,
) -> StoreResult<()> {
    let changed = exec_db!(db, c => sqlx::query(
        "UPDATE articles SET status = $1, reviewer_id = $2, review_note = $3, submitted_at = $4,
             approved_at = $5, published_at = $6, retired_at = $7, alert_sent_at = $8,
             updated_at = $9, version = version + 1,
             contributors = CASE WHEN $1 = 'published' THEN '[]' ELSE contributors END
         WHERE id = $10 AND version = $11")
        .bind(r.status.as_str()).bind(r.reviewer.map(|u| u.get())).bind(&r.note)
        .bind(r.submitted_at.map(Ts::new)).bind(r.approved_at.map(Ts::new))
        .bind(r.published_at.map(Ts::new)).bind(r.retired_at.map(Ts::new))
        .bind(r.alert_sent_at.map(Ts::new)).bind(Ts::new(now)).bind(id.get()).bind(version)
        .execute(c).await)?;
    if changed == 0 {
        return Err(StoreError::StaleVersion);
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
pub(crate) struct TextRow {
    pub(crate) article_id: i64,
    pub(crate) language: String,
    pub(crate) title: String,
    pub(crate) symptom: String,
    pub(crate) cause: String,
    pub(crate) resolution: String,
    pub(crate) body: String,
}

impl TextRow {
    pub(crate) fn into_text(self) -> StoreResult<ArticleText> {
        Ok(ArticleText {
            language: parse_column("article_texts.language", &self.language, Language::parse)?,
            title: self.title,
            symptom: self.symptom,
            cause: self.cause,
            resolution: self.resolution,
            body: self.body,
            body_html: String::new(),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ProductRow {
    pub(crate) article_id: i64,
    pub(crate) product_id: i64,
    pub(crate) name: String,
    pub(crate) versions: String,
}

impl ProductRow {
    pub(crate) fn into_product(self) -> StoreResult<ArticleProduct> {
        Ok(ArticleProduct {
            product: NamedRef {
                id: Id::new(self.product_id),
                name: self.name,
            },
            versions: serde_json::from_str(&self.versions)
                .map_err(|e| StoreError::corrupt("article_products.versions", e))?,
        })
    }
}

/// Reads an article with its texts and products (`cases` and `my_feedback` are left empty).
pub async fn get(db: &mut Db, id: ArticleId) -> StoreResult<Option<Article>> {
    let sql = format!("{SELECT} WHERE a.id = $1");
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(id.get()).fetch_optional(c).await)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let texts: Vec<TextRow> = on_db!(db, c => sqlx::query_as(
        "SELECT article_id, language, title, symptom, cause, resolution, body
         FROM article_texts WHERE article_id = $1")
        .bind(id.get()).fetch_all(c).await)?;
    let mut texts = texts
        .into_iter()
        .map(TextRow::into_text)
        .collect::<StoreResult<Vec<_>>>()?;
    texts.sort_by_key(|t| t.language);
    let products: Vec<ProductRow> = on_db!(db, c => sqlx::query_as(
        "SELECT ap.article_id, ap.product_id, p.name, ap.versions
         FROM article_products ap JOIN products p ON p.id = ap.product_id
         WHERE ap.article_id = $1 ORDER BY p.name, ap.product_id")
        .bind(id.get()).fetch_all(c).await)?;
    let products = products
        .into_iter()
        .map(ProductRow::into_product)
        .collect::<StoreResult<Vec<_>>>()?;
    row.into_article(texts, products).map(Some)
}

/// Links an article to a case (once).
pub async fn link_case(
    db: &mut Db,
    article: ArticleId,
    case: CaseId,
    by: Option<UserId>,
    now: Timestamp,
) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query(
        "INSERT INTO article_cases (article_id, case_id, linked_at, linked_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (article_id, case_id) DO NOTHING")
        .bind(article.get()).bind(case.get()).bind(Ts::new(now)).bind(by.map(|u| u.get()))
        .execute(c).await)?;
    Ok(())
}

/// A case an article is linked to, with what decides who may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedCase {
    /// Its number.
    pub number: CaseNumber,
    /// Its organisation, opener and contact.
    pub access: CaseAccess,
}

/// Year, sequence, organisation, opener and contact of a linked case.
type LinkedRow = (i64, i64, i64, Option<i64>, Option<i64>);

/// The cases an article is linked to (at most 200), in the order they were linked.
pub async fn linked_cases(db: &mut Db, article: ArticleId) -> StoreResult<Vec<LinkedCase>> {
    let rows: Vec<LinkedRow> = on_db!(db, c => sqlx::query_as(
        "SELECT c.year, c.seq, c.organization_id, c.opened_by, c.contact_id
         FROM article_cases l JOIN cases c ON c.id = l.case_id
         WHERE l.article_id = $1 ORDER BY l.linked_at, c.id LIMIT 200")
        .bind(article.get()).fetch_all(c).await)?;
    rows.into_iter()
        .map(|(year, seq, org, opened_by, contact)| {
            let year = i16::try_from(year).map_err(|e| StoreError::corrupt("cases.year", e))?;
            Ok(LinkedCase {
                number: CaseNumber::new(year, seq)
                    .map_err(|e| StoreError::corrupt("cases.seq", e))?,
                access: CaseAccess {
                    organization: Id::new(org),
                    opened_by: opened_by.map(Id::new),
                    contact: contact.map(Id::new),
                },
            })
        })
        .collect()
}

/// Records a reader's answer to "did this solve your problem?" (one per reader: a changed
/// answer moves the counts). Lock the article first.
pub async fn give_feedback(
    db: &mut Db,
    article: ArticleId,
    user: UserId,
    solved: bool,
    comment: &str,
    now: Timestamp,
) -> StoreResult<()> {
    let before = feedback_of(db, article, user).await?;
    exec_db!(db, c => sqlx::query(
        "INSERT INTO article_feedback (article_id, user_id, solved, comment, at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (article_id, user_id) DO UPDATE
         SET solved = excluded.solved, comment = excluded.comment, at = excluded.at")
        .bind(article.get()).bind(user.get()).bind(solved).bind(comment).bind(Ts::new(now))
        .execute(c).await)?;
    let count = |yes: bool| i64::from(yes);
    let solved_delta = count(solved) - count(before == Some(true));
    let not_solved_delta = count(!solved) - count(before == Some(false));
    if solved_delta != 0 || not_solved_delta != 0 {
        exec_db!(db, c => sqlx::query(
            "UPDATE articles SET solved_count = solved_count + $1, not_solved_count = not_solved_count + $2
             WHERE id = $3")
            .bind(solved_delta).bind(not_solved_delta).bind(article.get()).execute(c).await)?;
    }
    Ok(())
}

/// A reader's answer, if they gave one.
pub async fn feedback_of(
    db: &mut Db,
    article: ArticleId,
    user: UserId,
) -> StoreResult<Option<bool>> {
    Ok(on_db!(db, c => sqlx::query_scalar(
        "SELECT solved FROM article_feedback WHERE article_id = $1 AND user_id = $2")
        .bind(article.get()).bind(user.get()).fetch_optional(c).await)?)
}

/// The text of the solution proposed on a case: the reason of its latest public change to
/// `solution_proposed`, else the latest public reply of staff.
pub async fn solution_of_case(db: &mut Db, case: CaseId) -> StoreResult<Option<String>> {
    let changes: Vec<(Option<String>,)> = on_db!(db, c => sqlx::query_as(
        "SELECT change FROM case_events
         WHERE case_id = $1 AND kind = 'status_change' AND visibility = 'public'
         ORDER BY id DESC LIMIT 50")
        .bind(case.get()).fetch_all(c).await)?;
    for (change,) in changes {
        let Some(change) = change.and_then(|c| serde_json::from_str::<serde_json::Value>(&c).ok())
        else {
            continue;
        };
        if change["to"] == "solution_proposed"
            && let Some(reason) = change["reason"].as_str().filter(|r| !r.trim().is_empty())
        {
            return Ok(Some(reason.to_owned()));
        }
    }
    Ok(on_db!(db, c => sqlx::query_scalar(
        "SELECT e.body FROM case_events e JOIN users u ON u.id = e.actor_id
         WHERE e.case_id = $1 AND e.kind = 'reply' AND e.visibility = 'public'
           AND u.organization_id IS NULL AND e.body IS NOT NULL
         ORDER BY e.id DESC LIMIT 1")
        .bind(case.get()).fetch_optional(c).await)?)
}
