//! Fault-handling reports (故障处理报告) and the fault database. Staff write a case's report
//! (symptom, category, root cause, actions, downtime, the parts that failed: by default the
//! parts used on the case's visits), and change it with its version; the customers of the case
//! read it. Staff query the database by product, version, part number, category, root cause,
//! customer and period, count the part numbers that fail most, list the cases that owe a report
//! (severity 1, or a part replaced), export it (CSV or XLSX), and start a knowledge-base draft from a
//! report.

use casebook_domain::field::fault::{FaultDraft, FaultReport, PartFailures, ReportDue};
use casebook_domain::knowledge::Article;
use casebook_domain::policy::Permission;
use casebook_domain::{CaseNumber, FieldError, Named};
use casebook_store::faults::{self as store, FaultQuery, FaultText};
use casebook_store::{AuditEntry, parts};
use serde_json::json;

use crate::actions::cases::visible_case;
use crate::actions::knowledge::from_case::{Texts, draft_in};
use crate::actions::reporting::exports::table::headers;
use crate::actions::reporting::exports::{Cell, Row, Table};
use crate::actions::{ActionError, ActionResult, check_version};
use crate::app::App;
use crate::policy::{Principal, require};
use futures_util::StreamExt;

/// The most reports one query returns.
pub const MAX_ROWS: i64 = 1000;

/// A case's report, for anyone who may see the case.
pub async fn of_case(app: &App, who: &Principal, number: CaseNumber) -> ActionResult<FaultReport> {
    let mut db = app.store.read().await?;
    let case = visible_case(&mut db, who, number).await?;
    store::of_case(&mut db, case.id)
        .await?
        .ok_or(ActionError::NotFound("fault report"))
}

/// Writes or rewrites a case's report (staff); true when it is new.
pub async fn write(
    app: &App,
    who: &Principal,
    number: CaseNumber,
    mut draft: FaultDraft,
) -> ActionResult<(FaultReport, bool)> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let case = visible_case(&mut db, who, number).await?;
    require(who, Permission::WorkCases)?;
    let mut errors = draft.check(now);
    let lines: Vec<(i64, i64)> = match &draft.parts {
        Some(given) => given.iter().map(|p| (p.part_id, p.quantity)).collect(),
        None => store::parts_used(&mut db, case.id).await?,
    };
    for (i, (part, _)) in lines.iter().enumerate() {
        if parts::part(&mut db, *part).await?.is_none() {
            errors.push(FieldError::new(
                format!("parts[{i}].part_id"),
                "not_found",
                "no such part",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ActionError::Validation(errors));
    }
    let text = FaultText {
        product: case.product.as_ref().map(|p| p.id),
        product_version: case.product_version.as_deref().unwrap_or_default(),
        symptom: &draft.symptom,
        category: draft.category,
        root_cause: &draft.root_cause,
        actions: &draft.actions,
        downtime: (draft.downtime_start, draft.downtime_end),
    };
    let before = store::of_case(&mut db, case.id).await?;
    let (id, created) = match &before {
        None => {
            let inserted = store::insert(
                &mut db,
                case.id,
                case.organization.id,
                &text,
                who.user_id(),
                now,
            )
            .await?;
            let id = inserted.ok_or_else(|| ActionError::Conflict {
                code: "version_conflict",
                message: "the report was written meanwhile; reload it and try again".into(),
            })?;
            (id, true)
        }
        Some(old) => {
            check_version(draft.version, old.version)?;
            if !store::update(&mut db, old.id, old.version, &text, now).await? {
                return Err(ActionError::Conflict {
                    code: "version_conflict",
                    message: "the report changed meanwhile; reload it and try again".into(),
                });
            }
            (old.id, false)
        }
    };
    store::set_parts(&mut db, id, &lines).await?;
    let report = store::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("fault report"))?;
    let before = before.map(|b| serde_json::to_value(b).unwrap_or_default());
    let after = serde_json::to_value(&report).unwrap_or_default();
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        if created {
            "fault.create"
        } else {
            "fault.update"
        },
        "fault_report",
        id,
        before.as_ref(),
        Some(&after),
    ));
    db.commit().await?;
    Ok((report, created))
}

