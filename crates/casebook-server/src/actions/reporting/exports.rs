//! Exports (issue 23): cases with their SLA results, work entries (a time sheet) and survey
//! answers, for the filters the console's case list, time sheet and survey results use, and
//! each table of the managers' dashboard, as a [`Table`] streamed batch by batch
//! (`edge::export` writes it as CSV or XLSX). Staff only. Every export is audited: an
//! `export.<table>` entry with the format and filters before the first row is read, and an
//! `export.<table>.done` entry with the number of rows once the last batch was read (a client
//! that goes away before leaves only the first).

mod case_rows;
mod chart_rows;
mod survey_rows;
pub mod table;
mod work_rows;

use casebook_domain::ids::{ContractId, OrganizationId, ProductId, UserId};
use casebook_domain::policy::Permission;
use casebook_domain::{FieldError, Timestamp};
use casebook_store::case_list::{CaseFilter, OwnerFilter};
use casebook_store::exports::{Period, WorkExportFilter};
use casebook_store::{AuditEntry, contracts, organizations, products, users};
use serde::Serialize;

use crate::actions::reporting::dashboard::{self, DashboardQuery};
use crate::actions::surveys::results::SurveyQuery;
use crate::actions::{ActionError, ActionResult};
use crate::app::AppState;
use crate::i18n::Lang;
use crate::policy::{Principal, require};
pub use table::{Cell, Row, Table};

/// Rows read per batch: big enough that a million rows take a few hundred statements, small
/// enough that a batch is a few hundred kilobytes.
pub const BATCH: i64 = 1000;

/// The file formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// CSV in UTF-8 with a byte-order mark (Excel then reads it as UTF-8).
    Csv,
    /// CSV in GB18030 (Excel on Chinese Windows opens it with a double click).
    CsvGb18030,
    /// An Excel workbook.
    Xlsx,
}

impl Format {
    /// Reads `csv`, `csv-gb18030` or `xlsx`.
    pub fn parse(s: &str) -> ActionResult<Format> {
        match s {
            "csv" => Ok(Format::Csv),
            "csv-gb18030" => Ok(Format::CsvGb18030),
            "xlsx" => Ok(Format::Xlsx),
            _ => Err(ActionError::field(
                "format",
                "invalid",
                "the format is csv, csv-gb18030 or xlsx",
            )),
        }
    }

    /// The file name's extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv | Format::CsvGb18030 => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

/// A period of days in the desk's time zone, both ends inclusive.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Days {
    /// The first day.
    pub from: Option<jiff::civil::Date>,
    /// The last day.
    pub to: Option<jiff::civil::Date>,
}

impl Days {
    fn check(self, errors: &mut Vec<FieldError>) {
        if let (Some(from), Some(to)) = (self.from, self.to)
            && to < from
        {
            errors.push(FieldError::new(
                "to",
                "before_from",
                "the last day is before the first",
            ));
        }
    }

    /// The instants of the period in the time zone: from the first day's start to the start of
    /// the day after the last.
    fn instants(self, tz: &jiff::tz::TimeZone) -> ActionResult<Period> {
        let start = |d: jiff::civil::Date| -> ActionResult<Timestamp> {
            d.to_zoned(tz.clone())
                .map(|z| z.timestamp())
                .map_err(|e| ActionError::field("from", "invalid", e.to_string()))
        };
        Ok(Period {
            from: self.from.map(start).transpose()?,
            until: self
                .to
                .map(|d| {
                    d.tomorrow()
                        .map_err(|e| ActionError::field("to", "invalid", e.to_string()))
                        .and_then(start)
                })
                .transpose()?,
        })
    }
}

/// What a case export holds.
#[derive(Debug, Clone)]
pub struct CaseExport {
    /// The case list's filters.
    pub filter: CaseFilter,
    /// Cases opened in these days.
    pub opened: Days,
    /// The file format (recorded in the audit log).
    pub format: Format,
    /// The language of the headers.
    pub lang: Lang,
}

/// What a work-entry export holds.
#[derive(Debug, Clone)]
pub struct WorkExport {
    /// One person's entries.
    pub user: Option<UserId>,
    /// On cases of one organisation.
    pub organization: Option<OrganizationId>,
    /// On cases about one product.
    pub product: Option<ProductId>,
    /// Charged to one contract.
    pub contract: Option<ContractId>,
    /// Only billable or only other time.
    pub billable: Option<bool>,
    /// Worked on these days.
    pub days: Days,
    /// The file format.
    pub format: Format,
    /// The language of the headers.
    pub lang: Lang,
}

