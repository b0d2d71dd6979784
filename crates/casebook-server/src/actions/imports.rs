//! Bulk import of organisations, contacts, installed units and contracts from a table (CSV or
//! XLSX, read by the CLI), for a company moving from spreadsheets. Rows refer to each other by
//! the numbers people know (customer number, serial number, contract number, e-mail), not ids.
//!
//! Every row goes through the same use case as the API, all in one transaction: if any row has a
//! problem, every problem is reported with its row and field and nothing is written; a dry run
//! does the same work and writes nothing either.

use casebook_domain::FieldError;
use casebook_domain::ids::OrganizationId;
use casebook_domain::policy::Permission;
use casebook_store::{
    Db, contacts as contacts_store, organizations as orgs_store, products, sites,
    units as units_store, users,
};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::actions::{
    ActionError, ActionResult, contracts, directory::contacts, directory::organizations,
    directory::units,
};
use crate::app::App;
use crate::policy::{Principal, require};

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// `customer_number, name, address, notes, support_plan`.
    Organizations,
    /// `customer_number, name, email, phone, can_open_cases`.
    Contacts,
    /// `customer_number, serial_number, vendor, product, product_version, patch_level,
    /// operating_system, site_code, site_name, site_address, notes`.
    Units,
    /// `contract_number, customer_number, plan, starts_on, ends_on, precedence, serial_numbers,
    /// products, contacts, channels, services, incidents, hours, service_manager, notes` (lists
    /// separated by `;`).
    Contracts,
}

/// A table: a header row and data rows of text cells.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Column names (trimmed, lower-case).
    pub headers: Vec<String>,
    /// The rows, as read.
    pub rows: Vec<Vec<String>>,
}

/// A problem with one row; `row` counts as a spreadsheet does (the header is row 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    /// Row number.
    pub row: usize,
    /// The column.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// What an import did or would do.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Data rows read.
    pub rows: usize,
    /// Records created (0 in a dry run or when there are problems).
    pub created: usize,
    /// Every problem found.
    pub problems: Vec<RowProblem>,
    /// Whether anything was written.
    pub written: bool,
}

fn columns(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Organizations => &[
            "customer_number",
            "name",
            "address",
            "notes",
            "support_plan",
        ],
        Kind::Contacts => &[
            "customer_number",
            "name",
            "email",
            "phone",
            "can_open_cases",
        ],
        Kind::Units => &[
            "customer_number",
            "serial_number",
            "vendor",
            "product",
            "product_version",
            "patch_level",
            "operating_system",
            "site_code",
            "site_name",
            "site_address",
            "notes",
        ],
        Kind::Contracts => &[
            "contract_number",
            "customer_number",
            "plan",
            "starts_on",
            "ends_on",
            "precedence",
            "serial_numbers",
            "products",
            "contacts",
            "channels",
            "services",
            "incidents",
            "hours",
            "service_manager",
            "notes",
        ],
    }
}

/// One row by column name; empty cells are absent.
struct Row<'a> {
    cells: Map<String, Value>,
    problems: &'a mut Vec<RowProblem>,
    number: usize,
}

