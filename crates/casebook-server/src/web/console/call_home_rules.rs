//! `/console/call-home/rules`: the staff's call-home rules (what a product's event code does:
//! ignore, record, or open a case with a severity and category), listed, added, changed at the
//! version read (a stale version is refused and said so) and deleted, through the same actions
//! as the API (`actions::call_home::rules`) with the shared edit form.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use casebook_domain::call_home::RuleAction;
use casebook_domain::{Category, Named, Severity};

use super::call_home::call_home_actions;
use super::edit::{Field, Kind, shown};
use super::editor::Cx;
use super::tables::fail;
use crate::actions::ActionResult;
use crate::actions::call_home::rules::{self, CallHomeRule};
use crate::app::AppState;
use crate::policy::Principal;
use crate::web::choices;
use crate::web::page::{Ctx, render};
use crate::web::posted::{Checked, Nothing};
use crate::web::session::{Staff, WebResult};

/// The list of rules, where a saved rule goes.
pub(super) const RULES: &str = "/console/call-home/rules";

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
async fn product_names(app: &AppState, who: &Principal) -> ActionResult<Vec<(i64, String)>> {
    let products = choices::products(app, who).await?;
    Ok(products.into_iter().map(|p| (p.id.get(), p.name)).collect())
}

/// `GET /console/call-home/rules`.
async fn list(State(app): State<AppState>, staff: Staff) -> WebResult<Response> {
    let ctx = staff.0.ctx.clone();
    let rules = rules::list(&app, &staff.0.who)
        .await
        .map_err(fail(&staff))?;
    let names = product_names(&app, &staff.0.who)
        .await
        .map_err(fail(&staff))?;
    let names: HashMap<i64, String> = names.into_iter().collect();
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
pub(super) async fn rule_fields(cx: Cx<'_>, r: Option<&CallHomeRule>) -> ActionResult<Vec<Field>> {
    let ctx = cx.ctx;
    let mut products = vec![(String::new(), ctx.t("call-home-every-product"))];
    products.extend(
        product_names(cx.app, cx.who)
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
            shown(r.and_then(|r| r.product_id)),
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
            shown(r.and_then(|r| r.severity).map(|s| s.level())),
        ),
        Field::new(
            "category",
            "field-category",
            Kind::Select(categories),
            shown(r.and_then(|r| r.category).map(|c| c.as_str())),
        ),
    ])
}

/// `POST /console/call-home/rules/{id}/delete`.
async fn delete(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Checked(staff, _): Checked<Staff, Nothing>,
) -> WebResult<Response> {
    rules::delete(&app, &staff.0.who, id)
        .await
        .map_err(fail(&staff))?;
    Ok(Redirect::to(RULES).into_response())
}

/// The routes of the rules pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(RULES, get(list))
        .route("/console/call-home/rules/{id}/delete", post(delete))
}
