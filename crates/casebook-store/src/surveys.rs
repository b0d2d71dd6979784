//! Satisfaction surveys (满意度调查): the admins' settings (one JSON row), one row per closure of
//! a case (sent and pending, answered, or skipped with its reason), the answer written once by a
//! conditional update, and the keyset-paginated list of answers that exports read. Results and
//! the monthly trend are in `survey_results`, follow-up tasks in `survey_follow_ups`.

use casebook_domain::case::NamedRef;
use casebook_domain::ids::{CaseId, ContactId, Id, OrganizationId, ProductId, UserId};
use casebook_domain::survey::{
    Answer, AnsweredVia, SkipReason, Survey, SurveySettings, SurveyStatus,
};
use casebook_domain::{Named, Timestamp};

use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::page::{Page, PageRequest};
use crate::rows::parse_column;
use crate::time::Ts;

/// The admins' settings and their version; `None` before the first edit (the defaults apply).
pub async fn settings(db: &mut Db) -> StoreResult<Option<(SurveySettings, i64)>> {
    let row: Option<(String, i64)> = on_db!(db, c => sqlx::query_as(
        "SELECT settings, version FROM survey_settings WHERE id = 1")
        .fetch_optional(c).await)?;
    row.map(|(json, version)| {
        serde_json::from_str(&json)
            .map(|s| (s, version))
            .map_err(|e| StoreError::corrupt("survey_settings.settings", e))
    })
    .transpose()
}

