//! What the managers' dashboard reads: cases by the filters shown (organisation, product, the
//! owner's team), aggregated in SQL where a period holds many rows (volumes, open cases per
//! owner, minutes worked), and the bounded histories the domain counts the backlog from. The
//! filters' ids are written into the statement text (SQLite plans once per text, see
//! ARCHITECTURE.md); text is bound. Clocks and stretches are in `dashboard_clocks`.

use casebook_domain::Timestamp;
use casebook_domain::ids::{OrganizationId, ProductId};
use casebook_domain::reporting::backlog::{CaseHistory, Change};
use casebook_domain::{Named, Severity, Status};

use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::rows::parse_column;
use crate::time::Ts;

/// The most rows one dashboard statement reads; more is refused (narrow the filters).
pub const ROW_CAP: usize = 200_000;

/// Which cases a dashboard counts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope<'a> {
    /// One organisation's.
    pub organization: Option<OrganizationId>,
    /// One product's.
    pub product: Option<ProductId>,
    /// Those whose owner is in this team.
    pub team: Option<&'a str>,
}

impl Scope<'_> {
    /// The conditions on the cases `c` (each starting with ` AND`); the team, if any, is bound
    /// as `$n`.
    pub(crate) fn conditions(&self, n: usize) -> String {
        let mut out = String::new();
        if let Some(org) = self.organization {
            out.push_str(&format!(" AND c.organization_id = {}", org.get()));
        }
        if let Some(product) = self.product {
            out.push_str(&format!(" AND c.product_id = {}", product.get()));
        }
        if self.team.is_some() {
            out.push_str(&format!(
                " AND c.owner_id IN (SELECT tu.id FROM users tu WHERE tu.team = ${n})"
            ));
        }
        out
    }
}

/// `None` for a result past the cap.
pub(crate) fn capped<T>(rows: Vec<T>) -> Option<Vec<T>> {
    (rows.len() <= ROW_CAP).then_some(rows)
}

/// Binds the scope's team if it has one.
macro_rules! bind_team {
    ($q:expr, $scope:expr) => {
        match $scope.team {
            Some(team) => $q.bind(team.to_owned()),
            None => $q,
        }
    };
}
pub(crate) use bind_team;

const OPEN_DURING: &str = "c.created_at < $2 AND (c.status NOT IN ('closed', 'cancelled') OR c.closed_at IS NULL OR c.closed_at >= $1)";

#[derive(sqlx::FromRow)]
struct CaseRow {
    id: i64,
    created_at: Ts,
    severity: i64,
    status: String,
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    case_id: i64,
    at: Ts,
    kind: String,
    change: Option<String>,
    /// For a merge: the change of the last status change before it.
    prior: Option<String>,
}

/// The cases that may have been open at some instant from `first` to `last`, with their
/// changes of severity and status from `first` on (the earlier ones do not matter then);
/// `None` past [`ROW_CAP`] cases or changes.
pub async fn backlog_histories(
    db: &mut Db,
    scope: &Scope<'_>,
    first: Timestamp,
    last: Timestamp,
) -> StoreResult<Option<Vec<CaseHistory>>> {
    let filter = scope.conditions(3);
    let cases_sql = format!(
        "SELECT c.id, c.created_at, c.severity, c.status FROM cases c WHERE {OPEN_DURING}{filter} ORDER BY c.id LIMIT {}",
        ROW_CAP + 1
    );
    let rows: Vec<CaseRow> = on_db!(db, c => bind_team!(sqlx::query_as(sqlx::AssertSqlSafe(cases_sql.clone()))
        .persistent(false).bind(Ts::new(first)).bind(Ts::new(last)), scope).fetch_all(c).await)?;
    let Some(rows) = capped(rows) else {
        return Ok(None);
    };
    let changes_sql = format!(
        "SELECT e.case_id, e.at, e.kind, e.change,
            CASE WHEN e.kind = 'merged' THEN (SELECT p.change FROM case_events p
                WHERE p.case_id = e.case_id AND p.kind = 'status_change' AND p.id < e.id
                ORDER BY p.id DESC LIMIT 1) END AS prior
         FROM case_events e JOIN cases c ON c.id = e.case_id
         WHERE e.kind IN ('status_change', 'severity_change', 'merged') AND e.at >= $1 AND {OPEN_DURING}{filter}
         ORDER BY e.case_id, e.id LIMIT {}",
        ROW_CAP + 1
    );
    let changes: Vec<ChangeRow> = on_db!(db, c => bind_team!(sqlx::query_as(sqlx::AssertSqlSafe(changes_sql.clone()))
        .persistent(false).bind(Ts::new(first)).bind(Ts::new(last)), scope).fetch_all(c).await)?;
    let Some(changes) = capped(changes) else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(rows.len());
    let mut next = changes.into_iter().peekable();
    for row in rows {
        let mut history = CaseHistory {
            created_at: row.created_at.0,
            severity: Severity::from_level(row.severity)
                .map_err(|_| StoreError::Corrupt(format!("case severity {}", row.severity)))?,
            status: parse_column("cases.status", &row.status, Status::parse)?,
            changes: Vec::new(),
        };
        while let Some(ch) = next.next_if(|ch| ch.case_id <= row.id) {
            if ch.case_id == row.id
                && let Some(change) = change_of(&ch)?
            {
                history.changes.push((ch.at.0, change));
            }
        }
        out.push(history);
    }
    Ok(Some(out))
}

