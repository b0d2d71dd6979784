//! The figures of satisfaction surveys: sums per engineer, organisation, product or month of
//! sending (the domain turns them into means and response rates), and the answers per month of
//! answering for the dashboard's trend. Skipped surveys are not counted as sent.

use casebook_domain::survey::{Grouping, MonthSatisfaction, Tally};

use crate::db::Db;
use crate::error::StoreResult;
use crate::surveys::{SurveyFilter, team_condition};

/// One group's key, label and sums.
pub type GroupTally = (Option<String>, Option<String>, Tally);

/// The group key and label of a grouping, as SQL over `surveys s` and its joins.
fn key_and_label(grouping: Grouping) -> (&'static str, &'static str, &'static str) {
    match grouping {
        Grouping::Engineer => (
            "CAST(s.engineer_id AS TEXT)",
            "g.name",
            "LEFT JOIN users g ON g.id = s.engineer_id",
        ),
        Grouping::Team => (
            "g.team",
            "g.team",
            "LEFT JOIN users g ON g.id = s.engineer_id",
        ),
        Grouping::Organization => (
            "CAST(s.organization_id AS TEXT)",
            "g.name",
            "JOIN organizations g ON g.id = s.organization_id",
        ),
        Grouping::Product => (
            "CAST(s.product_id AS TEXT)",
            "g.name",
            "LEFT JOIN products g ON g.id = s.product_id",
        ),
        Grouping::Month => ("SUBSTR(s.sent_on, 1, 7)", "SUBSTR(s.sent_on, 1, 7)", ""),
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    key: Option<String>,
    label: Option<String>,
    sent: i64,
    answered: i64,
    resolution_sum: i64,
    speed_sum: i64,
    speed_count: i64,
    engineer_sum: i64,
    engineer_count: i64,
    follow_ups: i64,
}

/// The sums of each group, in order of the key (at most 1,000 groups).
pub async fn tallies(
    db: &mut Db,
    grouping: Grouping,
    filter: &SurveyFilter,
) -> StoreResult<Vec<GroupTally>> {
    let (key, label, join) = key_and_label(grouping);
    let sum = |e: &str| format!("CAST(COALESCE(SUM({e}), 0) AS BIGINT)");
    let sql = format!(
        "SELECT {key} AS key, MIN({label}) AS label, CAST(COUNT(*) AS BIGINT) AS sent,
                {} AS answered, {} AS resolution_sum, {} AS speed_sum,
                CAST(COUNT(s.speed_score) AS BIGINT) AS speed_count, {} AS engineer_sum,
                CAST(COUNT(s.engineer_score) AS BIGINT) AS engineer_count,
                CAST(COUNT(f.id) AS BIGINT) AS follow_ups
         FROM surveys s {join} LEFT JOIN survey_follow_ups f ON f.survey_id = s.id
         WHERE s.status <> 'skipped' AND ($1 IS NULL OR s.sent_on >= $1)
           AND ($2 IS NULL OR s.sent_on <= $2) AND ($3 IS NULL OR s.organization_id = $3)
           AND ($4 IS NULL OR s.product_id = $4) AND ($5 IS NULL OR s.engineer_id = $5)
           AND {team}
         GROUP BY {key} ORDER BY {key} LIMIT 1000",
        sum("CASE WHEN s.status = 'answered' THEN 1 ELSE 0 END"),
        sum("s.resolution_score"),
        sum("s.speed_score"),
        sum("s.engineer_score"),
        team = team_condition(6),
    );
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).persistent(false)
        .bind(filter.from.as_deref()).bind(filter.to.as_deref())
        .bind(filter.organization.map(|i| i.get())).bind(filter.product.map(|i| i.get()))
        .bind(filter.engineer.map(|i| i.get())).bind(filter.team.as_deref())
        .fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let tally = Tally {
                sent: r.sent,
                answered: r.answered,
                resolution_sum: r.resolution_sum,
                speed: (r.speed_sum, r.speed_count),
                engineer: (r.engineer_sum, r.engineer_count),
                follow_ups: r.follow_ups,
            };
            (r.key, r.label, tally)
        })
        .collect())
}

/// Answers and their mean resolution score per month of answering (`YYYY-MM`), oldest first,
/// filtered by the day answered: the dashboard's satisfaction trend.
pub async fn monthly(db: &mut Db, filter: &SurveyFilter) -> StoreResult<Vec<MonthSatisfaction>> {
    let sql = format!(
        "SELECT SUBSTR(s.answered_on, 1, 7) AS month, CAST(COUNT(*) AS BIGINT),
                CAST(COALESCE(SUM(s.resolution_score), 0) AS BIGINT)
         FROM surveys s WHERE s.status = 'answered' AND ($1 IS NULL OR s.answered_on >= $1)
           AND ($2 IS NULL OR s.answered_on <= $2) AND ($3 IS NULL OR s.organization_id = $3)
           AND ($4 IS NULL OR s.product_id = $4) AND ($5 IS NULL OR s.engineer_id = $5)
           AND {}
         GROUP BY SUBSTR(s.answered_on, 1, 7) ORDER BY month LIMIT 1200",
        team_condition(6)
    );
    let rows: Vec<(String, i64, i64)> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).persistent(false)
        .bind(filter.from.as_deref()).bind(filter.to.as_deref())
        .bind(filter.organization.map(|i| i.get())).bind(filter.product.map(|i| i.get()))
        .bind(filter.engineer.map(|i| i.get())).bind(filter.team.as_deref())
        .fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(month, answers, sum)| MonthSatisfaction::of(month, answers, sum))
        .collect())
}
