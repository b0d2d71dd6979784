//! A new case from the portal: the unit from the customer's installed base (or a product),
//! the severity with the seeds' definitions, description, environment and files. The customer
//! gets the case number at once, with when they will hear back. While the title is typed,
//! matching articles are suggested (`kb_suggest.rs`, through `app.js`).

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use casebook_domain::Named;
use casebook_domain::case::CaseDraft;
use casebook_domain::contract::Unit;
use casebook_domain::directory::Product;
use casebook_domain::{Category, Severity};
use casebook_store::units::UnitFilter;
use serde::Deserialize;
use serde_json::json;

use crate::actions::{ActionError, cases, cases::attachments, directory::units};
use crate::app::AppState;
use crate::web::choices::{self, first};
use crate::web::forms::{messages, opt, opt_number, parse, read_checked, typed_value};
use crate::web::page::{Ctx, render_status};
use crate::web::session::{Customer, Viewer, WebResult};

const FIELDS: [&str; 9] = [
    "title",
    "description",
    "severity",
    "category",
    "serial_number",
    "product_id",
    "product_version",
    "operating_system",
    "environment",
];

#[derive(Template)]
#[template(path = "portal/new_case.html")]
struct NewCasePage {
    ctx: Ctx,
    units: Vec<Unit>,
    products: Vec<Product>,
    severities: [Severity; 4],
    categories: &'static [Category],
    values: Vec<(String, String)>,
    errors: Vec<String>,
}

impl NewCasePage {
    fn value(&self, name: &str) -> String {
        typed_value(&self.values, name)
    }
}

async fn page(
    app: &AppState,
    viewer: &Viewer,
    values: Vec<(String, String)>,
    errors: Vec<String>,
) -> Result<NewCasePage, ActionError> {
    let who = &viewer.who;
    let units = units::list(app, who, UnitFilter::default(), None, &first(200))
        .await?
        .items;
    let products = choices::products(app, who).await?;
    Ok(NewCasePage {
        ctx: viewer.ctx.clone(),
        units,
        products,
        severities: Severity::ALL,
        categories: Category::ALL,
        values,
        errors,
    })
}

/// What a link to the form may fill in: the title (an article that did not solve the problem
/// links back here with what the customer had typed).
#[derive(Debug, Default, Deserialize)]
pub struct NewCaseQuery {
    #[serde(default)]
    title: String,
}

/// `GET /portal/cases/new`.
pub async fn show(
    State(app): State<AppState>,
    Customer(viewer): Customer,
    Query(query): Query<NewCaseQuery>,
) -> WebResult<Response> {
    let title: String = query.title.trim().chars().take(200).collect();
    let page = page(
        &app,
        &viewer,
        vec![("severity".into(), "3".into()), ("title".into(), title)],
        Vec::new(),
    )
    .await
    .map_err(|e| viewer.fail(e))?;
    Ok(render_status(StatusCode::OK, &page))
}

/// `POST /portal/cases`: opens the case, then adds the files to it.
pub async fn open(
    State(app): State<AppState>,
    Customer(viewer): Customer,
    multipart: Multipart,
) -> WebResult<Response> {
    let (mut form, refusal) = read_checked(&viewer, &app, multipart, &FIELDS).await?;
    if let Some(err) = refusal {
        let page = page(
            &app,
            &viewer,
            form.fields.clone(),
            messages(&err, viewer.ctx.lang),
        )
        .await
        .map_err(|e| viewer.fail(e))?;
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let get = |n: &str| form.text(n);
    let draft = json!({
        "title": get("title").unwrap_or_default(),
        "description": get("description").unwrap_or_default(),
        "severity": opt_number(get("severity")),
        "category": opt(get("category")),
        "serial_number": opt(get("serial_number")),
        "product_id": opt_number(get("product_id")),
        "product_version": opt(get("product_version")),
        "operating_system": opt(get("operating_system")),
        "environment": get("environment").unwrap_or_default(),
    });
    let result = match parse::<CaseDraft>(draft) {
        Ok(draft) => cases::open(&app, &viewer.who, draft).await,
        Err(err) => Err(err),
    };
    let case = match result {
        Ok(case) => case,
        Err(
            err @ (ActionError::Validation(_)
            | ActionError::Conflict { .. }
            | ActionError::Forbidden(_)),
        ) => {
            let values = form.fields.clone();
            let page = page(&app, &viewer, values, messages(&err, viewer.ctx.lang))
                .await
                .map_err(|e| viewer.fail(e))?;
            return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
        Err(err) => return Err(viewer.fail(err)),
    };
    if !form.files.is_empty() {
        attachments::add(
            &app,
            &viewer.who,
            case.number,
            None,
            std::mem::take(&mut form.files),
        )
        .await
        .map_err(|e| viewer.fail(e))?;
    }
    Ok(Redirect::to(&format!("/portal/cases/{}?opened=1", case.number)).into_response())
}