/// Saves the settings if they are still at `version` (0: never saved); the new version, or
/// `None` when someone saved in between.
pub async fn save_settings(
    db: &mut Db,
    settings: &SurveySettings,
    version: i64,
    now: Timestamp,
) -> StoreResult<Option<i64>> {
    let json = serde_json::to_string(settings)
        .map_err(|e| StoreError::corrupt("survey_settings.settings", e))?;
    let n = if version == 0 {
        exec_db!(db, c => sqlx::query(
            "INSERT INTO survey_settings (id, settings, version, updated_at) VALUES (1, $1, 1, $2)
             ON CONFLICT (id) DO NOTHING")
            .bind(&json).bind(Ts::new(now)).execute(c).await)?
    } else {
        exec_db!(db, c => sqlx::query(
            "UPDATE survey_settings SET settings = $1, version = version + 1, updated_at = $2
             WHERE id = 1 AND version = $3")
            .bind(&json).bind(Ts::new(now)).bind(version).execute(c).await)?
    };
    Ok((n == 1).then_some(version + 1))
}

/// When a survey was last sent to an address (lower case).
pub async fn last_sent_to(db: &mut Db, recipient: &str) -> StoreResult<Option<Timestamp>> {
    let row: Option<(Ts,)> = on_db!(db, c => sqlx::query_as(
        "SELECT sent_at FROM surveys WHERE recipient = $1 AND status <> 'skipped'
         ORDER BY sent_at DESC LIMIT 1")
        .bind(recipient).fetch_optional(c).await)?;
    Ok(row.map(|(t,)| t.0))
}

/// A survey row to insert for a closure.
#[derive(Debug, Clone)]
pub struct NewSurvey<'a> {
    /// The case.
    pub case_id: CaseId,
    /// The timeline entry of the closing status change.
    pub closure_event: i64,
    /// The case's organisation.
    pub organization_id: OrganizationId,
    /// Its product.
    pub product_id: Option<ProductId>,
    /// Its owner at closure.
    pub engineer_id: Option<UserId>,
    /// The contact asked.
    pub contact_id: Option<ContactId>,
    /// The customer user asked.
    pub user_id: Option<UserId>,
    /// The address (lower case).
    pub recipient: Option<&'a str>,
    /// `zh-CN` or `en`.
    pub language: &'a str,
    /// Skipped, and why; `None`: sent.
    pub skipped: Option<SkipReason>,
    /// The closure.
    pub sent_at: Timestamp,
    /// Its desk day, `YYYY-MM-DD`.
    pub sent_on: &'a str,
    /// Until when it can be answered (sent surveys).
    pub expires_at: Option<Timestamp>,
}

/// Inserts a survey row; `None` when this closure has one already.
pub async fn insert(db: &mut Db, s: &NewSurvey<'_>) -> StoreResult<Option<i64>> {
    let status = if s.skipped.is_some() {
        "skipped"
    } else {
        "pending"
    };
    let id: Option<(i64,)> = on_db!(db, c => sqlx::query_as(
        "INSERT INTO surveys (case_id, closure_event, organization_id, product_id, engineer_id,
                              contact_id, user_id, recipient, language, status, skip_reason,
                              sent_at, sent_on, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (case_id, closure_event) DO NOTHING RETURNING id")
        .bind(s.case_id.get()).bind(s.closure_event).bind(s.organization_id.get())
        .bind(s.product_id.map(|p| p.get())).bind(s.engineer_id.map(|u| u.get()))
        .bind(s.contact_id.map(|c| c.get())).bind(s.user_id.map(|u| u.get()))
        .bind(s.recipient).bind(s.language).bind(status).bind(s.skipped.map(|r| r.as_str()))
        .bind(Ts::new(s.sent_at)).bind(s.sent_on).bind(s.expires_at.map(Ts::new))
        .fetch_optional(c).await)?;
    Ok(id.map(|(id,)| id))
}

/// A survey with the facts that decide who may see and answer it.
#[derive(Debug, Clone)]
pub struct StoredSurvey {
    /// The survey as shown.
    pub survey: Survey,
    /// The case.
    pub case_id: CaseId,
    /// The case's organisation.
    pub organization_id: OrganizationId,
    /// The customer user asked.
    pub user_id: Option<UserId>,
    /// The contact asked.
    pub contact_id: Option<ContactId>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    case_id: i64,
    year: i64,
    seq: i64,
    title: String,
    organization_id: i64,
    organization: String,
    engineer_id: Option<i64>,
    engineer_name: Option<String>,
    contact_id: Option<i64>,
    user_id: Option<i64>,
    recipient: Option<String>,
    language: String,
    status: String,
    skip_reason: Option<String>,
    sent_at: Ts,
    expires_at: Option<Ts>,
    answered_at: Option<Ts>,
    answered_via: Option<String>,
    resolution_score: Option<i64>,
    speed_score: Option<i64>,
    engineer_score: Option<i64>,
    comment: Option<String>,
    negative: Option<bool>,
}

fn score(v: Option<i64>) -> Option<u8> {
    v.and_then(|v| u8::try_from(v).ok())
}

impl Row {
    fn stored(self) -> StoreResult<StoredSurvey> {
        let survey = Survey {
            id: self.id,
            case_number: format!("{}-{:05}", self.year, self.seq),
            case_title: self.title,
            organization: self.organization,
            status: parse_column("surveys.status", &self.status, SurveyStatus::parse)?,
            skip_reason: self
                .skip_reason
                .as_deref()
                .map(|r| parse_column("surveys.skip_reason", r, SkipReason::parse))
                .transpose()?,
            recipient: self.recipient,
            engineer: self
                .engineer_id
                .zip(self.engineer_name)
                .map(|(id, name)| NamedRef {
                    id: Id::new(id),
                    name,
                }),
            sent_at: self.sent_at.0,
            expires_at: self.expires_at.map(|t| t.0),
            answered_at: self.answered_at.map(|t| t.0),
            answered_via: self
                .answered_via
                .as_deref()
                .map(|v| parse_column("surveys.answered_via", v, AnsweredVia::parse))
                .transpose()?,
            resolution: score(self.resolution_score),
            speed: score(self.speed_score),
            engineer_score: score(self.engineer_score),
            comment: self.comment,
            negative: self.negative,
            language: self.language,
        };
        Ok(StoredSurvey {
            survey,
            case_id: Id::new(self.case_id),
            organization_id: Id::new(self.organization_id),
            user_id: self.user_id.map(Id::new),
            contact_id: self.contact_id.map(Id::new),
        })
    }
}

const SELECT: &str = "SELECT s.id, s.case_id, c.year, c.seq, c.title, s.organization_id,
        o.name AS organization, s.engineer_id, u.name AS engineer_name, s.contact_id, s.user_id,
        s.recipient, s.language, s.status, s.skip_reason, s.sent_at, s.expires_at, s.answered_at,
        s.answered_via, s.resolution_score, s.speed_score, s.engineer_score, s.comment, s.negative
     FROM surveys s JOIN cases c ON c.id = s.case_id
     JOIN organizations o ON o.id = s.organization_id
     LEFT JOIN users u ON u.id = s.engineer_id";

async fn select(db: &mut Db, sql: String, id: i64) -> StoreResult<Vec<StoredSurvey>> {
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(id).fetch_all(c).await)?;
    rows.into_iter().map(Row::stored).collect()
}

/// One survey.
pub async fn get(db: &mut Db, id: i64) -> StoreResult<Option<StoredSurvey>> {
    Ok(select(db, format!("{SELECT} WHERE s.id = $1"), id)
        .await?
        .into_iter()
        .next())
}

/// The surveys of a case, newest first (at most 50).
pub async fn of_case(db: &mut Db, case: CaseId) -> StoreResult<Vec<StoredSurvey>> {
    select(
        db,
        format!("{SELECT} WHERE s.case_id = $1 ORDER BY s.id DESC LIMIT 50"),
        case.get(),
    )
    .await
}

/// An answer to write.
#[derive(Debug, Clone, Copy)]
pub struct Answering<'a> {
    /// The checked answer.
    pub answer: &'a Answer,
    /// Whether its comment is negative.
    pub negative: bool,
    /// How it came.
    pub via: AnsweredVia,
    /// When.
    pub at: Timestamp,
    /// Its desk day, `YYYY-MM-DD`.
    pub on: &'a str,
}

/// Writes the answer if the survey is still pending and not expired; false otherwise (answered
/// already, expired, or skipped), so a survey is answered once.
pub async fn answer(db: &mut Db, id: i64, a: &Answering<'_>) -> StoreResult<bool> {
    let n = exec_db!(db, c => sqlx::query(
        "UPDATE surveys SET status = 'answered', answered_at = $2, answered_on = $3,
                answered_via = $4, resolution_score = $5, speed_score = $6, engineer_score = $7,
                comment = $8, negative = $9
         WHERE id = $1 AND status = 'pending' AND expires_at > $2")
        .bind(id).bind(Ts::new(a.at)).bind(a.on).bind(a.via.as_str())
        .bind(i64::from(a.answer.resolution)).bind(a.answer.speed.map(i64::from))
        .bind(a.answer.engineer.map(i64::from)).bind(a.answer.comment.as_deref())
        .bind(a.negative).execute(c).await)?;
    Ok(n == 1)
}

/// Whose surveys a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurveyScope {
    /// Every survey (staff).
    All,
    /// The surveys of one organisation (a customer administrator).
    Organization(OrganizationId),
    /// The surveys asking one customer, as the user or as their contact.
    Asked {
        /// The user.
        user: UserId,
        /// Their contact, if linked.
        contact: Option<ContactId>,
    },
}

/// Sent and answered surveys (not the skipped ones) in a scope, newest first, keyset-paginated.
pub async fn list(
    db: &mut Db,
    scope: SurveyScope,
    page: &PageRequest,
) -> StoreResult<Page<Survey>> {
    let before: Option<i64> = page.key()?;
    // The scope's ids are bound; only the shape of the condition is written into the text.
    let (condition, a, b) = match scope {
        SurveyScope::All => ("$1 = $2", 0, 0),
        SurveyScope::Organization(org) => ("s.organization_id = $1 AND $2 = 0", org.get(), 0),
        SurveyScope::Asked { user, contact } => (
            "(s.user_id = $1 OR s.contact_id = $2)",
            user.get(),
            contact.map_or(0, |c| c.get()),
        ),
    };
    let sql = format!(
        "{SELECT} WHERE {condition} AND s.status <> 'skipped' AND ($3 IS NULL OR s.id < $3)
         ORDER BY s.id DESC LIMIT $4"
    );
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).persistent(false)
        .bind(a).bind(b).bind(before).bind(page.fetch_limit()).fetch_all(c).await)?;
    Page::from_rows(rows, page, |r| r.id).try_map(|r| r.stored().map(|s| s.survey))
}

