//! The rows of exports, read in keyset batches (newest first, `id < before`, no OFFSET), so an
//! export of any size holds one batch at a time: cases through the case list's filters and an
//! opening period, with the names they refer to and their time totals; work entries (a time
//! sheet) with their case, organisation and contract. The SLA clocks of a batch of cases are
//! read by `sla::clocks_of_cases`.

use casebook_domain::Timestamp;
use casebook_domain::ids::{ContractId, OrganizationId, ProductId, UserId};
use casebook_domain::policy::CaseScope;
use sea_query::{
    Expr, ExprTrait, JoinType, Order, PostgresQueryBuilder, Query, SelectStatement,
    SqliteQueryBuilder,
};
use sea_query_sqlx::SqlxBinder;
use sqlx::AssertSqlSafe;

use crate::case_list::{CaseFilter, build, ts_literal};
use crate::db::{Backend, Db};
use crate::error::StoreResult;
use crate::time::Ts;

/// The largest batch an export reads at once.
pub const MAX_BATCH: i64 = 2000;

/// A half-open period of instants: `from` inclusive, `until` exclusive; absent ends are open.
#[derive(Debug, Clone, Copy, Default)]
pub struct Period {
    /// From this instant.
    pub from: Option<Timestamp>,
    /// Before this instant.
    pub until: Option<Timestamp>,
}

/// One case as exported.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseExportRow {
    /// Row id (the keyset).
    pub id: i64,
    /// Year of the case number.
    pub year: i64,
    /// Sequence of the case number.
    pub seq: i64,
    /// Title.
    pub title: String,
    /// The organisation's customer number.
    pub customer_number: String,
    /// The organisation's name.
    pub organization_name: String,
    /// The product's name.
    pub product_name: Option<String>,
    /// The product version.
    pub product_version: Option<String>,
    /// Severity 1–4.
    pub severity: i64,
    /// Status (stable name).
    pub status: String,
    /// Tier (stable name).
    pub tier: String,
    /// Channel (stable name).
    pub channel: String,
    /// Category (stable name).
    pub category: String,
    /// The owner's name.
    pub owner_name: Option<String>,
    /// The contact's name.
    pub contact_name: Option<String>,
    /// Opened.
    pub created_at: Ts,
    /// Closed.
    pub closed_at: Option<Ts>,
    /// The contract the entitlement check found.
    pub contract_number: Option<String>,
    /// The entitlement outcome (stable name).
    pub entitlement_outcome: Option<String>,
    /// The support plan of its clocks.
    pub plan_id: Option<String>,
    /// Billable minutes recorded on it.
    pub billable_minutes: i64,
    /// Minutes recorded that were not billable.
    pub other_minutes: i64,
}

const CASE_COLUMNS: &str = "c.id, c.year, c.seq, c.title, o.customer_number, o.name AS organization_name,
    (SELECT name FROM products WHERE id = c.product_id) AS product_name, c.product_version,
    c.severity, c.status, c.tier, c.channel, c.category,
    (SELECT name FROM users WHERE id = c.owner_id) AS owner_name,
    (SELECT name FROM contacts WHERE id = c.contact_id) AS contact_name,
    c.created_at, c.closed_at,
    (SELECT contract_number FROM contracts WHERE id = c.contract_id) AS contract_number,
    c.entitlement_outcome,
    (SELECT plan_id FROM case_sla WHERE case_id = c.id) AS plan_id,
    CAST(COALESCE((SELECT SUM(w.minutes) FROM work_entries w WHERE w.case_id = c.id AND w.billable), 0) AS BIGINT) AS billable_minutes,
    CAST(COALESCE((SELECT SUM(w.minutes) FROM work_entries w WHERE w.case_id = c.id AND NOT w.billable), 0) AS BIGINT) AS other_minutes";

fn period_on(q: &mut SelectStatement, backend: Backend, column: &str, period: Period) {
    if let Some(from) = period.from {
        q.and_where(Expr::cust(format!(
            "{column} >= {}",
            ts_literal(backend, from)
        )));
    }
    if let Some(until) = period.until {
        q.and_where(Expr::cust(format!(
            "{column} < {}",
            ts_literal(backend, until)
        )));
    }
}

async fn fetch<T>(db: &mut Db, query: &SelectStatement) -> StoreResult<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    match db.backend() {
        Backend::Sqlite => {
            let (sql, values) = query.build_sqlx(SqliteQueryBuilder);
            on_db!(db, c => sqlx::query_as_with(AssertSqlSafe(sql), values).persistent(false).fetch_all(c).await)
        }
        Backend::Postgres => {
            let (sql, values) = query.build_sqlx(PostgresQueryBuilder);
            on_db!(db, c => sqlx::query_as_with(AssertSqlSafe(sql), values).persistent(false).fetch_all(c).await)
        }
    }
}

