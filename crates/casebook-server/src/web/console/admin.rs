//! Creating and editing the reference records from the console: organisations and their
//! contacts, and users (administrators only, as the actions decide). Each page is the
//! shared edit form; what it saves goes through the same action as the API.

use std::future::Future;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use casebook_domain::Named;
use casebook_domain::ids::{ContactId, OrganizationId, UserId};
use casebook_domain::policy::Role;
use casebook_store::PageRequest;
use casebook_store::organizations::OrganizationFilter;
use serde::de::DeserializeOwned;

use super::edit::{EditPage, Field, Kind};
use crate::actions::{
    ActionError, accounts::users, contracts::plans, directory::contacts, directory::organizations,
};
use crate::app::AppState;
use crate::web::forms::parse;
use crate::web::session::{Staff, WebResult};

pub(super) type Posted = Form<Vec<(String, String)>>;

pub(super) fn page(
    staff: &Staff,
    title: String,
    action: String,
    back: String,
    fields: Vec<Field>,
    version: Option<i64>,
) -> EditPage {
    EditPage {
        ctx: staff.0.ctx.clone(),
        title,
        action,
        back,
        fields,
        version,
        errors: Vec::new(),
    }
}

/// Parses the posted form into `T`, runs `act`, and goes to `done` of its result; a refusal
/// shows the form again with what was typed.
pub(super) async fn save<T, R, F>(
    staff: &Staff,
    page: EditPage,
    posted: Vec<(String, String)>,
    act: impl FnOnce(T) -> F,
    done: impl FnOnce(&R) -> String,
) -> WebResult<Response>
where
    T: DeserializeOwned,
    F: Future<Output = Result<R, ActionError>>,
{
    let csrf = posted
        .iter()
        .find(|(n, _)| n == "_csrf")
        .map(|(_, v)| v.as_str());
    staff.0.check_csrf(csrf)?;
    let result = match parse::<T>(page.document(&posted)) {
        Ok(input) => act(input).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(saved) => Ok(Redirect::to(&done(&saved)).into_response()),
        Err(
            err @ (ActionError::Validation(_)
            | ActionError::Conflict { .. }
            | ActionError::StaleVersion),
        ) => Ok(page.refused(&posted, &err)),
        Err(err) => Err(staff.0.fail(err)),
    }
}

pub(super) async fn plan_options(
    app: &AppState,
    staff: &Staff,
) -> WebResult<Vec<(String, String)>> {
    let plans = plans::list(
        app,
        &staff.0.who,
        &PageRequest {
            limit: Some(200),
            cursor: None,
        },
    )
    .await
    .map_err(|e| staff.0.fail(e))?;
    let mut options = vec![(String::new(), staff.0.ctx.t("default-plan"))];
    options.extend(
        plans
            .items
            .into_iter()
            .map(|p| (p.id.to_string(), p.spec.name)),
    );
    Ok(options)
}

async fn organization_fields(
    app: &AppState,
    staff: &Staff,
    org: Option<&casebook_domain::directory::Organization>,
) -> WebResult<Vec<Field>> {
    let value =
        |f: fn(&casebook_domain::directory::Organization) -> String| org.map(f).unwrap_or_default();
    Ok(vec![
        Field::new(
            "customer_number",
            "field-customer-number",
            Kind::Text,
            value(|o| o.customer_number.clone()),
        ),
        Field::new("name", "field-name", Kind::Text, value(|o| o.name.clone())),
        Field::new(
            "address",
            "field-address",
            Kind::Area,
            value(|o| o.address.clone()),
        ),
        Field::new(
            "notes",
            "field-notes",
            Kind::Area,
            value(|o| o.notes.clone()),
        ),
        Field::new(
            "support_plan",
            "field-plan",
            Kind::Select(plan_options(app, staff).await?),
            value(|o| {
                o.support_plan
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            }),
        ),
    ])
}

async fn organization_new(State(app): State<AppState>, staff: Staff) -> WebResult<Response> {
    let fields = organization_fields(&app, &staff, None).await?;
    Ok(page(
        &staff,
        staff.0.ctx.t("new-organization"),
        "/console/organizations/new".into(),
        "/console/organizations".into(),
        fields,
        None,
    )
    .show())
}

