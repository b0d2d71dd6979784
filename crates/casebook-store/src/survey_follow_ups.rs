//! Follow-up tasks opened by a low survey score or a negative comment: one per survey, for the
//! service manager of the case's contract (none: administrators and managers), with its due
//! time; completed once, with a note; an overdue one is claimed once for its reminder.

use casebook_domain::case::NamedRef;
use casebook_domain::ids::{CaseId, Id, UserId};
use casebook_domain::survey::{FollowUp, FollowUpReason};
use casebook_domain::{Named, Timestamp};

use crate::db::Db;
use crate::error::StoreResult;
use crate::page::{Page, PageRequest};
use crate::rows::parse_column;
use crate::time::Ts;

/// A follow-up to open.
#[derive(Debug, Clone, Copy)]
pub struct NewFollowUp {
    /// The survey that opened it.
    pub survey_id: i64,
    /// Its case.
    pub case_id: CaseId,
    /// The service manager, if the case's contract names one.
    pub manager_id: Option<UserId>,
    /// Why.
    pub reason: FollowUpReason,
    /// Due.
    pub due_at: Timestamp,
}

/// Opens a follow-up; `None` when the survey has one already.
pub async fn insert(db: &mut Db, f: &NewFollowUp, now: Timestamp) -> StoreResult<Option<i64>> {
    let id: Option<(i64,)> = on_db!(db, c => sqlx::query_as(
        "INSERT INTO survey_follow_ups (survey_id, case_id, manager_id, reason, due_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (survey_id) DO NOTHING RETURNING id")
        .bind(f.survey_id).bind(f.case_id.get()).bind(f.manager_id.map(|u| u.get()))
        .bind(f.reason.as_str()).bind(Ts::new(f.due_at)).bind(Ts::new(now))
        .fetch_optional(c).await)?;
    Ok(id.map(|(id,)| id))
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    survey_id: i64,
    year: i64,
    seq: i64,
    title: String,
    organization: String,
    reason: String,
    resolution_score: Option<i64>,
    comment: Option<String>,
    manager_id: Option<i64>,
    manager_name: Option<String>,
    due_at: Ts,
    created_at: Ts,
    completed_at: Option<Ts>,
    completed_by: Option<i64>,
    completed_by_name: Option<String>,
    note: Option<String>,
}

fn named(id: Option<i64>, name: Option<String>) -> Option<NamedRef<UserId>> {
    id.zip(name).map(|(id, name)| NamedRef {
        id: Id::new(id),
        name,
    })
}

impl Row {
    fn follow_up(self) -> StoreResult<FollowUp> {
        Ok(FollowUp {
            id: self.id,
            survey_id: self.survey_id,
            case_number: format!("{}-{:05}", self.year, self.seq),
            case_title: self.title,
            organization: self.organization,
            reason: parse_column(
                "survey_follow_ups.reason",
                &self.reason,
                FollowUpReason::parse,
            )?,
            resolution: self
                .resolution_score
                .and_then(|s| u8::try_from(s).ok())
                .unwrap_or(0),
            comment: self.comment,
            manager: named(self.manager_id, self.manager_name),
            due_at: self.due_at.0,
            created_at: self.created_at.0,
            completed_at: self.completed_at.map(|t| t.0),
            completed_by: named(self.completed_by, self.completed_by_name),
            note: self.note,
        })
    }
}

const SELECT: &str = "SELECT f.id, f.survey_id, c.year, c.seq, c.title, o.name AS organization,
        f.reason, s.resolution_score, s.comment, f.manager_id, m.name AS manager_name, f.due_at,
        f.created_at, f.completed_at, f.completed_by, d.name AS completed_by_name, f.note
     FROM survey_follow_ups f JOIN surveys s ON s.id = f.survey_id
     JOIN cases c ON c.id = f.case_id JOIN organizations o ON o.id = c.organization_id
     LEFT JOIN users m ON m.id = f.manager_id LEFT JOIN users d ON d.id = f.completed_by";

/// One follow-up.
pub async fn get(db: &mut Db, id: i64) -> StoreResult<Option<FollowUp>> {
    let sql = format!("{SELECT} WHERE f.id = $1");
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(id).fetch_optional(c).await)?;
    row.map(Row::follow_up).transpose()
}

/// The follow-ups of a case, newest first (at most 50).
pub async fn of_case(db: &mut Db, case: CaseId) -> StoreResult<Vec<FollowUp>> {
    let sql = format!("{SELECT} WHERE f.case_id = $1 ORDER BY f.id DESC LIMIT 50");
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(case.get()).fetch_all(c).await)?;
    rows.into_iter().map(Row::follow_up).collect()
}

/// Which follow-ups a list holds.
#[derive(Debug, Clone, Copy, Default)]
pub struct FollowUpFilter {
    /// Only those of this manager (and, with `unassigned`, those of nobody).
    pub manager: Option<UserId>,
    /// With `manager`: also those without a service manager.
    pub unassigned: bool,
    /// Only open ones.
    pub open: bool,
}

/// Follow-ups, newest first, keyset-paginated.
pub async fn list(
    db: &mut Db,
    filter: &FollowUpFilter,
    page: &PageRequest,
) -> StoreResult<Page<FollowUp>> {
    let before: Option<i64> = page.key()?;
    let sql = format!(
        "{SELECT} WHERE ($1 IS NULL OR f.manager_id = $1 OR ($2 AND f.manager_id IS NULL))
           AND (NOT $3 OR f.completed_at IS NULL) AND ($4 IS NULL OR f.id < $4)
         ORDER BY f.id DESC LIMIT $5"
    );
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).persistent(false)
        .bind(filter.manager.map(|m| m.get())).bind(filter.unassigned).bind(filter.open)
        .bind(before).bind(page.fetch_limit()).fetch_all(c).await)?;
    Page::from_rows(rows, page, |r| r.id).try_map(Row::follow_up)
}

/// Completes an open follow-up; false when it was completed already.
pub async fn complete(
    db: &mut Db,
    id: i64,
    by: Option<UserId>,
    note: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec_db!(db, c => sqlx::query(
        "UPDATE survey_follow_ups SET completed_at = $2, completed_by = $3, note = $4
         WHERE id = $1 AND completed_at IS NULL")
        .bind(id).bind(Ts::new(now)).bind(by.map(|u| u.get())).bind(note).execute(c).await)?;
    Ok(n == 1)
}

/// Claims up to `limit` open follow-ups past their due time whose people were not told yet,
/// marking them told: each (with its case) is returned once, whichever server asks.
pub async fn claim_overdue(
    db: &mut Db,
    now: Timestamp,
    limit: i64,
) -> StoreResult<Vec<(i64, CaseId)>> {
    let rows: Vec<(i64, i64)> = on_db!(db, c => sqlx::query_as(
        "UPDATE survey_follow_ups SET overdue_told_at = $1
         WHERE overdue_told_at IS NULL AND completed_at IS NULL AND id IN (
             SELECT id FROM survey_follow_ups
             WHERE completed_at IS NULL AND overdue_told_at IS NULL AND due_at < $1
             ORDER BY due_at, id LIMIT $2)
         RETURNING id, case_id").persistent(false)
        .bind(Ts::new(now)).bind(limit).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, case)| (id, Id::new(case)))
        .collect())
}
