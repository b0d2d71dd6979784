//! Work entries (工时): the minutes someone spent on a case. A contract's bank is the sum of the
//! billable entries charged to it; months are the prefix of `worked_on` (the desk's day).

use casebook_domain::Named;
use casebook_domain::Timestamp;
use casebook_domain::case::NamedRef;
use casebook_domain::ids::{CaseId, ContractId, Id, UserId};
use casebook_domain::work::{Activity, CaseMinutes, MonthUsage, WorkEntry, WorkSource};

use crate::db::Db;
use crate::error::StoreResult;
use crate::page::{Page, PageRequest};
use crate::rows::parse_column;
use crate::time::Ts;

/// A work entry to insert.
#[derive(Debug, Clone)]
pub struct NewWork<'a> {
    /// The case.
    pub case_id: CaseId,
    /// Who did the work.
    pub user_id: UserId,
    /// The contract the case is charged to.
    pub contract_id: Option<ContractId>,
    /// When the work started.
    pub worked_at: Timestamp,
    /// Its day in the desk's time zone, `YYYY-MM-DD`.
    pub worked_on: &'a str,
    /// Minutes.
    pub minutes: i64,
    /// Activity.
    pub activity: Activity,
    /// Billable.
    pub billable: bool,
    /// Note.
    pub note: &'a str,
    /// How it was recorded.
    pub source: WorkSource,
    /// For automatic entries: what it was recorded from (unique).
    pub source_key: Option<&'a str>,
    /// Who recorded it.
    pub created_by: Option<UserId>,
}

/// Inserts an entry; `None` when an entry with the same `source_key` exists already.
pub async fn insert(db: &mut Db, w: &NewWork<'_>, now: Timestamp) -> StoreResult<Option<i64>> {
    let id: Option<(i64,)> = on_db!(db, c => sqlx::query_as(
        "INSERT INTO work_entries (case_id, user_id, contract_id, worked_at, worked_on, minutes, activity,
                                   billable, note, source, source_key, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (source_key) DO NOTHING RETURNING id")
        .bind(w.case_id.get()).bind(w.user_id.get()).bind(w.contract_id.map(|c| c.get()))
        .bind(Ts::new(w.worked_at)).bind(w.worked_on).bind(w.minutes).bind(w.activity.as_str())
        .bind(w.billable).bind(w.note).bind(w.source.as_str()).bind(w.source_key)
        .bind(w.created_by.map(|u| u.get())).bind(Ts::new(now)).fetch_optional(c).await)?;
    Ok(id.map(|(id,)| id))
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    case_id: i64,
    year: i64,
    seq: i64,
    user_id: i64,
    user_name: String,
    contract_id: Option<i64>,
    worked_at: Ts,
    worked_on: String,
    minutes: i64,
    activity: String,
    billable: bool,
    note: String,
    source: String,
    created_at: Ts,
}

impl Row {
    fn entry(self) -> StoreResult<(CaseId, WorkEntry)> {
        Ok((
            Id::new(self.case_id),
            WorkEntry {
                id: self.id,
                case_number: format!("{}-{:05}", self.year, self.seq),
                user: NamedRef {
                    id: Id::new(self.user_id),
                    name: self.user_name,
                },
                worked_at: self.worked_at.0,
                worked_on: self.worked_on,
                minutes: self.minutes,
                activity: parse_column("work_entries.activity", &self.activity, Activity::parse)?,
                billable: self.billable,
                note: self.note,
                source: parse_column("work_entries.source", &self.source, WorkSource::parse)?,
                contract_id: self.contract_id.map(Id::new),
                created_at: self.created_at.0,
            },
        ))
    }
}

const SELECT: &str =
    "SELECT w.id, w.case_id, c.year, c.seq, w.user_id, u.name AS user_name, w.contract_id,
        w.worked_at, w.worked_on, w.minutes, w.activity, w.billable, w.note, w.source, w.created_at
     FROM work_entries w JOIN cases c ON c.id = w.case_id JOIN users u ON u.id = w.user_id";

/// One entry with its case.
pub async fn get(db: &mut Db, id: i64) -> StoreResult<Option<(CaseId, WorkEntry)>> {
    let sql = format!("{SELECT} WHERE w.id = $1");
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(id).fetch_optional(c).await)?;
    row.map(Row::entry).transpose()
}

/// Deletes an entry; true if it existed.
pub async fn delete(db: &mut Db, id: i64) -> StoreResult<bool> {
    let n = exec_db!(db, c => sqlx::query("DELETE FROM work_entries WHERE id = $1")
        .bind(id).execute(c).await)?;
    Ok(n == 1)
}

/// Which entries a list holds.
#[derive(Debug, Clone, Default)]
pub struct WorkFilter {
    /// One case's.
    pub case: Option<CaseId>,
    /// One person's.
    pub user: Option<UserId>,
    /// One contract's.
    pub contract: Option<ContractId>,
    /// From this day (`YYYY-MM-DD`, inclusive).
    pub from: Option<String>,
    /// Up to this day (inclusive).
    pub to: Option<String>,
}