/// What a survey-answer export holds.
#[derive(Debug, Clone)]
pub struct SurveyExport {
    /// The survey results page's filters (the day answered).
    pub query: SurveyQuery,
    /// The file format.
    pub format: Format,
    /// The language of the headers.
    pub lang: Lang,
}

/// What an export of one dashboard table holds.
#[derive(Debug, Clone)]
pub struct ChartExport {
    /// The table's id, e.g. `sla_attainment`.
    pub chart: String,
    /// The dashboard's filters.
    pub query: DashboardQuery,
    /// The file format.
    pub format: Format,
    /// The language of the headers and words.
    pub lang: Lang,
}

/// The filters as the audit log keeps them.
#[derive(Debug, Serialize)]
struct Audited {
    format: Format,
    filters: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    rows: Option<u64>,
}

/// What an export reads, as its audit entries name it.
#[derive(Debug, Clone, Copy)]
enum Source {
    Cases,
    Work,
    SurveyAnswers,
    Dashboard,
}

impl Source {
    /// The audit actions of its start and its end, and the prefix of its export id.
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Source::Cases => ("export.cases", "export.cases.done", "cases"),
            Source::Work => ("export.work", "export.work.done", "work"),
            Source::SurveyAnswers => (
                "export.survey_answers",
                "export.survey_answers.done",
                "survey_answers",
            ),
            Source::Dashboard => ("export.dashboard", "export.dashboard.done", "dashboard"),
        }
    }
}

/// Writes the opening audit entry and returns the closing one's writer.
async fn audit_start(
    app: &AppState,
    who: &Principal,
    source: Source,
    format: Format,
    filters: serde_json::Value,
) -> ActionResult<
    impl FnOnce(u64) -> futures_util::future::BoxFuture<'static, ActionResult<()>> + use<>,
> {
    let (action, done, table) = source.names();
    let id = format!("{}-{:08x}", table, rand::random::<u32>());
    let mut db = app.store.write().await?;
    let entry = Audited {
        format,
        filters: filters.clone(),
        rows: None,
    };
    db.audit(AuditEntry::change(
        app.clock.now(),
        &who.audit_actor(),
        action,
        "export",
        &id,
        None,
        Some(&entry),
    ));
    db.commit().await?;
    let app = app.clone();
    let actor = who.audit_actor();
    Ok(
        move |rows: u64| -> futures_util::future::BoxFuture<'static, ActionResult<()>> {
            Box::pin(async move {
                let mut db = app.store.write().await?;
                let entry = Audited {
                    format,
                    filters,
                    rows: Some(rows),
                };
                db.audit(AuditEntry::change(
                    app.clock.now(),
                    &actor,
                    done,
                    "export",
                    &id,
                    None,
                    Some(&entry),
                ));
                db.commit().await?;
                Ok(())
            })
        },
    )
}

