//! Fault-handling reports (故障处理报告) and the fault database: one report per case with the
//! parts that failed, queried by product, version, part number, category, root cause,
//! customer and period; the part numbers that fail most; the cases still owing a report.

use casebook_domain::Named;
use casebook_domain::Timestamp;
use casebook_domain::case::NamedRef;
use casebook_domain::field::fault::{
    FailedPart, FaultCategory, FaultReport, PartFailures, ReportDue,
};
use casebook_domain::ids::{CaseId, Id, OrganizationId, ProductId, UserId};

use crate::db::Db;
use crate::error::StoreResult;
use crate::page::contains_pattern;
use crate::rows::parse_column;
use crate::time::Ts;

/// The text of a report to save.
#[derive(Debug, Clone)]
pub struct FaultText<'a> {
    /// The product.
    pub product: Option<ProductId>,
    /// Its version.
    pub product_version: &'a str,
    /// What the customer saw.
    pub symptom: &'a str,
    /// The kind of fault.
    pub category: FaultCategory,
    /// Why.
    pub root_cause: &'a str,
    /// What was done.
    pub actions: &'a str,
    /// Downtime.
    pub downtime: (Option<Timestamp>, Option<Timestamp>),
}

/// Saves a case's first report; its id, or `None` when the case has one already (written
/// meanwhile).
pub async fn insert(
    db: &mut Db,
    case: CaseId,
    organization: OrganizationId,
    t: &FaultText<'_>,
    by: Option<UserId>,
    now: Timestamp,
) -> StoreResult<Option<i64>> {
    let row: Option<(i64,)> = on_db!(db, c => sqlx::query_as(
        "INSERT INTO fault_reports (case_id, organization_id, product_id, product_version, symptom,
             category, root_cause, actions, downtime_start, downtime_end, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
         ON CONFLICT (case_id) DO NOTHING RETURNING id")
        .bind(case.get()).bind(organization.get()).bind(t.product.map(|p| p.get()))
        .bind(t.product_version).bind(t.symptom).bind(t.category.as_str()).bind(t.root_cause)
        .bind(t.actions).bind(t.downtime.0.map(Ts::new)).bind(t.downtime.1.map(Ts::new))
        .bind(by.map(|u| u.get())).bind(Ts::new(now)).fetch_optional(c).await)?;
    Ok(row.map(|r| r.0))
}

/// Rewrites a report if it is still at `version`; false otherwise.
pub async fn update(
    db: &mut Db,
    id: i64,
    version: i64,
    t: &FaultText<'_>,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec_db!(db, c => sqlx::query(
        "UPDATE fault_reports SET product_id = $1, product_version = $2, symptom = $3, category = $4,
             root_cause = $5, actions = $6, downtime_start = $7, downtime_end = $8, updated_at = $9,
             version = version + 1
         WHERE id = $10 AND version = $11")
        .bind(t.product.map(|p| p.get())).bind(t.product_version).bind(t.symptom)
        .bind(t.category.as_str()).bind(t.root_cause).bind(t.actions)
        .bind(t.downtime.0.map(Ts::new)).bind(t.downtime.1.map(Ts::new)).bind(Ts::new(now))
        .bind(id).bind(version).execute(c).await)?;
    Ok(n == 1)
}

/// Replaces a report's failed parts.
pub async fn set_parts(db: &mut Db, id: i64, parts: &[(i64, i64)]) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query("DELETE FROM fault_report_parts WHERE fault_id = $1")
        .bind(id).execute(c).await)?;
    for (part, quantity) in parts {
        exec_db!(db, c => sqlx::query(
            "INSERT INTO fault_report_parts (fault_id, part_id, quantity) VALUES ($1, $2, $3)
             ON CONFLICT (fault_id, part_id) DO UPDATE SET quantity = fault_report_parts.quantity + excluded.quantity")
            .bind(id).bind(part).bind(quantity).execute(c).await)?;
    }
    Ok(())
}

/// Records the knowledge-base draft started from a report.
pub async fn set_article(db: &mut Db, id: i64, article: i64) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query("UPDATE fault_reports SET article_id = $1 WHERE id = $2")
        .bind(article).bind(id).execute(c).await)?;
    Ok(())
}

