//! Lists of knowledge articles: filtered by status, visibility, product, language and tag, in
//! the order of their last change or of how often they solved a problem, paged by key; and the
//! articles linked to a case. Customers' lists hold only published articles meant for them.

use casebook_domain::case::NamedRef;
use casebook_domain::ids::{CaseId, Id, ProductId};
use casebook_domain::knowledge::{
    ArticleStatus, ArticleSummary, ArticleTitle, ArticleVisibility, Language,
};
use casebook_domain::{Named, Timestamp};

use crate::articles::{ProductRow, TextRow, json, status_of, tags_of, visibility_of};
use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::page::{Page, PageRequest, contains_pattern};
use crate::rows::parse_column;
use crate::time::Ts;

/// The order of an article list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArticleSort {
    /// Last changed first.
    #[default]
    Updated,
    /// Most often solved a problem first.
    Solved,
}

/// Which articles to list.
#[derive(Debug, Clone, Default)]
pub struct ArticleFilter {
    /// Only published articles that customers may read.
    pub customers_only: bool,
    /// In this status.
    pub status: Option<ArticleStatus>,
    /// Of this visibility.
    pub visibility: Option<ArticleVisibility>,
    /// Applying to this product.
    pub product: Option<ProductId>,
    /// With a text in this language.
    pub language: Option<Language>,
    /// With this tag (lower-case).
    pub tag: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    status: String,
    visibility: String,
    alert: bool,
    tags: String,
    solved_count: i64,
    not_solved_count: i64,
    published_at: Option<Ts>,
    updated_at: Ts,
    version: i64,
}

const SUMMARY: &str = "SELECT a.id, a.status, a.visibility, a.alert, a.tags, a.solved_count,
        a.not_solved_count, a.published_at, a.updated_at, a.version FROM articles a";

/// The condition that keeps what customers may read.
const FOR_CUSTOMERS: &str = "a.status = 'published' AND a.visibility IN ('customers', 'public')";

/// A value bound into a list statement built from its filters.
enum Arg {
    Int(i64),
    Text(String),
    Time(Ts),
}

macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for arg in $args {
            q = match arg {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
                Arg::Time(v) => q.bind(*v),
            };
        }
        q
    }};
}