/// Refuses an organisation, product, user or contract that does not exist.
async fn check_refs(
    app: &AppState,
    organization: Option<OrganizationId>,
    product: Option<ProductId>,
    user: Option<(UserId, &'static str)>,
    contract: Option<ContractId>,
    errors: &mut Vec<FieldError>,
) -> ActionResult<()> {
    let mut db = app.store.read().await?;
    let unknown = |field: &str, what: &str| {
        FieldError::new(field.to_owned(), "unknown", format!("no such {what}"))
    };
    if let Some(id) = organization
        && organizations::get(&mut db, id).await?.is_none()
    {
        errors.push(unknown("organization", "organisation"));
    }
    if let Some(id) = product
        && products::get(&mut db, id).await?.is_none()
    {
        errors.push(unknown("product", "product"));
    }
    if let Some((id, field)) = user
        && users::get(&mut db, id).await?.is_none()
    {
        errors.push(unknown(field, "user"));
    }
    if let Some(id) = contract
        && contracts::get(&mut db, id).await?.is_none()
    {
        errors.push(unknown("contract", "contract"));
    }
    Ok(())
}

/// Cases with their SLA results, one row per case, newest first (staff only).
pub async fn cases(app: &AppState, who: &Principal, export: CaseExport) -> ActionResult<Table> {
    require(who, Permission::WorkCases)?;
    let mut errors = Vec::new();
    export.opened.check(&mut errors);
    let owner = match export.filter.owner {
        Some(OwnerFilter::User(u)) => Some((u, "owner")),
        _ => None,
    };
    check_refs(
        app,
        export.filter.organization,
        export.filter.product,
        owner,
        None,
        &mut errors,
    )
    .await?;
    if !errors.is_empty() {
        return Err(ActionError::Validation(errors));
    }
    let period = export.opened.instants(&app.config.time_zone())?;
    let filters = case_rows::audited(&export);
    let finish = audit_start(app, who, Source::Cases, export.format, filters).await?;
    Ok(case_rows::table(
        app.clone(),
        crate::policy::case_scope(who),
        export,
        period,
        finish,
    ))
}

/// Work entries (a time sheet), newest first (staff only).
pub async fn work(app: &AppState, who: &Principal, export: WorkExport) -> ActionResult<Table> {
    require(who, Permission::WorkCases)?;
    let mut errors = Vec::new();
    export.days.check(&mut errors);
    check_refs(
        app,
        export.organization,
        export.product,
        export.user.map(|u| (u, "user")),
        export.contract,
        &mut errors,
    )
    .await?;
    if !errors.is_empty() {
        return Err(ActionError::Validation(errors));
    }
    let filter = WorkExportFilter {
        user: export.user,
        organization: export.organization,
        product: export.product,
        contract: export.contract,
        billable: export.billable,
        from: export.days.from.map(|d| d.to_string()),
        to: export.days.to.map(|d| d.to_string()),
    };
    let filters = serde_json::json!({
        "user": export.user.map(|u| u.get()),
        "organization": export.organization.map(|o| o.get()),
        "product": export.product.map(|p| p.get()),
        "contract": export.contract.map(|c| c.get()),
        "billable": export.billable,
        "from": filter.from,
        "to": filter.to,
    });
    let finish = audit_start(app, who, Source::Work, export.format, filters).await?;
    Ok(work_rows::table(app.clone(), filter, export.lang, finish))
}

/// Answered surveys with their scores and comments, newest first (staff), for the survey
/// results page's filters.
pub async fn survey_answers(
    app: &AppState,
    who: &Principal,
    export: SurveyExport,
) -> ActionResult<Table> {
    require(who, Permission::WorkCases)?;
    let filter = export.query.filter()?;
    let mut errors = Vec::new();
    check_refs(
        app,
        filter.organization,
        filter.product,
        filter.engineer.map(|u| (u, "engineer")),
        None,
        &mut errors,
    )
    .await?;
    if !errors.is_empty() {
        return Err(ActionError::Validation(errors));
    }
    let filters = serde_json::json!({
        "from": filter.from,
        "to": filter.to,
        "organization": filter.organization.map(|o| o.get()),
        "product": filter.product.map(|p| p.get()),
        "engineer": filter.engineer.map(|u| u.get()),
    });
    let finish = audit_start(app, who, Source::SurveyAnswers, export.format, filters).await?;
    Ok(survey_rows::table(app.clone(), filter, export.lang, finish))
}

/// One table of the managers' dashboard for its filters (managers and administrators): the
/// rows the dashboard shows.
pub async fn dashboard_chart(
    app: &AppState,
    who: &Principal,
    export: ChartExport,
) -> ActionResult<Table> {
    require(who, Permission::ReadReports)?;
    let now = app.clock.now();
    let filters = dashboard::filters(app, &export.query, now).await?;
    let built = dashboard::build(app, &filters, now).await?;
    let Some(chart) = built.charts.iter().find(|c| c.id == export.chart) else {
        let known: Vec<&str> = built.charts.iter().map(|c| c.id.as_str()).collect();
        return Err(ActionError::field(
            "chart",
            "unknown",
            format!("no such table; the dashboard has {}", known.join(", ")),
        ));
    };
    let audited = serde_json::json!({
        "chart": chart.id,
        "from": filters.period.from().to_string(),
        "to": filters.period.to().to_string(),
        "organization": filters.organization.map(|o| o.get()),
        "product": filters.product.map(|p| p.get()),
        "team": filters.team,
    });
    let finish = audit_start(app, who, Source::Dashboard, export.format, audited).await?;
    Ok(chart_rows::table(chart, export.lang, finish))
}
