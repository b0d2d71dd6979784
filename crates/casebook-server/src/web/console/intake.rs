//! Phone intake (the coordinator's first stage in the seeds): look the caller up by customer
//! number, contract number, serial number, phone or e-mail; see their entitlement at once, the
//! organisation's contracts and units, pick the calling contact among the organisation's
//! people and see their open cases and recent closures (a caller often rings about a case they
//! already have); open the case on their behalf with the severity definitions shown beside the
//! choice.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use casebook_domain::Named;
use casebook_domain::case::{Case, CaseDraft};
use casebook_domain::directory::{Contact, Product};
use casebook_domain::ids::ContactId;
use casebook_domain::{Category, Severity, Status};
use casebook_store::case_list::CaseFilter;
use casebook_store::contacts::ContactFilter;
use serde::Deserialize;
use serde_json::json;

use crate::actions::contracts::entitlements::{Lookup, LookupQuery};
use crate::actions::{ActionError, cases, contracts::entitlements, directory::contacts};
use crate::app::AppState;
use crate::web::choices::{self, first};
use crate::web::forms::{messages, opt, opt_number, parse};
use crate::web::page::{Ctx, render_status};
use crate::web::session::{Staff, WebResult};

/// What the coordinator typed to find the caller.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Find {
    #[serde(default)]
    customer_number: String,
    #[serde(default)]
    contract_number: String,
    #[serde(default)]
    serial_number: String,
    #[serde(default)]
    contact: String,
    /// The caller picked among the organisation's contacts.
    #[serde(default)]
    caller: String,
}

/// The new case's fields as typed (kept when the case is refused).
#[derive(Debug, Default, Deserialize)]
pub struct NewCase {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    /// How the caller was found.
    #[serde(flatten)]
    find: Find,
    #[serde(default)]
    organization_id: String,
    #[serde(default)]
    contact_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    product_id: String,
    #[serde(default)]
    product_version: String,
    #[serde(default)]
    environment: String,
}

#[derive(Template)]
#[template(path = "console/intake.html")]
struct IntakePage {
    ctx: Ctx,
    find: Find,
    found: Option<Lookup>,
    /// The found organisation's contacts, to pick the caller from.
    people: Vec<Contact>,
    /// The caller: picked, or found by phone or e-mail.
    caller: Option<ContactId>,
    /// The caller's open cases (the organisation's, when no caller is known).
    open_cases: Vec<Case>,
    /// The caller's (or organisation's) most recently closed cases.
    closed_cases: Vec<Case>,
    products: Vec<Product>,
    severities: [Severity; 4],
    categories: &'static [Category],
    form: NewCase,
    errors: Vec<String>,
}

impl IntakePage {
    fn is_caller(&self, contact: &ContactId) -> bool {
        self.caller.as_ref() == Some(contact)
    }

    /// The category offered first: what the coordinator chose, else a fault (most calls are).
    fn is_category(&self, category: &Category) -> bool {
        match self.form.category.as_str() {
            "" => *category == Category::Defect,
            chosen => chosen == category.to_string(),
        }
    }

    fn searched(&self) -> bool {
        !(self.find.customer_number.is_empty()
            && self.find.contract_number.is_empty()
            && self.find.serial_number.is_empty()
            && self.find.contact.is_empty())
    }
}

fn query_of(find: &Find) -> LookupQuery {
    let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    LookupQuery {
        customer_number: some(&find.customer_number),
        contract_number: some(&find.contract_number),
        serial_number: some(&find.serial_number),
        contact: some(&find.contact),
        channel: None,
    }
}

