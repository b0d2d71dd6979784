//! The case list with filters, built with sea-query, newest first, paginated by id.

use casebook_domain::case::Case;
use casebook_domain::ids::{OrganizationId, ProductId, UserId};
use casebook_domain::policy::CaseScope;
use casebook_domain::{CaseNumber, Category, Channel, Named, Severity, Status, Tier, Timestamp};
use sea_query::{
    Expr, ExprTrait, Func, JoinType, LikeExpr, Order, PostgresQueryBuilder, Query, SelectStatement,
    SqliteQueryBuilder,
};
use sea_query_sqlx::SqlxBinder;
use sqlx::AssertSqlSafe;

use crate::cases::CaseRow;
use crate::db::{Backend, Db};
use crate::error::StoreResult;
use crate::page::{Page, PageRequest, contains_pattern};
use crate::time::Ts;

/// Who owns the cases to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerFilter {
    /// Cases of this engineer.
    User(UserId),
    /// Cases nobody owns.
    Nobody,
}

/// Filters of the case list; empty sets mean "any".
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Any of these statuses.
    pub statuses: Vec<Status>,
    /// Any of these severities.
    pub severities: Vec<Severity>,
    /// Any of these tiers.
    pub tiers: Vec<Tier>,
    /// Any of these channels.
    pub channels: Vec<Channel>,
    /// Any of these categories.
    pub categories: Vec<Category>,
    /// Only this organisation.
    pub organization: Option<OrganizationId>,
    /// Only this product.
    pub product: Option<ProductId>,
    /// Only this owner, or unowned cases.
    pub owner: Option<OwnerFilter>,
    /// A case number, or text in the title.
    pub q: Option<String>,
    /// Only cases with a running SLA clock due by then (breached ones included): the console's
    /// "breaching soon" queue. Each case counts once, however many of its clocks are due.
    pub due_by: Option<Timestamp>,
}

/// A timestamp written into a statement's text, for conditions built with sea-query (whose
/// values cannot carry the project's timestamp type): epoch milliseconds on SQLite, a
/// `timestamptz` literal on PostgreSQL. The text comes from a parsed `Timestamp`, never from input.
pub(crate) fn ts_literal(backend: Backend, at: Timestamp) -> String {
    let at = Ts::new(at).0;
    match backend {
        Backend::Sqlite => at.as_millisecond().to_string(),
        Backend::Postgres => format!("TIMESTAMPTZ '{at}'"),
    }
}

fn col(name: &'static str) -> Expr {
    Expr::col(("c", name))
}

fn names<T: Named>(values: &[T]) -> Vec<String> {
    values.iter().map(|v| v.as_str().to_owned()).collect()
}