/// Which surveys a list or a result holds: a period (the day answered for answers, the day
/// sent for results) and the case's organisation, product and engineer.
#[derive(Debug, Clone, Default)]
pub struct SurveyFilter {
    /// On or after this day (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// On or before this day.
    pub to: Option<String>,
    /// Cases of one organisation.
    pub organization: Option<OrganizationId>,
    /// Cases of one product.
    pub product: Option<ProductId>,
    /// Cases owned by one engineer at closure.
    pub engineer: Option<UserId>,
    /// Cases owned at closure by a member of this team (as the team is now).
    pub team: Option<String>,
}

/// The condition on the team of a survey's engineer (`surveys s`), the team bound as `$n`.
pub(crate) fn team_condition(n: u8) -> String {
    format!("(${n} IS NULL OR s.engineer_id IN (SELECT t.id FROM users t WHERE t.team = ${n}))")
}

/// Answered surveys with an id below `before`, newest first, at most `limit`.
async fn answer_rows(
    db: &mut Db,
    filter: &SurveyFilter,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<Row>> {
    let sql = format!(
        "{SELECT} WHERE s.status = 'answered' AND ($1 IS NULL OR s.answered_on >= $1)
           AND ($2 IS NULL OR s.answered_on <= $2) AND ($3 IS NULL OR s.organization_id = $3)
           AND ($4 IS NULL OR s.product_id = $4) AND ($5 IS NULL OR s.engineer_id = $5)
           AND ($6 IS NULL OR s.id < $6) AND {}
         ORDER BY s.id DESC LIMIT $7",
        team_condition(8)
    );
    Ok(
        on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).persistent(false)
        .bind(filter.from.as_deref()).bind(filter.to.as_deref())
        .bind(filter.organization.map(|i| i.get())).bind(filter.product.map(|i| i.get()))
        .bind(filter.engineer.map(|i| i.get())).bind(before).bind(limit)
        .bind(filter.team.as_deref()).fetch_all(c).await)?,
    )
}

/// Answered surveys, newest answer first (by id), keyset-paginated: the staff's list.
pub async fn answers(
    db: &mut Db,
    filter: &SurveyFilter,
    page: &PageRequest,
) -> StoreResult<Page<Survey>> {
    let before: Option<i64> = page.key()?;
    let rows = answer_rows(db, filter, before, page.fetch_limit()).await?;
    Page::from_rows(rows, page, |r| r.id).try_map(|r| r.stored().map(|s| s.survey))
}

/// Answered surveys with an id below `before`, newest first, at most `limit`: the batches an
/// export reads.
pub async fn answers_before(
    db: &mut Db,
    filter: &SurveyFilter,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<Survey>> {
    answer_rows(db, filter, before, limit)
        .await?
        .into_iter()
        .map(|r| r.stored().map(|s| s.survey))
        .collect()
}