async fn page(
    app: &AppState,
    staff: &Staff,
    find: Find,
    form: NewCase,
    errors: Vec<String>,
) -> Result<IntakePage, ActionError> {
    let who = &staff.0.who;
    let q = query_of(&find);
    let mut errors = errors;
    let found = if q.customer_number.is_none()
        && q.contract_number.is_none()
        && q.serial_number.is_none()
        && q.contact.is_none()
    {
        None
    } else {
        match entitlements::lookup(app, who, q).await {
            Ok(found) => Some(found),
            Err(err @ (ActionError::NotFound(_) | ActionError::Validation(_))) => {
                errors.extend(messages(&err));
                None
            }
            Err(err) => return Err(err),
        }
    };
    let products = choices::products(app, who).await?;
    let (mut people, mut caller, mut open_cases, mut closed_cases) =
        (Vec::new(), None, Vec::new(), Vec::new());
    if let Some(found) = &found {
        let org = found.organization.id;
        let of_org = ContactFilter {
            organization: Some(org),
            ..ContactFilter::default()
        };
        people = contacts::list(app, who, of_org, &first(200)).await?.items;
        let picked = find.caller.trim().parse::<i64>().ok().map(ContactId::new);
        caller = picked
            .filter(|p| people.iter().any(|c| c.id == *p))
            .or(found.contact.as_ref().map(|c| c.id));
        (open_cases, closed_cases) = history(app, staff, org, caller).await?;
    }
    Ok(IntakePage {
        ctx: staff.0.ctx.clone(),
        find,
        found,
        people,
        caller,
        open_cases,
        closed_cases,
        products,
        severities: Severity::ALL,
        categories: Category::ALL,
        form,
        errors,
    })
}

/// The open cases and the five latest closures of the caller (of the organisation when no
/// caller is known).
async fn history(
    app: &AppState,
    staff: &Staff,
    org: casebook_domain::ids::OrganizationId,
    caller: Option<ContactId>,
) -> Result<(Vec<Case>, Vec<Case>), ActionError> {
    let who = &staff.0.who;
    let of = |c: &Case| caller.is_none() || c.contact.as_ref().map(|k| k.id) == caller;
    let open = CaseFilter {
        organization: Some(org),
        statuses: Status::ALL
            .iter()
            .copied()
            .filter(|s| !s.is_terminal())
            .collect(),
        ..CaseFilter::default()
    };
    let open = cases::list(app, who, open, &first(100)).await?.items;
    let closed = CaseFilter {
        organization: Some(org),
        statuses: vec![Status::Closed],
        ..CaseFilter::default()
    };
    let mut closed: Vec<Case> = cases::list(app, who, closed, &first(50)).await?.items;
    closed.retain(of);
    closed.sort_by_key(|c| std::cmp::Reverse(c.closed_at));
    closed.truncate(5);
    Ok((open.into_iter().filter(of).collect(), closed))
}

/// `GET /console/intake`.
pub async fn show(
    State(app): State<AppState>,
    staff: Staff,
    Query(find): Query<Find>,
) -> WebResult<Response> {
    let page = page(&app, &staff, find, NewCase::default(), Vec::new())
        .await
        .map_err(|e| staff.0.fail(e))?;
    Ok(render_status(StatusCode::OK, &page))
}

/// `POST /console/intake`: opens the case for the caller found (channel phone).
pub async fn open(
    State(app): State<AppState>,
    staff: Staff,
    Form(form): Form<NewCase>,
) -> WebResult<Response> {
    staff.0.check_csrf(Some(&form.csrf))?;
    let draft = json!({
        "title": form.title,
        "description": form.description,
        "organization_id": opt_number(Some(&form.organization_id)),
        "contact_id": opt_number(Some(&form.contact_id)),
        "severity": opt_number(Some(&form.severity)),
        "category": opt(Some(&form.category)),
        "product_id": opt_number(Some(&form.product_id)),
        "product_version": opt(Some(&form.product_version)),
        "environment": form.environment,
        "channel": "phone",
        "serial_number": opt(Some(&form.find.serial_number)),
        "contract_number": opt(Some(&form.find.contract_number)),
    });
    let result = match parse::<CaseDraft>(draft) {
        Ok(draft) => cases::open(&app, &staff.0.who, draft).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(case) => Ok(Redirect::to(&format!("/console/cases/{}", case.number)).into_response()),
        Err(
            err @ (ActionError::Validation(_)
            | ActionError::Conflict { .. }
            | ActionError::Forbidden(_)),
        ) => {
            let find = form.find.clone();
            let errors = messages(&err);
            let page = page(&app, &staff, find, form, errors)
                .await
                .map_err(|e| staff.0.fail(e))?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(err) => Err(staff.0.fail(err)),
    }
}