/// The reports answering `q` (staff), newest first.
pub async fn query(app: &App, who: &Principal, q: &FaultQuery) -> ActionResult<Vec<FaultReport>> {
    require(who, Permission::WorkCases)?;
    let mut db = app.store.read().await?;
    Ok(store::query(&mut db, q, MAX_ROWS).await?)
}

/// The part numbers that fail most in the reports answering `q` (staff).
pub async fn part_failures(
    app: &App,
    who: &Principal,
    q: &FaultQuery,
) -> ActionResult<Vec<PartFailures>> {
    require(who, Permission::WorkCases)?;
    let mut db = app.store.read().await?;
    Ok(store::part_failures(&mut db, q).await?)
}

/// The cases that owe a report (staff).
pub async fn due(app: &App, who: &Principal) -> ActionResult<Vec<ReportDue>> {
    require(who, Permission::WorkCases)?;
    let mut db = app.store.read().await?;
    Ok(store::due(&mut db).await?)
}

/// The reports answering `q` as a table to export (staff), headers in `lang`, times in the
/// desk's time zone.
pub async fn export(
    app: &App,
    who: &Principal,
    q: &FaultQuery,
    lang: crate::i18n::Lang,
) -> ActionResult<Table> {
    let reports = query(app, who, q).await?;
    let tz = app.config.time_zone();
    let zone = tz.iana_name().unwrap_or("UTC").to_owned();
    let local = |t: Option<casebook_domain::Timestamp>| match t {
        Some(t) => Cell::Timestamp(t.to_zoned(tz.clone()).datetime()),
        None => Cell::Empty,
    };
    let rows: Vec<Row> = reports
        .into_iter()
        .map(|r| {
            let parts = r
                .parts
                .iter()
                .map(|p| format!("{} ×{}", p.part_number, p.quantity))
                .collect::<Vec<_>>()
                .join("; ");
            vec![
                Cell::Text(r.case_number),
                Cell::Text(r.organization.name),
                Cell::text(r.product.map(|p| p.name)),
                Cell::Text(r.product_version),
                Cell::Integer(r.severity),
                Cell::Text(lang.t(&format!("fault-category-{}", r.category.as_str()))),
                Cell::Text(r.symptom),
                Cell::Text(r.root_cause),
                Cell::Text(r.actions),
                Cell::Text(parts),
                local(r.downtime_start),
                local(r.downtime_end),
                r.downtime_minutes.map_or(Cell::Empty, Cell::Integer),
                local(Some(r.created_at)),
            ]
        })
        .collect();
    let keys = [
        "fault-col-case",
        "fault-col-customer",
        "fault-col-product",
        "fault-col-version",
        "fault-col-severity",
        "fault-col-category",
        "fault-col-symptom",
        "fault-col-root-cause",
        "fault-col-actions",
        "fault-col-parts",
        "fault-col-down-from@zone",
        "fault-col-down-to@zone",
        "fault-col-down-minutes",
        "fault-col-written@zone",
    ];
    Ok(Table {
        name: "faults".into(),
        headers: headers(lang, &zone, &keys),
        batches: futures_util::stream::once(async move { Ok(rows) }).boxed(),
    })
}

/// Starts a knowledge-base draft from a report (staff who write articles): the symptom, the
/// root cause as the cause, the actions as the resolution, the customer's names removed.
pub async fn start_article(app: &App, who: &Principal, id: i64) -> ActionResult<Article> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    require(who, Permission::WorkCases)?;
    let report = store::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("fault report"))?;
    if let Some(article) = report.article_id {
        return Err(ActionError::Conflict {
            code: "fault_article_exists",
            message: format!("article {article} was started from this report already"),
        });
    }
    let number: CaseNumber = report
        .case_number
        .parse()
        .map_err(|_| ActionError::NotFound("fault report"))?;
    let case = visible_case(&mut db, who, number).await?;
    let texts = Texts {
        symptom: &report.symptom,
        cause: &report.root_cause,
        resolution: &report.actions,
    };
    let source = json!({"case": report.case_number, "fault_report": id});
    let article = draft_in(&mut db, who, &case, &texts, source, now).await?;
    store::set_article(&mut db, id, article.id.get()).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "fault.article",
        "fault_report",
        id,
        None,
        Some(&json!({"article": article.id.get()})),
    ));
    db.commit().await?;
    Ok(article)
}
