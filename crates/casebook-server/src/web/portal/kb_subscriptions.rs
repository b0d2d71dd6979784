//! The customer's critical-issue alert subscriptions (`/portal/subscriptions`): the products
//! whose alerts (关键问题预警) the signed-in customer's contact receives by mail, as
//! checkboxes, saved through the same action as the API.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use casebook_domain::directory::Product;
use casebook_domain::ids::ProductId;
use casebook_domain::knowledge::SubscriptionsEdit;
use serde::Deserialize;
use serde_json::json;

use crate::actions::{ActionError, knowledge::subscriptions};
use crate::app::AppState;
use crate::web::choices;
use crate::web::forms::{parse, refusal};
use crate::web::page::{Ctx, render_status};
use crate::web::session::{Customer, Viewer, WebResult};

#[derive(Template)]
#[template(path = "portal/subscriptions.html")]
struct SubscriptionsPage {
    ctx: Ctx,
    /// Whether the customer has a contact (alerts go to contacts).
    has_contact: bool,
    products: Vec<Product>,
    chosen: Vec<ProductId>,
    saved: bool,
    errors: Vec<String>,
}

impl SubscriptionsPage {
    fn chosen(&self, product: &Product) -> bool {
        self.chosen.contains(&product.id)
    }
}

async fn page(
    app: &AppState,
    viewer: &Viewer,
    chosen: Option<Vec<ProductId>>,
    saved: bool,
    errors: Vec<String>,
) -> Result<SubscriptionsPage, ActionError> {
    let contact = viewer.who.actor().and_then(|a| a.contact);
    let chosen = match (chosen, contact) {
        (Some(chosen), _) => chosen,
        (None, Some(contact)) => subscriptions::get(app, &viewer.who, contact)
            .await?
            .products
            .into_iter()
            .map(|p| p.id)
            .collect(),
        (None, None) => Vec::new(),
    };
    let products = choices::products(app, &viewer.who).await?;
    Ok(SubscriptionsPage {
        ctx: viewer.ctx.clone(),
        has_contact: contact.is_some(),
        products,
        chosen,
        saved,
        errors,
    })
}

/// Whether the page follows a save.
#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /portal/subscriptions`.
pub async fn show(
    State(app): State<AppState>,
    Customer(viewer): Customer,
    Query(q): Query<ShowQuery>,
) -> WebResult<Response> {
    let page = page(&app, &viewer, None, q.saved.is_some(), Vec::new())
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render_status(axum::http::StatusCode::OK, &page))
}

/// `POST /portal/subscriptions`: the ticked products become the contact's subscriptions.
pub async fn save(
    State(app): State<AppState>,
    Customer(viewer): Customer,
    Form(values): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let csrf = values.iter().find(|(n, _)| n == "_csrf").map(|(_, v)| v);
    viewer.check_csrf(csrf.map(String::as_str))?;
    let Some(contact) = viewer.who.actor().and_then(|a| a.contact) else {
        return Err(viewer.not_found());
    };
    let ids: Vec<serde_json::Value> = values
        .iter()
        .filter(|(n, _)| n == "product")
        .map(|(_, v)| {
            v.trim()
                .parse::<i64>()
                .map_or_else(|_| json!(v), serde_json::Value::from)
        })
        .collect();
    // A refused form comes back with the boxes as they were ticked.
    let ticked: Vec<ProductId> = ids
        .iter()
        .filter_map(serde_json::Value::as_i64)
        .map(ProductId::new)
        .collect();
    let result = match parse::<SubscriptionsEdit>(json!({"product_ids": ids})) {
        Ok(edit) => subscriptions::set(&app, &viewer.who, contact, edit).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/portal/subscriptions?saved=1").into_response()),
        Err(err) => {
            let (status, errors) = refusal(&viewer, err)?;
            let page = page(&app, &viewer, Some(ticked), false, errors)
                .await
                .map_err(|e| viewer.fail(e))?;
            Ok(render_status(status, &page))
        }
    }
}
