//! The on-duty rota (值班表): shifts, the assignment of each occurrence (a swap keeps whom it
//! replaced and why), how robots mention a member of staff, and pages to the duty engineer,
//! written once per case, reason and occurrence, acknowledged once, escalated once.

use casebook_domain::duty::{Shift, ShiftDays};
use casebook_domain::ids::{CaseId, Id, UserId};
use casebook_domain::{Named, Timestamp};
use jiff::civil::{Date, Time};

use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::rows::parse_column;
use crate::time::Ts;

#[derive(sqlx::FromRow)]
struct ShiftRow {
    id: i64,
    team: String,
    name: String,
    starts: String,
    ends: String,
    days: String,
}

impl ShiftRow {
    fn shift(self) -> StoreResult<Shift> {
        let time = |raw: &str| {
            raw.parse::<Time>()
                .map_err(|e| StoreError::corrupt("duty_shifts.starts", e))
        };
        Ok(Shift {
            id: self.id,
            team: self.team,
            name: self.name,
            starts: time(&self.starts)?,
            ends: time(&self.ends)?,
            days: parse_column("duty_shifts.days", &self.days, ShiftDays::parse)?,
        })
    }
}

fn hhmm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// Every shift, by team and start.
pub async fn shifts(db: &mut Db) -> StoreResult<Vec<Shift>> {
    let rows: Vec<ShiftRow> = on_db!(db, c => sqlx::query_as(
        "SELECT id, team, name, starts, ends, days FROM duty_shifts ORDER BY team, starts, id")
        .fetch_all(c).await)?;
    rows.into_iter().map(ShiftRow::shift).collect()
}

/// Saves a new shift; its id.
pub async fn insert_shift(db: &mut Db, s: &Shift, now: Timestamp) -> StoreResult<i64> {
    let (id,): (i64,) = on_db!(db, c => sqlx::query_as(
        "INSERT INTO duty_shifts (team, name, starts, ends, days, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id")
        .bind(&s.team).bind(&s.name).bind(hhmm(s.starts)).bind(hhmm(s.ends)).bind(s.days.as_str())
        .bind(Ts::new(now)).fetch_one(c).await)?;
    Ok(id)
}

