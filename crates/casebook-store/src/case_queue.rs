//! The console's queues: the filtered case list of [`crate::case_list`] with each case's nearest
//! running SLA deadline, newest first (two scalar subqueries per returned row on the clocks'
//! `(case_id, …)` key) or by that deadline, cases without a running clock last: read from the
//! cases when a filter narrows them, otherwise in deadline order from the running clocks'
//! index (see `docs/web.md` and ARCHITECTURE.md, "Queues by deadline").

use casebook_domain::Timestamp;
use casebook_domain::case::Case;
use casebook_domain::policy::CaseScope;
use sea_query::{Expr, JoinType, NullOrdering, Order, PostgresQueryBuilder, SqliteQueryBuilder};
use sea_query_sqlx::SqlxBinder;
use sqlx::AssertSqlSafe;

use crate::case_list::{CaseFilter, build, ts_literal};
use crate::cases::CaseRow;
use crate::db::Backend;
use crate::db::Db;
use crate::error::StoreResult;
use crate::page::{Page, PageRequest};
use crate::time::Ts;

/// The nearest deadline of a case's running clocks.
const NEAREST: &str =
    "(SELECT MIN(k.deadline) FROM sla_clocks k WHERE k.case_id = c.id AND k.state = 'running')";

/// When the clock with the nearest deadline started (for the share of its time that is left).
const NEAREST_STARTED: &str = "(SELECT k.started_at FROM sla_clocks k
    WHERE k.case_id = c.id AND k.state = 'running' AND k.deadline IS NOT NULL
    ORDER BY k.deadline LIMIT 1)";

/// The order of a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueOrder {
    /// Newest case first (the case list's order).
    #[default]
    Newest,
    /// Nearest running SLA deadline first; cases without one last, newest first among them.
    Deadline,
}

/// A case in a queue with its nearest running SLA deadline.
#[derive(Debug, Clone)]
pub struct QueuedCase {
    /// The case.
    pub case: Case,
    /// The nearest deadline of its running clocks, if one runs.
    pub deadline: Option<Timestamp>,
    /// When the clock of that deadline started.
    pub started_at: Option<Timestamp>,
}

#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    case: CaseRow,
    nearest_deadline: Option<Ts>,
    nearest_started: Option<Ts>,
}

/// The running clock `k` is its case's nearest one (ties go to the lower clock id), so the
/// join below yields one row per case.
const IS_NEAREST: &str = "k.case_id = c.id AND k.state = 'running' AND k.deadline IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM sla_clocks k2 WHERE k2.case_id = k.case_id
        AND k2.state = 'running' AND k2.deadline IS NOT NULL
        AND (k2.deadline < k.deadline OR (k2.deadline = k.deadline AND k2.id < k.id)))";

/// Whether a filter narrows the cases by an index of `cases` (an owner, organisation,
/// product or text): then the queue is read from those cases and sorted, which is cheap.
/// Otherwise, by the deadline, it is read in deadline order from the running clocks' index
/// and stops after one page, instead of computing the deadline of every open case.
fn narrow(filter: &CaseFilter) -> bool {
    filter.owner.is_some()
        || filter.organization.is_some()
        || filter.product.is_some()
        || filter.q.as_deref().is_some_and(|q| !q.trim().is_empty())
}

async fn fetch(db: &mut Db, q: &sea_query::SelectStatement) -> StoreResult<Vec<Row>> {
    Ok(match db.backend() {
        Backend::Sqlite => {
            let (sql, values) = q.build_sqlx(SqliteQueryBuilder);
            on_db!(db, c => sqlx::query_as_with(AssertSqlSafe(sql), values).persistent(false).fetch_all(c).await)?
        }
        Backend::Postgres => {
            let (sql, values) = q.build_sqlx(PostgresQueryBuilder);
            on_db!(db, c => sqlx::query_as_with(AssertSqlSafe(sql), values).persistent(false).fetch_all(c).await)?
        }
    })
}