/// The parts used on a case's visits: part, items.
pub async fn parts_used(db: &mut Db, case: CaseId) -> StoreResult<Vec<(i64, i64)>> {
    Ok(on_db!(db, c => sqlx::query_as(
        "SELECT pu.part_id, COUNT(*) FROM part_uses pu JOIN visits v ON v.id = pu.visit_id
         WHERE v.case_id = $1 GROUP BY pu.part_id ORDER BY pu.part_id")
        .bind(case.get()).fetch_all(c).await)?)
}

/// What the fault database is asked.
#[derive(Debug, Clone, Default)]
pub struct FaultQuery {
    /// One product.
    pub product: Option<ProductId>,
    /// One version of it.
    pub version: Option<String>,
    /// Reports naming this part number.
    pub part_number: Option<String>,
    /// Root causes containing this text (any case).
    pub root_cause: Option<String>,
    /// One category.
    pub category: Option<FaultCategory>,
    /// One customer.
    pub organization: Option<OrganizationId>,
    /// Written at or after.
    pub from: Option<Timestamp>,
    /// Written before.
    pub to: Option<Timestamp>,
}

#[derive(sqlx::FromRow)]
struct FaultRow {
    id: i64,
    year: i64,
    seq: i64,
    title: String,
    severity: i64,
    organization_id: i64,
    organization_name: String,
    product_id: Option<i64>,
    product_name: Option<String>,
    product_version: String,
    symptom: String,
    category: String,
    root_cause: String,
    actions: String,
    downtime_start: Option<Ts>,
    downtime_end: Option<Ts>,
    article_id: Option<i64>,
    created_by: Option<i64>,
    created_name: Option<String>,
    created_at: Ts,
    updated_at: Ts,
    version: i64,
}

macro_rules! select_faults {
    () => {
        "SELECT f.id, c.year, c.seq, c.title, c.severity, f.organization_id, o.name AS organization_name,
            f.product_id, p.name AS product_name, f.product_version, f.symptom, f.category,
            f.root_cause, f.actions, f.downtime_start, f.downtime_end, f.article_id, f.created_by,
            u.name AS created_name, f.created_at, f.updated_at, f.version
         FROM fault_reports f JOIN cases c ON c.id = f.case_id
         JOIN organizations o ON o.id = f.organization_id
         LEFT JOIN products p ON p.id = f.product_id LEFT JOIN users u ON u.id = f.created_by "
    };
}

/// The filter of [`select_faults`] for a [`FaultQuery`] bound as `$1`..`$8`.
macro_rules! fault_filter {
    () => {
        "WHERE ($1 IS NULL OR f.product_id = $1) AND ($2 IS NULL OR f.product_version = $2)
           AND ($3 IS NULL OR EXISTS (SELECT 1 FROM fault_report_parts fp JOIN parts pp ON pp.id = fp.part_id
                                      WHERE fp.fault_id = f.id AND pp.part_number = $3))
           AND ($4 IS NULL OR lower(f.root_cause) LIKE $4 ESCAPE '\\')
           AND ($5 IS NULL OR f.category = $5) AND ($6 IS NULL OR f.organization_id = $6)
           AND ($7 IS NULL OR f.created_at >= $7) AND ($8 IS NULL OR f.created_at < $8) "
    };
}

async fn complete(db: &mut Db, r: FaultRow) -> StoreResult<FaultReport> {
    let parts: Vec<(i64, String, String, i64)> = on_db!(db, c => sqlx::query_as(
        "SELECT fp.part_id, p.part_number, p.description, fp.quantity FROM fault_report_parts fp
         JOIN parts p ON p.id = fp.part_id WHERE fp.fault_id = $1 ORDER BY p.part_number")
        .bind(r.id).fetch_all(c).await)?;
    let category = parse_column("fault_reports.category", &r.category, FaultCategory::parse)?;
    let downtime_minutes = match (&r.downtime_start, &r.downtime_end) {
        (Some(a), Some(b)) => Some(b.0.duration_since(a.0).as_mins()),
        _ => None,
    };
    Ok(FaultReport {
        id: r.id,
        case_number: format!("{}-{:05}", r.year, r.seq),
        case_title: r.title,
        severity: r.severity,
        organization: NamedRef {
            id: Id::new(r.organization_id),
            name: r.organization_name,
        },
        product: r.product_id.map(|id| NamedRef {
            id: Id::new(id),
            name: r.product_name.unwrap_or_default(),
        }),
        product_version: r.product_version,
        symptom: r.symptom,
        category,
        root_cause: r.root_cause,
        actions: r.actions,
        downtime_start: r.downtime_start.map(|t| t.0),
        downtime_end: r.downtime_end.map(|t| t.0),
        downtime_minutes,
        parts: parts
            .into_iter()
            .map(|(part_id, part_number, description, quantity)| FailedPart {
                part_id,
                part_number,
                description,
                quantity,
            })
            .collect(),
        article_id: r.article_id,
        created_by: r.created_by.map(|id| NamedRef {
            id: Id::new(id),
            name: r.created_name.unwrap_or_default(),
        }),
        created_at: r.created_at.0,
        updated_at: r.updated_at.0,
        version: r.version,
    })
}

/// A report.
pub async fn get(db: &mut Db, id: i64) -> StoreResult<Option<FaultReport>> {
    let row: Option<FaultRow> = on_db!(db, c => sqlx::query_as(
        concat!(select_faults!(), "WHERE f.id = $1")).bind(id).fetch_optional(c).await)?;
    match row {
        Some(r) => Ok(Some(complete(db, r).await?)),
        None => Ok(None),
    }
}

/// A case's report.
pub async fn of_case(db: &mut Db, case: CaseId) -> StoreResult<Option<FaultReport>> {
    let row: Option<FaultRow> = on_db!(db, c => sqlx::query_as(
        concat!(select_faults!(), "WHERE f.case_id = $1")).bind(case.get()).fetch_optional(c).await)?;
    match row {
        Some(r) => Ok(Some(complete(db, r).await?)),
        None => Ok(None),
    }
}

/// The reports answering `q`, newest first, at most `limit`.
pub async fn query(db: &mut Db, q: &FaultQuery, limit: i64) -> StoreResult<Vec<FaultReport>> {
    let pattern = q.root_cause.as_deref().map(contains_pattern);
    let rows: Vec<FaultRow> = on_db!(db, c => sqlx::query_as(
        concat!(select_faults!(), fault_filter!(), "ORDER BY f.created_at DESC, f.id DESC LIMIT $9"))
        .persistent(false)
        .bind(q.product.map(|p| p.get())).bind(q.version.as_deref()).bind(q.part_number.as_deref())
        .bind(&pattern).bind(q.category.map(Named::as_str)).bind(q.organization.map(|o| o.get()))
        .bind(q.from.map(Ts::new)).bind(q.to.map(Ts::new)).bind(limit).fetch_all(c).await)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(complete(db, r).await?);
    }
    Ok(out)
}

/// The part numbers named in the reports answering `q`, the most often failed first.
pub async fn part_failures(db: &mut Db, q: &FaultQuery) -> StoreResult<Vec<PartFailures>> {
    let pattern = q.root_cause.as_deref().map(contains_pattern);
    let rows: Vec<(String, String, i64, i64)> = on_db!(db, c => sqlx::query_as(
        concat!("SELECT p.part_number, p.description, COUNT(*), CAST(SUM(fpx.quantity) AS BIGINT)
         FROM fault_report_parts fpx JOIN parts p ON p.id = fpx.part_id
         WHERE fpx.fault_id IN (SELECT f.id FROM fault_reports f ", fault_filter!(), ")
         GROUP BY p.part_number, p.description
         ORDER BY SUM(fpx.quantity) DESC, COUNT(*) DESC, p.part_number LIMIT 200"))
        .persistent(false)
        .bind(q.product.map(|p| p.get())).bind(q.version.as_deref()).bind(q.part_number.as_deref())
        .bind(&pattern).bind(q.category.map(Named::as_str)).bind(q.organization.map(|o| o.get()))
        .bind(q.from.map(Ts::new)).bind(q.to.map(Ts::new)).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(
            |(part_number, description, reports, quantity)| PartFailures {
                part_number,
                description,
                reports,
                quantity,
            },
        )
        .collect())
}

/// Cases of severity 1 or with a part replaced on a visit, and no report, newest first (at
/// most 200).
pub async fn due(db: &mut Db) -> StoreResult<Vec<ReportDue>> {
    let rows: Vec<(i64, i64, String, i64, bool)> = on_db!(db, c => sqlx::query_as(
        "SELECT c.year, c.seq, c.title, c.severity,
                EXISTS (SELECT 1 FROM part_uses pu JOIN visits v ON v.id = pu.visit_id WHERE v.case_id = c.id)
         FROM cases c
         WHERE NOT EXISTS (SELECT 1 FROM fault_reports f WHERE f.case_id = c.id)
           AND (c.severity = 1 OR EXISTS (SELECT 1 FROM part_uses pu JOIN visits v ON v.id = pu.visit_id
                                         WHERE v.case_id = c.id))
         ORDER BY c.id DESC LIMIT 200")
        .fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(year, seq, title, severity, part_replaced)| ReportDue {
            case_number: format!("{year}-{seq:05}"),
            title,
            severity,
            part_replaced,
        })
        .collect())
}
