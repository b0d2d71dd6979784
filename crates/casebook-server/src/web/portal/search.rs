//! The portal's search (`/portal/search`): the customer's cases and the published articles for
//! customers, with the customer's rights (the engine's scope from the same policy as every case
//! list), so internal notes and other organisations' cases are never found.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use casebook_domain::Severity;
use casebook_store::search::Kind;

use crate::app::AppState;
use crate::web::console::search::{
    Found, PER_PAGE, SearchForm, StatusChoices, find, status_choices,
};
use crate::web::page::{Ctx, render_status};
use crate::web::session::{Customer, WebResult, urlencode};

/// The kinds customers search: their cases and the knowledge base.
pub const PORTAL_KINDS: [Kind; 2] = [Kind::Case, Kind::Article];

#[derive(Template)]
#[template(path = "portal/search.html")]
struct SearchPage {
    ctx: Ctx,
    form: SearchForm,
    found: Found,
    kinds: Vec<&'static str>,
    statuses: StatusChoices,
    severities: [Severity; 4],
}

/// The portal's page of an object found.
fn portal_href(hit: &crate::search::Hit) -> String {
    match hit.kind {
        Kind::Case => format!(
            "/portal/cases/{}",
            urlencode(hit.number.as_deref().unwrap_or_default())
        ),
        _ => format!("/portal/kb/{}", hit.id),
    }
}

/// `GET /portal/search`.
pub async fn show(
    State(app): State<AppState>,
    Customer(viewer): Customer,
    RawQuery(raw): RawQuery,
) -> WebResult<Response> {
    let mut form = SearchForm::parse(raw.as_deref());
    // Customers choose no organisation: theirs is the only one they search.
    form.organization_id.clear();
    let (status, found) = find(&app, &viewer, &form, &PORTAL_KINDS, PER_PAGE, portal_href).await?;
    Ok(render_status(
        status,
        &SearchPage {
            ctx: viewer.ctx,
            form,
            found,
            kinds: PORTAL_KINDS.iter().map(|k| k.as_str()).collect(),
            statuses: status_choices(),
            severities: Severity::ALL,
        },
    ))
}