async fn organization_create(
    State(app): State<AppState>,
    staff: Staff,
    Form(posted): Posted,
) -> WebResult<Response> {
    let fields = organization_fields(&app, &staff, None).await?;
    let p = page(
        &staff,
        staff.0.ctx.t("new-organization"),
        "/console/organizations/new".into(),
        "/console/organizations".into(),
        fields,
        None,
    );
    save(
        &staff,
        p,
        posted,
        |d| organizations::create(&app, &staff.0.who, d),
        |o| format!("/console/organizations/{}", o.id),
    )
    .await
}

async fn organization_page(app: &AppState, staff: &Staff, id: i64) -> WebResult<EditPage> {
    let org = organizations::get(app, &staff.0.who, OrganizationId::new(id))
        .await
        .map_err(|e| staff.0.fail(e))?;
    let fields = organization_fields(app, staff, Some(&org)).await?;
    Ok(page(
        staff,
        org.name.clone(),
        format!("/console/organizations/{id}/edit"),
        format!("/console/organizations/{id}"),
        fields,
        Some(org.version),
    ))
}

async fn organization_edit(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    Ok(organization_page(&app, &staff, id).await?.show())
}

async fn organization_update(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(posted): Posted,
) -> WebResult<Response> {
    let p = organization_page(&app, &staff, id).await?;
    save(
        &staff,
        p,
        posted,
        |patch| organizations::update(&app, &staff.0.who, OrganizationId::new(id), patch),
        |o| format!("/console/organizations/{}", o.id),
    )
    .await
}

fn contact_fields(c: Option<&casebook_domain::directory::Contact>) -> Vec<Field> {
    vec![
        Field::new(
            "name",
            "field-name",
            Kind::Text,
            c.map(|c| c.name.clone()).unwrap_or_default(),
        ),
        Field::new(
            "email",
            "field-email",
            Kind::OptText,
            c.and_then(|c| c.email.clone()).unwrap_or_default(),
        ),
        Field::new(
            "phone",
            "field-phone",
            Kind::OptText,
            c.and_then(|c| c.phone.clone()).unwrap_or_default(),
        ),
        Field::new(
            "can_open_cases",
            "field-can-open-cases",
            Kind::Check,
            c.is_none_or(|c| c.can_open_cases).to_string(),
        ),
    ]
}

async fn contact_new(staff: Staff, Path(org): Path<i64>) -> WebResult<Response> {
    Ok(page(
        &staff,
        staff.0.ctx.t("new-contact"),
        format!("/console/organizations/{org}/contacts/new"),
        format!("/console/organizations/{org}"),
        contact_fields(None),
        None,
    )
    .show())
}

async fn contact_create(
    State(app): State<AppState>,
    staff: Staff,
    Path(org): Path<i64>,
    Form(posted): Posted,
) -> WebResult<Response> {
    let mut p = page(
        &staff,
        staff.0.ctx.t("new-contact"),
        format!("/console/organizations/{org}/contacts/new"),
        format!("/console/organizations/{org}"),
        contact_fields(None),
        None,
    );
    p.fields.push(Field::new(
        "organization_id",
        "field-organization",
        Kind::Fixed,
        org.to_string(),
    ));
    save(
        &staff,
        p,
        posted,
        |d| contacts::create(&app, &staff.0.who, d),
        move |_: &casebook_domain::directory::Contact| format!("/console/organizations/{org}"),
    )
    .await
}

async fn contact_page(app: &AppState, staff: &Staff, id: i64) -> WebResult<EditPage> {
    let c = contacts::get(app, &staff.0.who, ContactId::new(id))
        .await
        .map_err(|e| staff.0.fail(e))?;
    Ok(page(
        staff,
        c.name.clone(),
        format!("/console/contacts/{id}/edit"),
        format!("/console/organizations/{}", c.organization_id),
        contact_fields(Some(&c)),
        Some(c.version),
    ))
}

async fn contact_edit(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    Ok(contact_page(&app, &staff, id).await?.show())
}

async fn contact_update(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(posted): Posted,
) -> WebResult<Response> {
    let p = contact_page(&app, &staff, id).await?;
    save(
        &staff,
        p,
        posted,
        |patch| contacts::update(&app, &staff.0.who, ContactId::new(id), patch),
        |c| format!("/console/organizations/{}", c.organization_id),
    )
    .await
}

fn role_options(staff: &Staff) -> Vec<(String, String)> {
    Role::ALL
        .iter()
        .map(|r| (r.as_str().to_owned(), staff.0.ctx.role(r)))
        .collect()
}