impl Row<'_> {
    fn text(&self, column: &str) -> Option<String> {
        self.cells
            .get(column)
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    fn list(&self, column: &str) -> Vec<String> {
        self.text(column)
            .map(|t| {
                t.split([';', '；'])
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn problem(&mut self, field: &str, message: impl Into<String>) {
        self.problems.push(RowProblem {
            row: self.number,
            field: field.to_owned(),
            message: message.into(),
        });
    }

    async fn organization(&mut self, db: &mut Db) -> ActionResult<Option<OrganizationId>> {
        let Some(number) = self.text("customer_number") else {
            self.problem("customer_number", "required");
            return Ok(None);
        };
        match orgs_store::find_by_customer_number(db, &number).await? {
            Some(org) => Ok(Some(org.id)),
            None => {
                self.problem(
                    "customer_number",
                    format!("no organisation has customer number {number}"),
                );
                Ok(None)
            }
        }
    }
}

/// Turns a row's JSON into a draft, naming the column of a value serde refuses.
fn draft<T: serde::de::DeserializeOwned>(row: &mut Row<'_>, value: Value) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(d) => Some(d),
        Err(e) => {
            let path = e.path().to_string();
            let message = e.into_inner().to_string();
            // A missing column has no path; serde names it in the message.
            let missing = message
                .strip_prefix("missing field `")
                .and_then(|m| m.split('`').next())
                .map(str::to_owned);
            let field = match (path.as_str(), missing) {
                (".", Some(name)) => name,
                (".", None) => "row".to_owned(),
                _ => path,
            };
            row.problem(&field, message);
            None
        }
    }
}

/// Records a use case's refusal as problems of the row.
fn refused(row: &mut Row<'_>, e: ActionError) -> ActionResult<()> {
    match e {
        ActionError::Validation(fields) => {
            for FieldError { field, message, .. } in fields {
                row.problem(&field, message);
            }
            Ok(())
        }
        ActionError::Conflict { message, .. } => {
            row.problem("row", message);
            Ok(())
        }
        ActionError::NotFound(what) => {
            row.problem("row", format!("{what} not found"));
            Ok(())
        }
        other => Err(other),
    }
}

fn yes_no(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "是" => Some(true),
        "no" | "n" | "false" | "0" | "否" => Some(false),
        _ => None,
    }
}

/// Imports a table of `kind`. `progress` is told how many rows are done.
pub async fn run(
    app: &App,
    who: &Principal,
    kind: Kind,
    table: &Table,
    dry_run: bool,
    progress: &(dyn Fn(usize) + Sync),
) -> ActionResult<Report> {
    require(who, Permission::ManageDirectory)?;
    let known = columns(kind);
    let mut problems = Vec::new();
    for (i, h) in table.headers.iter().enumerate() {
        if !known.contains(&h.as_str()) {
            problems.push(RowProblem {
                row: 1,
                field: h.clone(),
                message: format!(
                    "unknown column {} (column {}); known: {}",
                    h,
                    i + 1,
                    known.join(", ")
                ),
            });
        }
    }
    let mut report = Report {
        rows: table.rows.len(),
        ..Report::default()
    };
    if !problems.is_empty() {
        report.problems = problems;
        return Ok(report);
    }
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    for (i, cells) in table.rows.iter().enumerate() {
        let mut map = Map::new();
        for (h, v) in table.headers.iter().zip(cells) {
            let v = v.trim();
            if !v.is_empty() {
                map.insert(h.clone(), Value::String(v.to_owned()));
            }
        }
        let mut row = Row {
            cells: map,
            problems: &mut problems,
            number: i + 2,
        };
        let before = row.problems.len();
        let created = match kind {
            Kind::Organizations => organization_row(&mut db, who, &mut row, now).await?,
            Kind::Contacts => contact_row(&mut db, who, &mut row, now).await?,
            Kind::Units => unit_row(&mut db, who, &mut row, now).await?,
            Kind::Contracts => contract_row(&mut db, who, &mut row, now).await?,
        };
        if created && row.problems.len() == before {
            report.created += 1;
        }
        progress(i + 1);
    }
    report.problems = problems;
    if report.problems.is_empty() && !dry_run {
        db.commit().await?;
        report.written = true;
    } else {
        // Dropping the transaction undoes every row.
        drop(db);
        report.created = 0;
    }
    Ok(report)
}

type Now = casebook_domain::Timestamp;

/// Runs a use case on the draft a row makes; its refusal becomes the row's problems. Evaluates
/// to whether the record was created.
macro_rules! create_from {
    ($row:expr, $value:expr, $create:path, $db:expr, $who:expr, $now:expr) => {{
        let Some(d) = draft($row, $value) else {
            return Ok(false);
        };
        match $create($db, $who, d, $now).await {
            Ok(_) => Ok(true),
            Err(e) => refused($row, e).map(|()| false),
        }
    }};
}

async fn organization_row(
    db: &mut Db,
    who: &Principal,
    row: &mut Row<'_>,
    now: Now,
) -> ActionResult<bool> {
    let value = Value::Object(row.cells.clone());
    create_from!(row, value, organizations::create_in, db, who, now)
}

async fn contact_row(
    db: &mut Db,
    who: &Principal,
    row: &mut Row<'_>,
    now: Now,
) -> ActionResult<bool> {
    let Some(org) = row.organization(db).await? else {
        return Ok(false);
    };
    let mut value = row.cells.clone();
    value.remove("customer_number");
    value.insert("organization_id".into(), json!(org));
    if let Some(text) = row.text("can_open_cases") {
        match yes_no(&text) {
            Some(b) => {
                value.insert("can_open_cases".into(), json!(b));
            }
            None => {
                row.problem("can_open_cases", "yes or no");
                return Ok(false);
            }
        }
    }
    create_from!(row, Value::Object(value), contacts::create_in, db, who, now)
}

async fn unit_row(db: &mut Db, who: &Principal, row: &mut Row<'_>, now: Now) -> ActionResult<bool> {
    let Some(org) = row.organization(db).await? else {
        return Ok(false);
    };
    let (Some(vendor), Some(name)) = (row.text("vendor"), row.text("product")) else {
        row.problem("product", "vendor and product are required");
        return Ok(false);
    };
    let Some(product) = products::find(db, &vendor, &name).await? else {
        row.problem("product", format!("no product {name} of {vendor}"));
        return Ok(false);
    };
    let mut value = Map::new();
    value.insert("organization_id".into(), json!(org));
    value.insert("product_id".into(), json!(product));
    for column in [
        "serial_number",
        "product_version",
        "patch_level",
        "operating_system",
        "notes",
    ] {
        if let Some(v) = row.cells.get(column) {
            value.insert(column.into(), v.clone());
        }
    }
    if let Some(code) = row.text("site_code") {
        let site = match sites::find_by_code(db, &code).await? {
            Some(s) if s.organization_id == org => Some(s.id),
            Some(_) => {
                row.problem(
                    "site_code",
                    format!("site {code} belongs to another organisation"),
                );
                return Ok(false);
            }
            None => match row.text("site_name") {
                Some(site_name) => {
                    let d = json!({"organization_id": org, "code": code, "name": site_name,
                        "address": row.text("site_address").unwrap_or_default()});
                    let Some(d) = draft(row, d) else {
                        return Ok(false);
                    };
                    match crate::actions::directory::sites::create_in(db, who, d, now).await {
                        Ok(s) => Some(s.id),
                        Err(e) => return refused(row, e).map(|()| false),
                    }
                }
                None => {
                    row.problem(
                        "site_code",
                        format!("no site {code}; give site_name to create it"),
                    );
                    return Ok(false);
                }
            },
        };
        value.insert("site_id".into(), json!(site));
    }
    create_from!(row, Value::Object(value), units::create_in, db, who, now)
}

async fn contract_row(
    db: &mut Db,
    who: &Principal,
    row: &mut Row<'_>,
    now: Now,
) -> ActionResult<bool> {
    let Some(org) = row.organization(db).await? else {
        return Ok(false);
    };
    let mut value = Map::new();
    value.insert("organization_id".into(), json!(org));
    for column in ["contract_number", "plan", "starts_on", "ends_on", "notes"] {
        if let Some(v) = row.cells.get(column) {
            value.insert(column.into(), v.clone());
        }
    }
    for column in ["precedence", "incidents", "hours"] {
        if let Some(text) = row.text(column) {
            match text.parse::<i64>() {
                Ok(n) => {
                    value.insert(column.into(), json!(n));
                }
                Err(_) => {
                    row.problem(column, "must be a whole number");
                    return Ok(false);
                }
            }
        }
    }
    let mut unit_ids = Vec::new();
    for serial in row.list("serial_numbers") {
        let found = units_store::find_by_serial(db, &serial).await?;
        match found.iter().find(|u| u.organization_id == org) {
            Some(u) => unit_ids.push(u.id),
            None => row.problem(
                "serial_numbers",
                format!("the organisation has no unit {serial}"),
            ),
        }
    }
    value.insert("units".into(), json!(unit_ids));
    let mut product_ids = Vec::new();
    for name in row.list("products") {
        let (vendor, product) = name
            .split_once('/')
            .map_or((None, name.as_str()), |(v, p)| (Some(v.trim()), p.trim()));
        let filter = products::ProductFilter {
            q: Some(product.to_owned()),
            include_archived: false,
        };
        let page = casebook_store::PageRequest {
            limit: Some(200),
            cursor: None,
        };
        let matches: Vec<_> = products::list(db, &filter, &page)
            .await?
            .items
            .into_iter()
            .filter(|p| p.name == product && vendor.is_none_or(|v| p.vendor == v))
            .collect();
        match matches.as_slice() {
            [p] => product_ids.push(p.id),
            [] => row.problem("products", format!("no product {name}")),
            _ => row.problem(
                "products",
                format!("several vendors have a product {name}; write vendor/product"),
            ),
        }
    }
    value.insert("products".into(), json!(product_ids));
    let mut contact_ids = Vec::new();
    for email in row.list("contacts") {
        match contacts_store::find_by_email(db, org, &email.to_lowercase()).await? {
            Some(c) => contact_ids.push(c.id),
            None => row.problem(
                "contacts",
                format!("the organisation has no contact {email}"),
            ),
        }
    }
    value.insert("contacts".into(), json!(contact_ids));
    let channels = row.list("channels");
    if !channels.is_empty() {
        value.insert("channels".into(), json!(channels));
    }
    value.insert("services".into(), json!(row.list("services")));
    if let Some(email) = row.text("service_manager") {
        match users::find_for_sign_in(db, &email.to_lowercase()).await? {
            Some((user, _)) => {
                value.insert("service_manager_id".into(), json!(user.id));
            }
            None => {
                row.problem("service_manager", format!("no user {email}"));
                return Ok(false);
            }
        }
    }
    create_from!(
        row,
        Value::Object(value),
        contracts::create_in,
        db,
        who,
        now
    )
}