/// Lists a queue: the cases of `filter` that `scope` allows, in `order`, one page. By the
/// deadline, cases with a running clock come first (nearest deadline, then case id), then the
/// others (by case id); a page reads one statement, and a second only when it reaches the
/// cases without a running clock.
pub async fn list(
    db: &mut Db,
    scope: CaseScope,
    filter: &CaseFilter,
    order: QueueOrder,
    page: &PageRequest,
) -> StoreResult<Page<QueuedCase>> {
    let backend = db.backend();
    let rows = match order {
        QueueOrder::Newest => {
            let before: Option<i64> = page.key()?;
            let mut q = build(backend, scope, filter, before, page.fetch_limit());
            with_nearest(&mut q);
            fetch(db, &q).await?
        }
        QueueOrder::Deadline if narrow(filter) => {
            let after: Option<(Option<i64>, i64)> = page.key()?;
            let mut q = build(backend, scope, filter, None, page.fetch_limit());
            q.clear_order_by();
            if let Some(after) = after {
                let condition = match after {
                    (Some(ms), id) => {
                        let at = literal(backend, ms)?;
                        format!(
                            "({NEAREST} IS NULL OR {NEAREST} > {at} OR ({NEAREST} = {at} AND c.id > {id}))"
                        )
                    }
                    (None, id) => format!("({NEAREST} IS NULL AND c.id > {id})"),
                };
                q.and_where(Expr::cust(condition));
            }
            q.order_by_expr_with_nulls(
                Expr::cust("nearest_deadline"),
                Order::Asc,
                NullOrdering::Last,
            )
            .order_by(("c", "id"), Order::Asc);
            with_nearest(&mut q);
            fetch(db, &q).await?
        }
        QueueOrder::Deadline => by_clocks(db, scope, filter, page).await?,
    };
    let page = match order {
        QueueOrder::Newest => Page::from_rows(rows, page, |r| r.case.id()),
        QueueOrder::Deadline => Page::from_rows(rows, page, |r| {
            (
                r.nearest_deadline.map(|d| d.0.as_millisecond()),
                r.case.id(),
            )
        }),
    };
    let items = page
        .items
        .into_iter()
        .map(|r| {
            Ok(QueuedCase {
                case: r.case.into_case()?,
                deadline: r.nearest_deadline.map(|d| d.0),
                started_at: r.nearest_started.map(|d| d.0),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// The deadline order read from the running clocks' deadline index: each case's nearest
/// clock, in deadline order, then (when the page is not full and the filter does not ask for
/// clocks due) the cases without a running clock.
async fn by_clocks(
    db: &mut Db,
    scope: CaseScope,
    filter: &CaseFilter,
    page: &PageRequest,
) -> StoreResult<Vec<Row>> {
    let backend = db.backend();
    let after: Option<(Option<i64>, i64)> = page.key()?;
    let limit = page.fetch_limit();
    let due_by = filter.due_by;
    let without_due = CaseFilter {
        due_by: None,
        ..filter.clone()
    };
    let mut rows = Vec::new();
    if !matches!(after, Some((None, _))) {
        let mut q = build(backend, scope, &without_due, None, limit);
        q.clear_order_by().join_as(
            JoinType::InnerJoin,
            "sla_clocks",
            "k",
            Expr::cust(IS_NEAREST),
        );
        if let Some(until) = due_by {
            q.and_where(Expr::cust(format!(
                "k.deadline <= {}",
                ts_literal(backend, until)
            )));
        }
        if let Some((Some(ms), id)) = after {
            // `>=` first, so that the bound is an index condition on both databases.
            let at = literal(backend, ms)?;
            q.and_where(Expr::cust(format!(
                "k.deadline >= {at} AND (k.deadline > {at} OR c.id > {id})"
            )));
        }
        q.expr(Expr::cust("k.deadline AS nearest_deadline"))
            .expr(Expr::cust("k.started_at AS nearest_started"))
            .order_by(("k", "deadline"), Order::Asc)
            .order_by(("c", "id"), Order::Asc);
        rows = fetch(db, &q).await?;
    }
    let wanted = usize::try_from(limit).unwrap_or(usize::MAX);
    if rows.len() < wanted && due_by.is_none() {
        let after_id = match after {
            Some((None, id)) => Some(id),
            _ => None,
        };
        let missing = limit - i64::try_from(rows.len()).unwrap_or(limit);
        let mut q = build(backend, scope, &without_due, None, missing);
        q.clear_order_by()
            .and_where(Expr::cust(
                "NOT EXISTS (SELECT 1 FROM sla_clocks k WHERE k.case_id = c.id
                    AND k.state = 'running' AND k.deadline IS NOT NULL)",
            ))
            .order_by(("c", "id"), Order::Asc);
        if let Some(id) = after_id {
            q.and_where(Expr::cust(format!("c.id > {id}")));
        }
        q.expr(Expr::cust("NULL AS nearest_deadline"))
            .expr(Expr::cust("NULL AS nearest_started"));
        rows.extend(fetch(db, &q).await?);
    }
    Ok(rows)
}

/// Adds the nearest running deadline and its clock's start to a case query.
fn with_nearest(q: &mut sea_query::SelectStatement) {
    q.expr(Expr::cust(format!("{NEAREST} AS nearest_deadline")))
        .expr(Expr::cust(format!("{NEAREST_STARTED} AS nearest_started")));
}

/// A cursor's deadline as statement text (a cursor is only read, never trusted as SQL).
fn literal(backend: Backend, ms: i64) -> StoreResult<String> {
    let at =
        Timestamp::from_millisecond(ms).map_err(|_| crate::error::StoreError::InvalidCursor)?;
    Ok(ts_literal(backend, at))
}
