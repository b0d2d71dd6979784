//! Creating and editing the catalogue and the sites from the console, with the shared edit form:
//! products, their versions with the lifecycle dates (GA, end of marketing, end of support), and
//! the sites of an organisation where its units are installed.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use casebook_domain::directory::{Product, ProductVersion};
use casebook_domain::ids::{OrganizationId, ProductId, ProductVersionId, SiteId};

use super::admin::{Posted, page, save};
use super::edit::{EditPage, Field, Kind};
use crate::actions::{directory::products, directory::sites};
use crate::app::AppState;
use crate::web::session::{Staff, WebResult};

fn product_fields(p: Option<&casebook_domain::directory::Product>) -> Vec<Field> {
    vec![
        Field::new(
            "name",
            "field-name",
            Kind::Text,
            p.map(|p| p.name.clone()).unwrap_or_default(),
        ),
        Field::new(
            "vendor",
            "field-vendor",
            Kind::Text,
            p.map(|p| p.vendor.clone()).unwrap_or_default(),
        ),
    ]
}

async fn product_new(staff: Staff) -> WebResult<Response> {
    Ok(page(
        &staff,
        staff.0.ctx.t("new-product"),
        "/console/products/new".into(),
        "/console/products".into(),
        product_fields(None),
        None,
    )
    .show())
}

async fn product_create(
    State(app): State<AppState>,
    staff: Staff,
    axum::Form(posted): Posted,
) -> WebResult<Response> {
    let p = page(
        &staff,
        staff.0.ctx.t("new-product"),
        "/console/products/new".into(),
        "/console/products".into(),
        product_fields(None),
        None,
    );
    save(
        &staff,
        p,
        posted,
        |d| products::create(&app, &staff.0.who, d),
        |p| format!("/console/products/{}", p.id),
    )
    .await
}

async fn product_page(app: &AppState, staff: &Staff, id: i64) -> WebResult<EditPage> {
    let p = products::get(app, &staff.0.who, ProductId::new(id))
        .await
        .map_err(|e| staff.0.fail(e))?;
    Ok(page(
        staff,
        p.name.clone(),
        format!("/console/products/{id}/edit"),
        format!("/console/products/{id}"),
        product_fields(Some(&p)),
        Some(p.version),
    ))
}

async fn product_edit(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    Ok(product_page(&app, &staff, id).await?.show())
}

async fn product_update(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    axum::Form(posted): Posted,
) -> WebResult<Response> {
    let p = product_page(&app, &staff, id).await?;
    save(
        &staff,
        p,
        posted,
        |patch| products::update(&app, &staff.0.who, ProductId::new(id), patch),
        |p| format!("/console/products/{}", p.id),
    )
    .await
}