/// A change as stored. A merge closes the duplicate without a status change: it left the
/// status its last status change left it in (new if none did, or if that change moved to the
/// survivor with the rest of its timeline).
fn change_of(ch: &ChangeRow) -> StoreResult<Option<Change>> {
    let corrupt = || StoreError::Corrupt(format!("case event change of case {}", ch.case_id));
    let parse = |text: &str| -> StoreResult<serde_json::Value> {
        serde_json::from_str(text).map_err(|_| corrupt())
    };
    let status = |v: &serde_json::Value| {
        v.as_str()
            .and_then(|s| Status::parse(s).ok())
            .ok_or_else(corrupt)
    };
    let severity = |v: &serde_json::Value| {
        v.as_i64()
            .and_then(|l| Severity::from_level(l).ok())
            .ok_or_else(corrupt)
    };
    let Some(text) = &ch.change else {
        return Ok(None);
    };
    let value = parse(text)?;
    Ok(match ch.kind.as_str() {
        "merged" if value["role"] == "merged_into" => {
            let before = match &ch.prior {
                Some(prior) => status(&parse(prior)?["to"])?,
                None => Status::New,
            };
            Some(Change::Status(before, Status::Closed))
        }
        "merged" => None,
        "severity_change" => Some(Change::Severity(
            severity(&value["from"])?,
            severity(&value["to"])?,
        )),
        _ => Some(Change::Status(
            status(&value["from"])?,
            status(&value["to"])?,
        )),
    })
}

/// What the volume of new cases is grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolumeBy {
    /// The channel (its stable name).
    Channel,
    /// The product (its name; none for cases without one).
    Product,
    /// The organisation (its name).
    Organization,
}

/// Cases opened from `start` until `end`, counted per channel, product or organisation, most
/// first: `(name, count)`.
pub async fn volume(
    db: &mut Db,
    scope: &Scope<'_>,
    by: VolumeBy,
    start: Timestamp,
    end: Timestamp,
) -> StoreResult<Vec<(Option<String>, i64)>> {
    let (name, join, group) = match by {
        VolumeBy::Channel => ("c.channel", "", "c.channel"),
        VolumeBy::Product => (
            "p.name",
            " LEFT JOIN products p ON p.id = c.product_id",
            "c.product_id, p.name",
        ),
        VolumeBy::Organization => (
            "o.name",
            " JOIN organizations o ON o.id = c.organization_id",
            "c.organization_id, o.name",
        ),
    };
    let sql = format!(
        "SELECT {name} AS name, COUNT(*) AS n FROM cases c{join}
         WHERE c.created_at >= $1 AND c.created_at < $2{filter}
         GROUP BY {group} ORDER BY n DESC, COALESCE({name}, '') LIMIT 1000",
        filter = scope.conditions(3)
    );
    let rows: Vec<(Option<String>, i64)> = on_db!(db, c => bind_team!(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .persistent(false).bind(Ts::new(start)).bind(Ts::new(end)), scope).fetch_all(c).await)?;
    Ok(rows)
}

/// One person's workload: open cases they own now and minutes they worked in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// Their name.
    pub name: String,
    /// Open cases they own.
    pub open_cases: i64,
    /// Minutes they recorded on the cases in scope.
    pub minutes: i64,
}

/// Open cases per owner now, and minutes worked per person on days `from`..=`to`
/// (`YYYY-MM-DD`), by name (at most 1,000 people).
pub async fn workload(
    db: &mut Db,
    scope: &Scope<'_>,
    from: &str,
    to: &str,
) -> StoreResult<Vec<Workload>> {
    let open_sql = format!(
        "SELECT c.owner_id, u.name, COUNT(*) FROM cases c JOIN users u ON u.id = c.owner_id
         WHERE c.status NOT IN ('closed', 'cancelled'){filter}
         GROUP BY c.owner_id, u.name LIMIT 1000",
        filter = scope.conditions(1)
    );
    let open: Vec<(i64, String, i64)> = on_db!(db, c => bind_team!(sqlx::query_as(sqlx::AssertSqlSafe(open_sql.clone()))
        .persistent(false), scope).fetch_all(c).await)?;
    let work_sql = format!(
        "SELECT w.user_id, u.name, CAST(SUM(w.minutes) AS BIGINT) FROM work_entries w
         JOIN cases c ON c.id = w.case_id JOIN users u ON u.id = w.user_id
         WHERE w.worked_on >= $1 AND w.worked_on <= $2{filter}
         GROUP BY w.user_id, u.name LIMIT 1000",
        filter = scope.conditions(3)
    );
    let worked: Vec<(i64, String, i64)> = on_db!(db, c => bind_team!(sqlx::query_as(sqlx::AssertSqlSafe(work_sql.clone()))
        .persistent(false).bind(from).bind(to), scope).fetch_all(c).await)?;
    let mut out: Vec<(i64, Workload)> = open
        .into_iter()
        .map(|(id, name, n)| {
            (
                id,
                Workload {
                    name,
                    open_cases: n,
                    minutes: 0,
                },
            )
        })
        .collect();
    for (id, name, minutes) in worked {
        match out.iter_mut().find(|(i, _)| *i == id) {
            Some((_, w)) => w.minutes = minutes,
            None => out.push((
                id,
                Workload {
                    name,
                    open_cases: 0,
                    minutes,
                },
            )),
        }
    }
    let mut out: Vec<Workload> = out.into_iter().map(|(_, w)| w).collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}