pub(crate) fn build(
    backend: Backend,
    scope: CaseScope,
    filter: &CaseFilter,
    before: Option<i64>,
    limit: i64,
) -> SelectStatement {
    let mut q = Query::select();
    q.expr(Expr::cust(crate::cases::CASE_VIEW_COLUMNS))
        .from_as("cases", "c")
        .join_as(
            JoinType::InnerJoin,
            "organizations",
            "o",
            Expr::cust("o.id = c.organization_id"),
        );

    match scope {
        CaseScope::All => {}
        CaseScope::Organization(org) => {
            q.and_where(col("organization_id").eq(org.get()));
        }
        CaseScope::Requester {
            organization,
            user,
            contact,
        } => {
            q.and_where(col("organization_id").eq(organization.get()));
            let mine = col("opened_by").eq(user.get());
            q.and_where(match contact {
                Some(contact) => mine.or(col("contact_id").eq(contact.get())),
                None => mine,
            });
        }
    }
    if !filter.statuses.is_empty() {
        q.and_where(col("status").is_in(names(&filter.statuses)));
    }
    if !filter.severities.is_empty() {
        q.and_where(col("severity").is_in(filter.severities.iter().map(|s| i64::from(s.level()))));
    }
    if !filter.tiers.is_empty() {
        q.and_where(col("tier").is_in(names(&filter.tiers)));
    }
    if !filter.channels.is_empty() {
        q.and_where(col("channel").is_in(names(&filter.channels)));
    }
    if !filter.categories.is_empty() {
        q.and_where(col("category").is_in(names(&filter.categories)));
    }
    if let Some(org) = filter.organization {
        q.and_where(col("organization_id").eq(org.get()));
    }
    if let Some(product) = filter.product {
        q.and_where(col("product_id").eq(product.get()));
    }
    match filter.owner {
        Some(OwnerFilter::User(user)) => {
            q.and_where(col("owner_id").eq(user.get()));
        }
        Some(OwnerFilter::Nobody) => {
            q.and_where(col("owner_id").is_null());
        }
        None => {}
    }
    if let Some(text) = filter.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        match CaseNumber::parse(text) {
            Ok(number) => {
                q.and_where(col("year").eq(i64::from(number.year())));
                q.and_where(col("seq").eq(number.seq()));
            }
            Err(_) => {
                let pattern = LikeExpr::new(contains_pattern(text)).escape('\\');
                q.and_where(Expr::expr(Func::lower(col("title"))).like(pattern));
            }
        }
    }
    if let Some(until) = filter.due_by {
        // Driven from the running clocks' deadline index, so the count stops early.
        q.and_where(Expr::cust(format!(
            "c.id IN (SELECT k.case_id FROM sla_clocks k WHERE k.state = 'running' AND k.deadline <= {})",
            ts_literal(backend, until)
        )));
    }
    if let Some(before) = before {
        q.and_where(col("id").lt(before));
    }
    q.order_by(("c", "id"), Order::Desc)
        .limit(u64::try_from(limit).unwrap_or(1));
    q
}

/// Lists the cases an actor's scope allows, newest first.
pub async fn list(
    db: &mut Db,
    scope: CaseScope,
    filter: &CaseFilter,
    page: &PageRequest,
) -> StoreResult<Page<Case>> {
    let before: Option<i64> = page.key()?;
    let query = build(db.backend(), scope, filter, before, page.fetch_limit());
    let rows: Vec<CaseRow> = match db.backend() {
        Backend::Sqlite => {
            let (sql, values) = query.build_sqlx(SqliteQueryBuilder);
            on_db!(db, c => sqlx::query_as_with(AssertSqlSafe(sql), values).persistent(false).fetch_all(c).await)?
        }
        Backend::Postgres => {
            let (sql, values) = query.build_sqlx(PostgresQueryBuilder);
            on_db!(db, c => sqlx::query_as_with(AssertSqlSafe(sql), values).persistent(false).fetch_all(c).await)?
        }
    };
    let page = Page::from_rows(rows, page, CaseRow::id);
    let items = page
        .items
        .into_iter()
        .map(CaseRow::into_case)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// Counts the cases of a list, up to `cap` (queues show "999+" above it, so a count never
/// scans a whole large table).
pub async fn count(
    db: &mut Db,
    scope: CaseScope,
    filter: &CaseFilter,
    cap: i64,
) -> StoreResult<i64> {
    let mut query = build(db.backend(), scope, filter, None, cap);
    // Without an order the scan stops at the cap instead of sorting every match first.
    query.clear_selects().clear_order_by().expr(Expr::cust("1"));
    let count: i64 = match db.backend() {
        Backend::Sqlite => {
            let (sql, values) = query.build_sqlx(SqliteQueryBuilder);
            let sql = format!("SELECT COUNT(*) FROM ({sql}) AS t");
            on_db!(db, c => sqlx::query_scalar_with(AssertSqlSafe(sql), values).persistent(false).fetch_one(c).await)?
        }
        Backend::Postgres => {
            let (sql, values) = query.build_sqlx(PostgresQueryBuilder);
            let sql = format!("SELECT COUNT(*) FROM ({sql}) AS t");
            on_db!(db, c => sqlx::query_scalar_with(AssertSqlSafe(sql), values).persistent(false).fetch_one(c).await)?
        }
    };
    Ok(count)
}