/// Replaces a shift; false when there is none.
pub async fn update_shift(db: &mut Db, s: &Shift, now: Timestamp) -> StoreResult<bool> {
    let changed = exec_db!(db, c => sqlx::query(
        "UPDATE duty_shifts SET team = $1, name = $2, starts = $3, ends = $4, days = $5,
             updated_at = $6, version = version + 1 WHERE id = $7")
        .bind(&s.team).bind(&s.name).bind(hhmm(s.starts)).bind(hhmm(s.ends)).bind(s.days.as_str())
        .bind(Ts::new(now)).bind(s.id).execute(c).await)?;
    Ok(changed == 1)
}

/// Removes a shift with its assignments and pages; false when there was none.
pub async fn delete_shift(db: &mut Db, id: i64) -> StoreResult<bool> {
    exec_db!(db, c => sqlx::query("DELETE FROM duty_pages WHERE shift_id = $1").bind(id).execute(c).await)?;
    exec_db!(db, c => sqlx::query("DELETE FROM duty_assignments WHERE shift_id = $1").bind(id).execute(c).await)?;
    let gone = exec_db!(db, c => sqlx::query("DELETE FROM duty_shifts WHERE id = $1").bind(id).execute(c).await)?;
    Ok(gone == 1)
}

/// Who is on duty for one occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The shift.
    pub shift: i64,
    /// The date the occurrence starts on.
    pub date: Date,
    /// The duty engineer.
    pub engineer: UserId,
    /// The duty manager.
    pub manager: Option<UserId>,
    /// Whom a swap replaced.
    pub swapped_from: Option<UserId>,
    /// Why.
    pub swap_reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct AssignmentRow {
    shift_id: i64,
    on_date: String,
    engineer_id: i64,
    manager_id: Option<i64>,
    swapped_from: Option<i64>,
    swap_reason: Option<String>,
}

impl AssignmentRow {
    fn assignment(self) -> StoreResult<Assignment> {
        Ok(Assignment {
            shift: self.shift_id,
            date: self
                .on_date
                .parse()
                .map_err(|e| StoreError::corrupt("duty_assignments.on_date", e))?,
            engineer: Id::new(self.engineer_id),
            manager: self.manager_id.map(Id::new),
            swapped_from: self.swapped_from.map(Id::new),
            swap_reason: self.swap_reason,
        })
    }
}

/// The assignments of occurrences starting from `from` to `to` (inclusive).
pub async fn assignments(db: &mut Db, from: Date, to: Date) -> StoreResult<Vec<Assignment>> {
    let rows: Vec<AssignmentRow> = on_db!(db, c => sqlx::query_as(
        "SELECT shift_id, on_date, engineer_id, manager_id, swapped_from, swap_reason
         FROM duty_assignments WHERE on_date >= $1 AND on_date <= $2 ORDER BY on_date, shift_id")
        .bind(from.to_string()).bind(to.to_string()).fetch_all(c).await)?;
    rows.into_iter().map(AssignmentRow::assignment).collect()
}

/// Sets who is on duty for an occurrence (a plain set clears an earlier swap's note).
pub async fn assign(db: &mut Db, a: &Assignment, now: Timestamp) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query(
        "INSERT INTO duty_assignments (shift_id, on_date, engineer_id, manager_id, swapped_from, swap_reason, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (shift_id, on_date) DO UPDATE SET engineer_id = excluded.engineer_id,
             manager_id = excluded.manager_id, swapped_from = excluded.swapped_from,
             swap_reason = excluded.swap_reason, updated_at = excluded.updated_at")
        .bind(a.shift).bind(a.date.to_string()).bind(a.engineer.get()).bind(a.manager.map(|m| m.get()))
        .bind(a.swapped_from.map(|u| u.get())).bind(&a.swap_reason).bind(Ts::new(now))
        .execute(c).await)?;
    Ok(())
}

/// How robots mention a member of staff.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    /// Mobile number (DingTalk mentions by it).
    pub mobile: String,
    /// DingTalk userId.
    pub dingtalk_id: String,
    /// WeCom userid.
    pub wecom_id: String,
    /// Feishu open_id.
    pub feishu_id: String,
}

/// A user's contact for mentions (empty when none was saved).
pub async fn contact(db: &mut Db, user: UserId) -> StoreResult<Contact> {
    let row: Option<(String, String, String, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT mobile, dingtalk_id, wecom_id, feishu_id FROM duty_contacts WHERE user_id = $1")
        .bind(user.get()).fetch_optional(c).await)?;
    Ok(row
        .map(|(mobile, dingtalk_id, wecom_id, feishu_id)| Contact {
            mobile,
            dingtalk_id,
            wecom_id,
            feishu_id,
        })
        .unwrap_or_default())
}

/// Saves a user's contact for mentions.
pub async fn set_contact(
    db: &mut Db,
    user: UserId,
    c: &Contact,
    now: Timestamp,
) -> StoreResult<()> {
    exec_db!(db, conn => sqlx::query(
        "INSERT INTO duty_contacts (user_id, mobile, dingtalk_id, wecom_id, feishu_id, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_id) DO UPDATE SET mobile = excluded.mobile, dingtalk_id = excluded.dingtalk_id,
             wecom_id = excluded.wecom_id, feishu_id = excluded.feishu_id, updated_at = excluded.updated_at")
        .bind(user.get()).bind(&c.mobile).bind(&c.dingtalk_id).bind(&c.wecom_id).bind(&c.feishu_id)
        .bind(Ts::new(now)).execute(conn).await)?;
    Ok(())
}

/// A page to write.
#[derive(Debug, Clone)]
pub struct NewPage<'a> {
    /// The case.
    pub case: CaseId,
    /// `sev1_after_hours`, `sla_breach` or `call_home_fault`.
    pub reason: &'a str,
    /// The occurrence's shift.
    pub shift: i64,
    /// The occurrence's date.
    pub date: Date,
    /// Who is paged.
    pub engineer: UserId,
    /// Who it escalates to.
    pub manager: Option<UserId>,
    /// When it escalates if nobody acknowledged it.
    pub ack_due_at: Timestamp,
}