/// Lists articles, newest change or most solved first. The statement names only the filters
/// given (SQLite plans once per text) and is planned with its values on PostgreSQL.
pub async fn list(
    db: &mut Db,
    filter: &ArticleFilter,
    sort: ArticleSort,
    page: &PageRequest,
) -> StoreResult<Page<ArticleSummary>> {
    let mut conds: Vec<String> = Vec::new();
    let mut args: Vec<Arg> = Vec::new();
    let mut push = |cond: &str, arg: Arg, args: &mut Vec<Arg>| {
        args.push(arg);
        conds.push(cond.replace('?', &format!("${}", args.len())));
    };
    if let Some(status) = filter.status {
        push("a.status = ?", Arg::Text(status.as_str().into()), &mut args);
    }
    if let Some(visibility) = filter.visibility {
        push(
            "a.visibility = ?",
            Arg::Text(visibility.as_str().into()),
            &mut args,
        );
    }
    if let Some(product) = filter.product {
        push(
            "EXISTS (SELECT 1 FROM article_products ap WHERE ap.article_id = a.id AND ap.product_id = ?)",
            Arg::Int(product.get()),
            &mut args,
        );
    }
    if let Some(language) = filter.language {
        push(
            "EXISTS (SELECT 1 FROM article_texts t WHERE t.article_id = a.id AND t.language = ?)",
            Arg::Text(language.as_str().into()),
            &mut args,
        );
    }
    if let Some(tag) = &filter.tag {
        push(
            "a.tags LIKE ? ESCAPE '\\'",
            Arg::Text(contains_pattern(&json(&tag.to_lowercase()))),
            &mut args,
        );
    }
    let (column, tag) = match sort {
        ArticleSort::Updated => ("a.updated_at", "updated"),
        ArticleSort::Solved => ("a.solved_count", "solved"),
    };
    if let Some((key_sort, value, id)) = page.key::<(String, i64, i64)>()? {
        if key_sort != tag {
            return Err(StoreError::InvalidCursor);
        }
        let value = match sort {
            ArticleSort::Updated => Arg::Time(Ts(
                Timestamp::from_millisecond(value).map_err(|_| StoreError::InvalidCursor)?
            )),
            ArticleSort::Solved => Arg::Int(value),
        };
        args.push(value);
        args.push(Arg::Int(id));
        let (v, i) = (args.len() - 1, args.len());
        conds.push(format!(
            "({column} < ${v} OR ({column} = ${v} AND a.id < ${i}))"
        ));
    }
    if filter.customers_only {
        conds.push(FOR_CUSTOMERS.into());
    }
    args.push(Arg::Int(page.fetch_limit()));
    let limit = args.len();
    let condition = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    let sql = format!("{SUMMARY} {condition} ORDER BY {column} DESC, a.id DESC LIMIT ${limit}");
    let rows: Vec<SummaryRow> = on_db!(db, c => bind_args!(
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).persistent(false), &args)
        .fetch_all(c).await)?;
    let page = Page::from_rows(rows, page, |r| match sort {
        ArticleSort::Updated => (tag.to_owned(), r.updated_at.0.as_millisecond(), r.id),
        ArticleSort::Solved => (tag.to_owned(), r.solved_count, r.id),
    });
    let items = summaries(db, page.items).await?;
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// The articles linked to a case, newest first (`customers_only`: those customers may read).
pub async fn of_case(
    db: &mut Db,
    case: CaseId,
    customers_only: bool,
    page: &PageRequest,
) -> StoreResult<Page<ArticleSummary>> {
    let before: Option<i64> = page.key()?;
    let scope = if customers_only {
        FOR_CUSTOMERS
    } else {
        "TRUE"
    };
    let sql = format!(
        "{SUMMARY} JOIN article_cases l ON l.article_id = a.id
         WHERE l.case_id = $1 AND {scope} AND ($2 IS NULL OR a.id < $2)
         ORDER BY a.id DESC LIMIT $3"
    );
    let rows: Vec<SummaryRow> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .persistent(false).bind(case.get()).bind(before).bind(page.fetch_limit())
        .fetch_all(c).await)?;
    let page = Page::from_rows(rows, page, |r| r.id);
    let items = summaries(db, page.items).await?;
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// Adds the titles and product names of a page of articles (two statements for the page).
async fn summaries(db: &mut Db, rows: Vec<SummaryRow>) -> StoreResult<Vec<ArticleSummary>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let marks = marks.join(", ");
    macro_rules! bind_ids {
        ($q:expr) => {{
            let mut q = $q;
            for id in &ids {
                q = q.bind(*id);
            }
            q
        }};
    }
    let sql = format!(
        "SELECT article_id, language, title, '' AS symptom, '' AS cause, '' AS resolution, '' AS body
         FROM article_texts WHERE article_id IN ({marks})"
    );
    let texts: Vec<TextRow> = on_db!(db, c => bind_ids!(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).persistent(false))
        .fetch_all(c).await)?;
    let sql = format!(
        "SELECT ap.article_id, ap.product_id, p.name, ap.versions
         FROM article_products ap JOIN products p ON p.id = ap.product_id
         WHERE ap.article_id IN ({marks}) ORDER BY p.name, ap.product_id"
    );
    let products: Vec<ProductRow> = on_db!(db, c => bind_ids!(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).persistent(false))
        .fetch_all(c).await)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut titles = Vec::new();
        for t in texts.iter().filter(|t| t.article_id == r.id) {
            titles.push(ArticleTitle {
                language: parse_column("article_texts.language", &t.language, Language::parse)?,
                title: t.title.clone(),
            });
        }
        titles.sort_by_key(|t| t.language);
        out.push(ArticleSummary {
            id: Id::new(r.id),
            status: status_of(&r.status)?,
            visibility: visibility_of(&r.visibility)?,
            alert: r.alert,
            tags: tags_of(&r.tags)?,
            titles,
            products: products
                .iter()
                .filter(|p| p.article_id == r.id)
                .map(|p| NamedRef {
                    id: Id::new(p.product_id),
                    name: p.name.clone(),
                })
                .collect(),
            solved_count: r.solved_count,
            not_solved_count: r.not_solved_count,
            published_at: r.published_at.map(Into::into),
            updated_at: r.updated_at.0,
            version: r.version,
        });
    }
    Ok(out)
}