fn tier_options(staff: &Staff) -> Vec<(String, String)> {
    let mut options = vec![(String::new(), "–".to_owned())];
    options.extend(
        casebook_domain::Tier::ALL
            .iter()
            .map(|t| (t.as_str().to_owned(), staff.0.ctx.tier(t))),
    );
    options
}

async fn user_new_page(app: &AppState, staff: &Staff) -> WebResult<EditPage> {
    let orgs = organizations::list(
        app,
        &staff.0.who,
        OrganizationFilter::default(),
        &PageRequest {
            limit: Some(200),
            cursor: None,
        },
    )
    .await
    .map_err(|e| staff.0.fail(e))?;
    let mut org_options = vec![(String::new(), staff.0.ctx.t("staff-no-organization"))];
    org_options.extend(orgs.items.into_iter().map(|o| {
        (
            o.id.to_string(),
            format!("{} ({})", o.name, o.customer_number),
        )
    }));
    let fields = vec![
        Field::new("email", "field-email", Kind::Text, ""),
        Field::new("name", "field-name", Kind::Text, ""),
        Field::new(
            "role",
            "field-role",
            Kind::Select(role_options(staff)),
            "engineer",
        ),
        Field::new(
            "organization_id",
            "field-organization-of-customer",
            Kind::SelectNumber(org_options),
            "",
        ),
        Field::new("password", "field-password", Kind::Password, ""),
    ];
    Ok(page(
        staff,
        staff.0.ctx.t("new-user"),
        "/console/users/new".into(),
        "/console/users".into(),
        fields,
        None,
    ))
}

async fn user_new(State(app): State<AppState>, staff: Staff) -> WebResult<Response> {
    Ok(user_new_page(&app, &staff).await?.show())
}

async fn user_create(
    State(app): State<AppState>,
    staff: Staff,
    Form(posted): Posted,
) -> WebResult<Response> {
    let p = user_new_page(&app, &staff).await?;
    save(
        &staff,
        p,
        posted,
        |d| users::create(&app, &staff.0.who, d),
        |_: &casebook_domain::users::User| "/console/users".to_owned(),
    )
    .await
}

async fn user_page(app: &AppState, staff: &Staff, id: i64) -> WebResult<EditPage> {
    let u = users::get(app, &staff.0.who, UserId::new(id))
        .await
        .map_err(|e| staff.0.fail(e))?;
    let mut fields = vec![
        Field::new("name", "field-name", Kind::Text, u.name.clone()),
        Field::new(
            "role",
            "field-role",
            Kind::Select(role_options(staff)),
            u.role.as_str(),
        ),
        Field::new("active", "field-active", Kind::Check, u.active.to_string()),
        Field::new("password", "field-new-password", Kind::Password, ""),
    ];
    if u.role.is_staff() {
        fields.push(Field::new(
            "leads_tier",
            "field-leads-tier",
            Kind::Select(tier_options(staff)),
            u.leads_tier.map(|t| t.as_str()).unwrap_or_default(),
        ));
        fields.push(Field::new(
            "duty_manager",
            "field-duty-manager",
            Kind::Check,
            u.duty_manager.to_string(),
        ));
    }
    Ok(page(
        staff,
        format!("{} <{}>", u.name, u.email),
        format!("/console/users/{id}/edit"),
        "/console/users".into(),
        fields,
        Some(u.version),
    ))
}

async fn user_edit(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    Ok(user_page(&app, &staff, id).await?.show())
}

async fn user_update(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(posted): Posted,
) -> WebResult<Response> {
    let p = user_page(&app, &staff, id).await?;
    save(
        &staff,
        p,
        posted,
        |patch| users::update(&app, &staff.0.who, UserId::new(id), patch),
        |_: &casebook_domain::users::User| "/console/users".to_owned(),
    )
    .await
}

/// The routes of the edit pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/console/organizations/new",
            get(organization_new).post(organization_create),
        )
        .route(
            "/console/organizations/{id}/edit",
            get(organization_edit).post(organization_update),
        )
        .route(
            "/console/organizations/{id}/contacts/new",
            get(contact_new).post(contact_create),
        )
        .route(
            "/console/contacts/{id}/edit",
            get(contact_edit).post(contact_update),
        )
        .route("/console/users/new", get(user_new).post(user_create))
        .route("/console/users/{id}/edit", get(user_edit).post(user_update))
}