/// Writes a page unless this case, reason and occurrence has one; its id when written.
pub async fn insert_page(db: &mut Db, p: &NewPage<'_>, now: Timestamp) -> StoreResult<Option<i64>> {
    let id: Option<(i64,)> = on_db!(db, c => sqlx::query_as(
        "INSERT INTO duty_pages (case_id, reason, shift_id, on_date, engineer_id, manager_id, created_at, ack_due_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (case_id, reason, shift_id, on_date) DO NOTHING RETURNING id")
        .bind(p.case.get()).bind(p.reason).bind(p.shift).bind(p.date.to_string()).bind(p.engineer.get())
        .bind(p.manager.map(|m| m.get())).bind(Ts::new(now)).bind(Ts::new(p.ack_due_at))
        .fetch_optional(c).await)?;
    Ok(id.map(|(id,)| id))
}

/// A page as read.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Page {
    /// Id.
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// Why.
    pub reason: String,
    /// The occurrence's shift.
    pub shift_id: i64,
    /// The paged engineer.
    pub engineer_id: i64,
    /// The manager it escalates to.
    pub manager_id: Option<i64>,
    /// Sent.
    pub created_at: Ts,
    /// When it escalates.
    pub ack_due_at: Ts,
    /// Acknowledged.
    pub acknowledged_at: Option<Ts>,
    /// By whom.
    pub acknowledged_by: Option<i64>,
    /// Escalated.
    pub escalated_at: Option<Ts>,
}

const PAGE_COLUMNS: &str =
    "id, case_id, reason, shift_id, engineer_id, manager_id, created_at, ack_due_at,
    acknowledged_at, acknowledged_by, escalated_at";

/// One page.
pub async fn page(db: &mut Db, id: i64) -> StoreResult<Option<Page>> {
    let sql = format!("SELECT {PAGE_COLUMNS} FROM duty_pages WHERE id = $1");
    on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(c).await)
}

/// The pages of the last `days` days, newest first (at most 200).
pub async fn recent_pages(db: &mut Db, since: Timestamp) -> StoreResult<Vec<Page>> {
    let sql = format!(
        "SELECT {PAGE_COLUMNS} FROM duty_pages WHERE created_at >= $1 ORDER BY id DESC LIMIT 200"
    );
    on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(Ts::new(since)).fetch_all(c).await)
}

/// Acknowledges a page once; false when it was acknowledged already or is gone.
pub async fn acknowledge(db: &mut Db, id: i64, by: UserId, now: Timestamp) -> StoreResult<bool> {
    let changed = exec_db!(db, c => sqlx::query(
        "UPDATE duty_pages SET acknowledged_at = $2, acknowledged_by = $3
         WHERE id = $1 AND acknowledged_at IS NULL")
        .bind(id).bind(Ts::new(now)).bind(by.get()).execute(c).await)?;
    Ok(changed == 1)
}

/// Unacknowledged, unescalated pages whose time ran out, oldest first.
pub async fn due_pages(db: &mut Db, now: Timestamp, limit: i64) -> StoreResult<Vec<Page>> {
    let sql = format!(
        "SELECT {PAGE_COLUMNS} FROM duty_pages
         WHERE acknowledged_at IS NULL AND escalated_at IS NULL AND ack_due_at <= $1
         ORDER BY ack_due_at LIMIT $2"
    );
    on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(Ts::new(now)).bind(limit).fetch_all(c).await)
}

/// Claims a page's escalation once (whatever the number of servers); true for the claimer.
pub async fn claim_escalation(db: &mut Db, id: i64, now: Timestamp) -> StoreResult<bool> {
    let changed = exec_db!(db, c => sqlx::query(
        "UPDATE duty_pages SET escalated_at = $2
         WHERE id = $1 AND acknowledged_at IS NULL AND escalated_at IS NULL")
        .bind(id).bind(Ts::new(now)).execute(c).await)?;
    Ok(changed == 1)
}