/// The next batch of cases the scope and filters allow, opened in `opened`, newest first,
/// with ids below `before`; at most `limit` (1–[`MAX_BATCH`]).
pub async fn cases(
    db: &mut Db,
    scope: CaseScope,
    filter: &CaseFilter,
    opened: Period,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<CaseExportRow>> {
    let backend = db.backend();
    let mut q = build(backend, scope, filter, before, limit.clamp(1, MAX_BATCH));
    q.clear_selects().expr(Expr::cust(CASE_COLUMNS));
    period_on(&mut q, backend, "c.created_at", opened);
    fetch(db, &q).await
}

/// Which work entries a time-sheet export holds.
#[derive(Debug, Clone, Default)]
pub struct WorkExportFilter {
    /// One person's.
    pub user: Option<UserId>,
    /// On cases of one organisation.
    pub organization: Option<OrganizationId>,
    /// On cases about one product.
    pub product: Option<ProductId>,
    /// Charged to one contract.
    pub contract: Option<ContractId>,
    /// Only billable (`true`) or only other (`false`) entries.
    pub billable: Option<bool>,
    /// From this day (`YYYY-MM-DD`, the desk's day, inclusive).
    pub from: Option<String>,
    /// Up to this day (inclusive).
    pub to: Option<String>,
}

/// One work entry as exported.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WorkExportRow {
    /// Row id (the keyset).
    pub id: i64,
    /// Year of the case number.
    pub year: i64,
    /// Sequence of the case number.
    pub seq: i64,
    /// The case's title.
    pub title: String,
    /// The organisation's customer number.
    pub customer_number: String,
    /// The organisation's name.
    pub organization_name: String,
    /// Whose time.
    pub user_name: String,
    /// When the work started.
    pub worked_at: Ts,
    /// The desk's day, `YYYY-MM-DD`.
    pub worked_on: String,
    /// Minutes.
    pub minutes: i64,
    /// Activity (stable name).
    pub activity: String,
    /// Billable.
    pub billable: bool,
    /// The contract it was charged to.
    pub contract_number: Option<String>,
    /// Note.
    pub note: String,
    /// How it was recorded (stable name).
    pub source: String,
}

fn w(name: &'static str) -> Expr {
    Expr::col(("w", name))
}

/// The next batch of work entries, newest first, with ids below `before`; at most `limit`.
pub async fn work(
    db: &mut Db,
    filter: &WorkExportFilter,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<WorkExportRow>> {
    let mut q = Query::select();
    q.expr(Expr::cust(
        "w.id, c.year, c.seq, c.title, o.customer_number, o.name AS organization_name,
         u.name AS user_name, w.worked_at, w.worked_on, w.minutes, w.activity, w.billable,
         (SELECT contract_number FROM contracts WHERE id = w.contract_id) AS contract_number,
         w.note, w.source",
    ))
    .from_as("work_entries", "w")
    .join_as(
        JoinType::InnerJoin,
        "cases",
        "c",
        Expr::cust("c.id = w.case_id"),
    )
    .join_as(
        JoinType::InnerJoin,
        "organizations",
        "o",
        Expr::cust("o.id = c.organization_id"),
    )
    .join_as(
        JoinType::InnerJoin,
        "users",
        "u",
        Expr::cust("u.id = w.user_id"),
    );
    if let Some(user) = filter.user {
        q.and_where(w("user_id").eq(user.get()));
    }
    if let Some(org) = filter.organization {
        q.and_where(Expr::col(("c", "organization_id")).eq(org.get()));
    }
    if let Some(product) = filter.product {
        q.and_where(Expr::col(("c", "product_id")).eq(product.get()));
    }
    if let Some(contract) = filter.contract {
        q.and_where(w("contract_id").eq(contract.get()));
    }
    if let Some(billable) = filter.billable {
        q.and_where(Expr::cust(if billable {
            "w.billable"
        } else {
            "NOT w.billable"
        }));
    }
    if let Some(from) = &filter.from {
        q.and_where(w("worked_on").gte(from.clone()));
    }
    if let Some(to) = &filter.to {
        q.and_where(w("worked_on").lte(to.clone()));
    }
    if let Some(before) = before {
        q.and_where(w("id").lt(before));
    }
    q.order_by(("w", "id"), Order::Desc)
        .limit(u64::try_from(limit.clamp(1, MAX_BATCH)).unwrap_or(1));
    fetch(db, &q).await
}
