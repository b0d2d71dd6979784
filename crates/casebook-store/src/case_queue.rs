//! The console's queues: the filtered case list of [`crate::case_list`] with each case's nearest
//! running SLA deadline, in one statement (two scalar subqueries per returned row on the clocks'
//! `(case_id, …)` key), newest first or by that deadline (cases without a running clock last).

use casebook_domain::Timestamp;
use casebook_domain::case::Case;
use casebook_domain::policy::CaseScope;
use sea_query::{Expr, NullOrdering, Order, PostgresQueryBuilder, SqliteQueryBuilder};
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

/// Lists a queue: the cases of `filter` that `scope` allows, in `order`, one page.
pub async fn list(
    db: &mut Db,
    scope: CaseScope,
    filter: &CaseFilter,
    order: QueueOrder,
    page: &PageRequest,
) -> StoreResult<Page<QueuedCase>> {
    let backend = db.backend();
    let mut q;
    match order {
        QueueOrder::Newest => {
            let before: Option<i64> = page.key()?;
            q = build(backend, scope, filter, before, page.fetch_limit());
        }
        QueueOrder::Deadline => {
            let after: Option<(Option<i64>, i64)> = page.key()?;
            q = build(backend, scope, filter, None, page.fetch_limit());
            q.clear_order_by();
            if let Some((deadline, id)) = after {
                let condition = match deadline.and_then(|ms| Timestamp::from_millisecond(ms).ok()) {
                    Some(at) => {
                        let at = ts_literal(backend, at);
                        format!(
                            "({NEAREST} IS NULL OR {NEAREST} > {at} OR ({NEAREST} = {at} AND c.id > {id}))"
                        )
                    }
                    None => format!("({NEAREST} IS NULL AND c.id > {id})"),
                };
                q.and_where(Expr::cust(condition));
            }
            q.order_by_expr_with_nulls(
                Expr::cust("nearest_deadline"),
                Order::Asc,
                NullOrdering::Last,
            )
            .order_by(("c", "id"), Order::Asc);
        }
    }
    q.expr(Expr::cust(format!("{NEAREST} AS nearest_deadline")))
        .expr(Expr::cust(format!("{NEAREST_STARTED} AS nearest_started")));
    let rows: Vec<Row> = match backend {
        Backend::Sqlite => {
            let (sql, values) = q.build_sqlx(SqliteQueryBuilder);
            on_db!(db, c => sqlx::query_as_with(AssertSqlSafe(sql), values).persistent(false).fetch_all(c).await)?
        }
        Backend::Postgres => {
            let (sql, values) = q.build_sqlx(PostgresQueryBuilder);
            on_db!(db, c => sqlx::query_as_with(AssertSqlSafe(sql), values).persistent(false).fetch_all(c).await)?
        }
    };
    let page = match order {
        QueueOrder::Newest => Page::from_rows(rows, page, |r| r.case.id()),
        QueueOrder::Deadline => Page::from_rows(rows, page, |r| {
            (r.nearest_deadline.map(|d| d.0.as_millisecond()), r.case.id())
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

/// The statement of a queue page, for the query plans in the tests and benchmarks.
pub fn statement(backend: Backend, filter: &CaseFilter, order: QueueOrder) -> String {
    let mut q = build(backend, CaseScope::All, filter, None, 51);
    if order == QueueOrder::Deadline {
        q.clear_order_by()
            .order_by_expr_with_nulls(Expr::cust("nearest_deadline"), Order::Asc, NullOrdering::Last)
            .order_by(("c", "id"), Order::Asc);
    }
    q.expr(Expr::cust(format!("{NEAREST} AS nearest_deadline")));
    match backend {
        Backend::Sqlite => q.to_string(SqliteQueryBuilder),
        Backend::Postgres => q.to_string(PostgresQueryBuilder),
    }
}
