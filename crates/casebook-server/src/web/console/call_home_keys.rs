//! `/console/call-home/keys`: the keys devices sign with, through the same actions as the API
//! (`actions::call_home::keys`): listed (never with their secret), made for an organisation and
//! optionally one of its sites, rotated with a grace period, revoked. The secret of a key just
//! made or rotated is shown once, on the answer to that form, which no cache keeps.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use serde::Deserialize;
use serde_json::json;

use super::call_home::call_home_actions;
use super::tables::fail;
use crate::actions::ActionError;
use crate::actions::call_home::keys::{self, KeyDraft, KeyInfo, NewKeyFile};
use crate::app::AppState;
use crate::web::choices;
use crate::web::forms::{opt, parse, refusal};
use crate::web::page::{Ctx, render_status};
use crate::web::posted::{Checked, Nothing};
use crate::web::session::{Staff, WebResult};

const KEYS: &str = "/console/call-home/keys";

/// The longest grace period of a rotated key, in hours (30 days), as in the API.
const LONGEST_GRACE_HOURS: u16 = 720;

/// What the make-key form holds.
#[derive(Debug, Default, Deserialize)]
pub struct MakeForm {
    #[serde(default)]
    organization: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    label: String,
}

#[derive(Template)]
#[template(path = "console/call_home_keys.html")]
struct KeysPage {
    ctx: Ctx,
    actions: Vec<(&'static str, String)>,
    keys: Vec<KeyInfo>,
    names: HashMap<i64, String>,
    organizations: Vec<(String, String)>,
    made: Option<NewKeyFile>,
    errors: Vec<String>,
    typed: MakeForm,
}

impl KeysPage {
    fn organization(&self, key: &KeyInfo) -> String {
        let id = key.organization_id.get();
        self.names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    fn time(&self, at: &Option<jiff::Timestamp>) -> String {
        at.map(|t| self.ctx.time(t)).unwrap_or_default()
    }
}

/// The keys page, with a key just made and refusals.
async fn page(
    app: &AppState,
    staff: &Staff,
    made: Option<NewKeyFile>,
    errors: Vec<String>,
    typed: MakeForm,
) -> WebResult<KeysPage> {
    let who = &staff.0.who;
    let keys = keys::list(app, who, None).await;
    let keys = keys.map_err(fail(staff))?;
    let orgs = choices::organizations(app, who)
        .await
        .map_err(fail(staff))?;
    let names = orgs.iter().map(|o| (o.id.get(), o.name.clone())).collect();
    let organizations = orgs
        .into_iter()
        .map(|o| {
            (
                o.customer_number.to_string(),
                format!("{} ({})", o.name, o.customer_number),
            )
        })
        .collect();
    let mut actions = call_home_actions();
    actions.retain(|(key, _)| *key != "call-home-keys");
    Ok(KeysPage {
        ctx: staff.0.ctx.clone(),
        actions,
        keys,
        names,
        organizations,
        made,
        errors,
        typed,
    })
}

/// A page that shows a secret: not kept by any cache.
fn secret_page(shown: &KeysPage) -> Response {
    let mut response = render_status(StatusCode::OK, shown);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The page again with a refusal (not-found and server errors become their error page).
async fn refused(
    app: &AppState,
    staff: &Staff,
    err: ActionError,
    typed: MakeForm,
) -> WebResult<Response> {
    let (status, errors) = refusal(&staff.0, err)?;
    let shown = page(app, staff, None, errors, typed).await?;
    Ok(render_status(status, &shown))
}

/// `GET /console/call-home/keys`.
async fn list(State(app): State<AppState>, staff: Staff) -> WebResult<Response> {
    let shown = page(&app, &staff, None, Vec::new(), MakeForm::default()).await?;
    Ok(render_status(StatusCode::OK, &shown))
}

/// `POST /console/call-home/keys`: makes a key and shows its secret once.
async fn make(
    State(app): State<AppState>,
    Checked(staff, form): Checked<Staff, MakeForm>,
) -> WebResult<Response> {
    let draft = json!({"organization": form.organization.trim(), "site": opt(Some(&form.site)),
        "label": form.label.trim()});
    let result = match parse::<KeyDraft>(draft) {
        Ok(draft) => keys::create(&app, &staff.0.who, draft).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(made) => Ok(secret_page(
            &page(&app, &staff, Some(made), Vec::new(), MakeForm::default()).await?,
        )),
        Err(err) => refused(&app, &staff, err, form).await,
    }
}

/// What the rotate form holds.
#[derive(Debug, Deserialize)]
pub struct RotateForm {
    #[serde(default)]
    grace_hours: String,
}

/// `POST /console/call-home/keys/{id}/rotate`: a new key (its secret shown once); the old one
/// works for the grace period.
async fn rotate(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Checked(staff, form): Checked<Staff, RotateForm>,
) -> WebResult<Response> {
    let hours = form
        .grace_hours
        .trim()
        .parse::<u16>()
        .ok()
        .filter(|h| *h <= LONGEST_GRACE_HOURS)
        .ok_or_else(|| {
            ActionError::field(
                "grace_hours",
                "out_of_range",
                staff.0.ctx.t("call-home-grace-range"),
            )
        });
    let result = match hours {
        Ok(h) => {
            let grace = jiff::SignedDuration::from_hours(i64::from(h));
            keys::end(&app, &staff.0.who, id, Some(grace)).await
        }
        Err(err) => Err(err),
    };
    match result {
        Ok(made) => Ok(secret_page(
            &page(&app, &staff, made, Vec::new(), MakeForm::default()).await?,
        )),
        Err(err) => refused(&app, &staff, err, MakeForm::default()).await,
    }
}

/// `POST /console/call-home/keys/{id}/revoke`: refused at once from now on.
async fn revoke(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Checked(staff, _): Checked<Staff, Nothing>,
) -> WebResult<Response> {
    match keys::end(&app, &staff.0.who, id, None).await {
        Ok(_) => Ok(Redirect::to(KEYS).into_response()),
        Err(err) => refused(&app, &staff, err, MakeForm::default()).await,
    }
}

/// The routes of the keys pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(KEYS, axum::routing::get(list).post(make))
        .route("/console/call-home/keys/{id}/rotate", post(rotate))
        .route("/console/call-home/keys/{id}/revoke", post(revoke))
}
