//! `/console/call-home/rules`: the staff's call-home rules (what a product's event code does:
//! ignore, record, or open a case with a severity and category), listed, added, changed at the
//! version read (a stale version is refused and said so) and deleted, through the same actions
//! as the API (`actions::call_home::rules`) with the shared edit form.

use std::collections::HashMap;
use std::future::Future;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use casebook_domain::call_home::RuleAction;
use casebook_domain::{Category, Named, Severity};
use casebook_store::PageRequest;
use casebook_store::products::ProductFilter;
use serde::Deserialize;

use super::admin::{Posted, page};
use super::call_home::call_home_actions;
use super::edit::{EditPage, Field, Kind};
use super::tables::fail;
use crate::actions::call_home::rules::{self, CallHomeRule};
use crate::actions::{ActionError, directory::products};
use crate::app::AppState;
use crate::web::forms::parse;
use crate::web::page::{Ctx, render, render_status};
use crate::web::session::{Staff, WebResult};

const RULES: &str = "/console/call-home/rules";

/// A rule as the list shows it.
struct Line {
    id: i64,
    product: String,
    event_code: String,
    action: String,
    severity: String,
    category: String,
    version: i64,
}

#[derive(Template)]
#[template(path = "console/call_home_rules.html")]
struct RulesPage {
    ctx: Ctx,
    actions: Vec<(&'static str, String)>,
    rules: Vec<Line>,
}

/// The products by id, for names and the product choice (the first 200).
async fn product_names(app: &AppState, staff: &Staff) -> WebResult<Vec<(i64, String)>> {
    let page = products::list(
        app,
        &staff.0.who,
        ProductFilter::default(),
        &PageRequest {
            limit: Some(200),
            cursor: None,
        },
    )
    .await
    .map_err(fail(staff))?;
    Ok(page
        .items
        .into_iter()
        .map(|p| (p.id.get(), p.name))
        .collect())
}

/// `GET /console/call-home/rules`.
async fn list(State(app): State<AppState>, staff: Staff) -> WebResult<Response> {
    let ctx = staff.0.ctx.clone();
    let rules = rules::list(&app, &staff.0.who)
        .await
        .map_err(fail(&staff))?;
    let names: HashMap<i64, String> = product_names(&app, &staff).await?.into_iter().collect();
    let rules = rules
        .into_iter()
        .map(|r| Line {
            id: r.id,
            product: match r.product_id {
                Some(p) => names
                    .get(&p.get())
                    .cloned()
                    .unwrap_or_else(|| p.to_string()),
                None => ctx.t("call-home-every-product"),
            },
            event_code: r.event_code,
            action: ctx.tk("call-home-action", r.action.as_str()),
            severity: r.severity.map(|s| ctx.sev(s)).unwrap_or_default(),
            category: r.category.map(|c| ctx.category(c)).unwrap_or_default(),
            version: r.version,
        })
        .collect();
    let mut actions = call_home_actions();
    actions.push(("call-home-new-rule", format!("{RULES}/new")));
    Ok(render(&RulesPage {
        ctx,
        actions,
        rules,
    }))
}

/// The form's fields, with a rule's values.
async fn fields(app: &AppState, staff: &Staff, r: Option<&CallHomeRule>) -> WebResult<Vec<Field>> {
    let ctx = &staff.0.ctx;
    let mut products = vec![(String::new(), ctx.t("call-home-every-product"))];
    products.extend(
        product_names(app, staff)
            .await?
            .into_iter()
            .map(|(id, name)| (id.to_string(), name)),
    );
    let actions = RuleAction::ALL
        .iter()
        .rev()
        .map(|a| {
            (
                a.as_str().to_owned(),
                ctx.tk("call-home-action", a.as_str()),
            )
        })
        .collect();
    let mut severities = vec![(String::new(), ctx.t("call-home-severity-from-device"))];
    severities.extend(
        Severity::ALL
            .iter()
            .map(|s| (s.level().to_string(), ctx.sev(s))),
    );
    let mut categories = vec![(String::new(), "–".to_owned())];
    categories.extend(
        Category::ALL
            .iter()
            .map(|c| (c.as_str().to_owned(), ctx.category(c))),
    );
    Ok(vec![
        Field::new(
            "product_id",
            "field-product",
            Kind::SelectNumber(products),
            r.and_then(|r| r.product_id)
                .map(|p| p.to_string())
                .unwrap_or_default(),
        ),
        Field::new(
            "event_code",
            "field-event-code-pattern",
            Kind::Text,
            r.map(|r| r.event_code.clone()).unwrap_or_default(),
        ),
        Field::new(
            "action",
            "field-rule-action",
            Kind::Select(actions),
            r.map(|r| r.action.as_str().to_owned()).unwrap_or_default(),
        ),
        Field::new(
            "severity",
            "field-severity",
            Kind::SelectNumber(severities),
            r.and_then(|r| r.severity)
                .map(|s| s.level().to_string())
                .unwrap_or_default(),
        ),
        Field::new(
            "category",
            "field-category",
            Kind::Select(categories),
            r.and_then(|r| r.category)
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
        ),
    ])
}

async fn new_page(app: &AppState, staff: &Staff) -> WebResult<EditPage> {
    Ok(page(
        staff,
        staff.0.ctx.t("call-home-new-rule"),
        format!("{RULES}/new"),
        RULES.to_owned(),
        fields(app, staff, None).await?,
        None,
    ))
}

async fn edit_page(app: &AppState, staff: &Staff, id: i64) -> WebResult<EditPage> {
    let rule = rules::list(app, &staff.0.who)
        .await
        .map_err(fail(staff))?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| staff.0.not_found())?;
    Ok(page(
        staff,
        staff
            .0
            .ctx
            .t1("call-home-edit-rule", "code", &rule.event_code),
        format!("{RULES}/{id}/edit"),
        RULES.to_owned(),
        fields(app, staff, Some(&rule)).await?,
        Some(rule.version),
    ))
}