fn opt_date(d: Option<jiff::civil::Date>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

fn version_fields(v: Option<&ProductVersion>) -> Vec<Field> {
    vec![
        Field::new(
            "version",
            "field-version",
            Kind::Text,
            v.map(|v| v.version.clone()).unwrap_or_default(),
        ),
        Field::new(
            "released_on",
            "field-ga",
            Kind::Date,
            opt_date(v.and_then(|v| v.released_on)),
        ),
        Field::new(
            "end_of_marketing_on",
            "field-end-of-marketing",
            Kind::Date,
            opt_date(v.and_then(|v| v.end_of_marketing_on)),
        ),
        Field::new(
            "end_of_support_on",
            "field-end-of-support",
            Kind::Date,
            opt_date(v.and_then(|v| v.end_of_support_on)),
        ),
    ]
}

fn version_new_page(staff: &Staff, id: i64) -> EditPage {
    page(
        staff,
        staff.0.ctx.t("new-version"),
        format!("/console/products/{id}/versions/new"),
        format!("/console/products/{id}"),
        version_fields(None),
        None,
    )
}

async fn version_new(staff: Staff, Path(id): Path<i64>) -> WebResult<Response> {
    Ok(version_new_page(&staff, id).show())
}

async fn version_create(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    axum::Form(posted): Posted,
) -> WebResult<Response> {
    let p = version_new_page(&staff, id);
    save(
        &staff,
        p,
        posted,
        |d| products::add_version(&app, &staff.0.who, ProductId::new(id), d),
        |p: &Product| format!("/console/products/{}", p.id),
    )
    .await
}

async fn version_page(app: &AppState, staff: &Staff, id: i64, version: i64) -> WebResult<EditPage> {
    let p = products::get(app, &staff.0.who, ProductId::new(id))
        .await
        .map_err(|e| staff.0.fail(e))?;
    let v = p
        .versions
        .iter()
        .find(|v| v.id.get() == version)
        .ok_or_else(|| staff.0.not_found())?;
    Ok(page(
        staff,
        format!("{} {}", p.name, v.version),
        format!("/console/products/{id}/versions/{version}/edit"),
        format!("/console/products/{id}"),
        version_fields(Some(v)),
        None,
    ))
}

async fn version_edit(
    State(app): State<AppState>,
    staff: Staff,
    Path((id, version)): Path<(i64, i64)>,
) -> WebResult<Response> {
    Ok(version_page(&app, &staff, id, version).await?.show())
}

async fn version_update(
    State(app): State<AppState>,
    staff: Staff,
    Path((id, version)): Path<(i64, i64)>,
    axum::Form(posted): Posted,
) -> WebResult<Response> {
    let p = version_page(&app, &staff, id, version).await?;
    save(
        &staff,
        p,
        posted,
        |patch| {
            products::update_version(
                &app,
                &staff.0.who,
                ProductId::new(id),
                ProductVersionId::new(version),
                patch,
            )
        },
        move |_: &ProductVersion| format!("/console/products/{id}"),
    )
    .await
}

fn site_fields(s: Option<&casebook_domain::contract::Site>) -> Vec<Field> {
    vec![
        Field::new(
            "code",
            "field-site-code",
            Kind::Text,
            s.map(|s| s.code.clone()).unwrap_or_default(),
        ),
        Field::new(
            "name",
            "field-name",
            Kind::Text,
            s.map(|s| s.name.clone()).unwrap_or_default(),
        ),
        Field::new(
            "address",
            "field-address",
            Kind::Area,
            s.map(|s| s.address.clone()).unwrap_or_default(),
        ),
        Field::new(
            "notes",
            "field-notes",
            Kind::Area,
            s.map(|s| s.notes.clone()).unwrap_or_default(),
        ),
    ]
}

fn site_new_page(staff: &Staff, org: i64) -> EditPage {
    let mut fields = site_fields(None);
    fields.push(Field::new(
        "organization_id",
        "field-organization",
        Kind::Fixed,
        org.to_string(),
    ));
    page(
        staff,
        staff.0.ctx.t("new-site"),
        format!("/console/organizations/{org}/sites/new"),
        format!("/console/organizations/{org}"),
        fields,
        None,
    )
}

async fn site_new(staff: Staff, Path(org): Path<i64>) -> WebResult<Response> {
    Ok(site_new_page(&staff, org).show())
}

async fn site_create(
    State(app): State<AppState>,
    staff: Staff,
    Path(org): Path<i64>,
    axum::Form(posted): Posted,
) -> WebResult<Response> {
    let p = site_new_page(&staff, org);
    save(
        &staff,
        p,
        posted,
        |d| sites::create(&app, &staff.0.who, d),
        move |_: &casebook_domain::contract::Site| format!("/console/organizations/{org}"),
    )
    .await
}

async fn site_page(app: &AppState, staff: &Staff, id: i64) -> WebResult<EditPage> {
    let s = sites::get(app, &staff.0.who, SiteId::new(id))
        .await
        .map_err(|e| staff.0.fail(e))?;
    let org: OrganizationId = s.organization_id;
    Ok(page(
        staff,
        s.name.clone(),
        format!("/console/sites/{id}/edit"),
        format!("/console/organizations/{org}"),
        site_fields(Some(&s)),
        Some(s.version),
    ))
}

async fn site_edit(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    Ok(site_page(&app, &staff, id).await?.show())
}

async fn site_update(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    axum::Form(posted): Posted,
) -> WebResult<Response> {
    let p = site_page(&app, &staff, id).await?;
    save(
        &staff,
        p,
        posted,
        |patch| sites::update(&app, &staff.0.who, SiteId::new(id), patch),
        |s| format!("/console/organizations/{}", s.organization_id),
    )
    .await
}

/// The routes of these pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/console/products/new",
            get(product_new).post(product_create),
        )
        .route(
            "/console/products/{id}/edit",
            get(product_edit).post(product_update),
        )
        .route(
            "/console/products/{id}/versions/new",
            get(version_new).post(version_create),
        )
        .route(
            "/console/products/{id}/versions/{version}/edit",
            get(version_edit).post(version_update),
        )
        .route(
            "/console/organizations/{id}/sites/new",
            get(site_new).post(site_create),
        )
        .route("/console/sites/{id}/edit", get(site_edit).post(site_update))
}