/// Entries, newest first (by id), keyset-paginated.
pub async fn list(
    db: &mut Db,
    filter: &WorkFilter,
    page: &PageRequest,
) -> StoreResult<Page<WorkEntry>> {
    let before: Option<i64> = page.key()?;
    let sql = format!(
        "{SELECT} WHERE ($1 IS NULL OR w.case_id = $1) AND ($2 IS NULL OR w.user_id = $2)
           AND ($3 IS NULL OR w.contract_id = $3) AND ($4 IS NULL OR w.worked_on >= $4)
           AND ($5 IS NULL OR w.worked_on <= $5) AND ($6 IS NULL OR w.id < $6)
         ORDER BY w.id DESC LIMIT $7"
    );
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).persistent(false)
        .bind(filter.case.map(|i| i.get())).bind(filter.user.map(|i| i.get()))
        .bind(filter.contract.map(|i| i.get())).bind(filter.from.as_deref()).bind(filter.to.as_deref())
        .bind(before).bind(page.fetch_limit()).fetch_all(c).await)?;
    let page = Page::from_rows(rows, page, |r| r.id);
    let items = page
        .items
        .into_iter()
        .map(|r| r.entry().map(|(_, e)| e))
        .collect::<StoreResult<_>>()?;
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// A case's total minutes: `(billable, not billable)`.
pub async fn case_totals(db: &mut Db, case: CaseId) -> StoreResult<(i64, i64)> {
    let row: (i64, i64) = on_db!(db, c => sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(CASE WHEN billable THEN minutes ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN billable THEN 0 ELSE minutes END), 0) AS BIGINT)
         FROM work_entries WHERE case_id = $1")
        .bind(case.get()).fetch_one(c).await)?;
    Ok(row)
}

/// A contract's minutes by month (`YYYY-MM`), oldest first; incidents are filled in by the caller.
pub async fn contract_months(db: &mut Db, contract: ContractId) -> StoreResult<Vec<MonthUsage>> {
    let rows: Vec<(String, i64, i64)> = on_db!(db, c => sqlx::query_as(
        "SELECT SUBSTR(worked_on, 1, 7) AS month,
                CAST(SUM(CASE WHEN billable THEN minutes ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN billable THEN 0 ELSE minutes END) AS BIGINT)
         FROM work_entries WHERE contract_id = $1
         GROUP BY SUBSTR(worked_on, 1, 7) ORDER BY month")
        .bind(contract.get()).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(month, billable_minutes, other_minutes)| MonthUsage {
            month,
            billable_minutes,
            other_minutes,
            incidents: 0,
        })
        .collect())
}

/// When each case charged to a contract was opened (at most 100,000, oldest first).
pub async fn contract_case_openings(
    db: &mut Db,
    contract: ContractId,
) -> StoreResult<Vec<Timestamp>> {
    let rows: Vec<(Ts,)> = on_db!(db, c => sqlx::query_as(
        "SELECT created_at FROM cases WHERE contract_id = $1 AND entitlement_outcome = 'entitled'
         ORDER BY created_at LIMIT 100000")
        .bind(contract.get()).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|(t,)| t.0).collect())
}

/// The cases whose billable time a contract's bank paid for between two days (inclusive), the
/// newest case first, at most 200.
pub async fn contract_cases(
    db: &mut Db,
    contract: ContractId,
    from: &str,
    to: &str,
) -> StoreResult<Vec<CaseMinutes>> {
    let rows: Vec<(i64, i64, String, i64)> = on_db!(db, c => sqlx::query_as(
        "SELECT c.year, c.seq, c.title, CAST(SUM(w.minutes) AS BIGINT)
         FROM work_entries w JOIN cases c ON c.id = w.case_id
         WHERE w.contract_id = $1 AND w.billable AND w.worked_on >= $2 AND w.worked_on <= $3
         GROUP BY c.id, c.year, c.seq, c.title ORDER BY c.year DESC, c.seq DESC LIMIT 200")
        .bind(contract.get()).bind(from).bind(to).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(year, seq, title, billable_minutes)| CaseMinutes {
            case_number: format!("{year}-{seq:05}"),
            title,
            billable_minutes,
        })
        .collect())
}

/// The contract a case is charged to (its entitlement found it entitled under that contract).
pub async fn charged_contract(db: &mut Db, case: CaseId) -> StoreResult<Option<ContractId>> {
    let row: Option<(Option<i64>,)> = on_db!(db, c => sqlx::query_as(
        "SELECT contract_id FROM cases WHERE id = $1 AND entitlement_outcome = 'entitled'")
        .bind(case.get()).fetch_optional(c).await)?;
    Ok(row.and_then(|(id,)| id).map(Id::new))
}