/// Parses the form into a rule and runs `act`; a refusal shows the form again with what was
/// typed, a stale version with its own message (nothing was saved).
async fn save<F>(
    staff: &Staff,
    page: EditPage,
    posted: Vec<(String, String)>,
    act: impl FnOnce(CallHomeRule) -> F,
) -> WebResult<Response>
where
    F: Future<Output = Result<CallHomeRule, ActionError>>,
{
    let csrf = posted
        .iter()
        .find(|(n, _)| n == "_csrf")
        .map(|(_, v)| v.as_str());
    staff.0.check_csrf(csrf)?;
    let result = match parse::<CallHomeRule>(page.document(&posted)) {
        Ok(rule) => act(rule).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(_) => Ok(Redirect::to(RULES).into_response()),
        Err(ActionError::StaleVersion) => {
            let mut shown = page.take(&posted);
            shown.errors = vec![staff.0.ctx.t("call-home-rule-stale")];
            Ok(render_status(StatusCode::CONFLICT, &shown))
        }
        Err(err @ (ActionError::Validation(_) | ActionError::Conflict { .. })) => {
            Ok(page.refused(&posted, &err))
        }
        Err(err) => Err(staff.0.fail(err)),
    }
}

async fn new_form(State(app): State<AppState>, staff: Staff) -> WebResult<Response> {
    Ok(new_page(&app, &staff).await?.show())
}

async fn create(
    State(app): State<AppState>,
    staff: Staff,
    Form(posted): Posted,
) -> WebResult<Response> {
    let p = new_page(&app, &staff).await?;
    save(&staff, p, posted, |rule| {
        rules::create(&app, &staff.0.who, rule)
    })
    .await
}

async fn edit_form(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    Ok(edit_page(&app, &staff, id).await?.show())
}

async fn update(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(posted): Posted,
) -> WebResult<Response> {
    let p = edit_page(&app, &staff, id).await?;
    save(&staff, p, posted, |rule| {
        rules::update(&app, &staff.0.who, id, rule)
    })
    .await
}

/// A form that sends only its CSRF token.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

impl TokenForm {
    /// The token sent.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /console/call-home/rules/{id}/delete`.
async fn delete(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<TokenForm>,
) -> WebResult<Response> {
    staff.0.check_csrf(Some(&form.csrf))?;
    rules::delete(&app, &staff.0.who, id)
        .await
        .map_err(fail(&staff))?;
    Ok(Redirect::to(RULES).into_response())
}

/// The routes of the rules pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(RULES, get(list))
        .route("/console/call-home/rules/new", get(new_form).post(create))
        .route(
            "/console/call-home/rules/{id}/edit",
            get(edit_form).post(update),
        )
        .route("/console/call-home/rules/{id}/delete", post(delete))
}
