//! The remote-access policy page: `/console/organizations/{id}/remote-access` for staff (the
//! desk's administrators change it) and `/portal/remote-access` for the customer (its
//! administrators change it): the organisation's policy, the sites with their own, and the forms
//! that set either (a site set to "follow" uses the organisation's again).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use casebook_domain::Named;
use casebook_domain::contract::Site;
use casebook_domain::field::remote::AccessPolicy;
use casebook_domain::ids::{Id, OrganizationId};
use serde::Deserialize;

use super::choices::first;
use super::forms::refusal;
use super::page::{Ctx, render, render_status};
use super::posted::Checked;
use super::session::{Customer, Staff, Viewer, WebResult};
use crate::actions::ActionError;
use crate::actions::directory::sites;
use crate::actions::field::remote_policy::{self, PolicyChange, RemoteAccess};
use crate::app::AppState;

#[derive(Template)]
#[template(path = "remote_access.html")]
struct AccessPage {
    ctx: Ctx,
    action: String,
    access: RemoteAccess,
    sites: Vec<Site>,
    errors: Vec<String>,
}

impl AccessPage {
    fn policies(&self) -> &'static [AccessPolicy] {
        AccessPolicy::ALL
    }

    fn is_policy(&self, p: &AccessPolicy) -> bool {
        *p == self.access.policy
    }
}

async fn page(
    app: &AppState,
    viewer: &Viewer,
    org: OrganizationId,
    action: String,
    errors: Vec<String>,
) -> Result<AccessPage, ActionError> {
    let access = remote_policy::get(app, &viewer.who, org).await?;
    let sites = sites::list(app, &viewer.who, Some(org), &first(200))
        .await?
        .items;
    Ok(AccessPage {
        ctx: viewer.ctx.clone(),
        action,
        access,
        sites,
        errors,
    })
}

#[derive(Deserialize)]
struct PolicyForm {
    #[serde(default)]
    site: String,
    #[serde(default)]
    policy: String,
}

/// Applies the form: the organisation's policy, or a site's (`follow` clears it).
async fn apply(
    app: &AppState,
    viewer: &Viewer,
    org: OrganizationId,
    form: PolicyForm,
) -> Result<(), ActionError> {
    let policy = match form.policy.as_str() {
        "follow" => None,
        other => Some(
            AccessPolicy::parse(other)
                .map_err(|e| ActionError::Validation(vec![e.on("policy")]))?,
        ),
    };
    let change = PolicyChange { policy };
    match form.site.trim().parse::<i64>() {
        Ok(site) => remote_policy::set_site(app, &viewer.who, Id::new(site), change).await,
        Err(_) => remote_policy::set(app, &viewer.who, org, change).await,
    }
    .map(|_| ())
}

async fn done(
    app: &AppState,
    viewer: &Viewer,
    org: OrganizationId,
    action: String,
    result: Result<(), ActionError>,
) -> WebResult<Response> {
    match result {
        Ok(()) => Ok(Redirect::to(&action).into_response()),
        Err(err @ ActionError::Forbidden(_)) => Err(viewer.fail(err)),
        Err(err) => {
            let (status, errors) = refusal(viewer, err)?;
            let page = page(app, viewer, org, action, errors)
                .await
                .map_err(|e| viewer.fail(e))?;
            Ok(render_status(status, &page))
        }
    }
}

async fn console_show(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let action = format!("/console/organizations/{id}/remote-access");
    let page = page(&app, &viewer, Id::new(id), action, Vec::new())
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render(&page))
}

async fn console_set(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Checked(Staff(viewer), form): Checked<Staff, PolicyForm>,
) -> WebResult<Response> {
    let org = Id::new(id);
    let result = apply(&app, &viewer, org, form).await;
    let action = format!("/console/organizations/{id}/remote-access");
    done(&app, &viewer, org, action, result).await
}

fn own_org(viewer: &Viewer) -> WebResult<OrganizationId> {
    viewer
        .who
        .actor()
        .and_then(|a| a.organization)
        .ok_or_else(|| viewer.not_found())
}

async fn portal_show(
    State(app): State<AppState>,
    Customer(viewer): Customer,
) -> WebResult<Response> {
    let org = own_org(&viewer)?;
    let page = page(
        &app,
        &viewer,
        org,
        "/portal/remote-access".into(),
        Vec::new(),
    )
    .await
    .map_err(|e| viewer.fail(e))?;
    Ok(render(&page))
}

async fn portal_set(
    State(app): State<AppState>,
    Checked(Customer(viewer), form): Checked<Customer, PolicyForm>,
) -> WebResult<Response> {
    let org = own_org(&viewer)?;
    let result = apply(&app, &viewer, org, form).await;
    done(&app, &viewer, org, "/portal/remote-access".into(), result).await
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/console/organizations/{id}/remote-access",
            get(console_show).post(console_set),
        )
        .route("/portal/remote-access", get(portal_show).post(portal_set))
}
