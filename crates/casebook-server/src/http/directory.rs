//! Handlers for organisations, contacts and products.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use casebook_domain::directory::{
    Contact, ContactDraft, ContactPatch, Organization, OrganizationDraft, OrganizationPatch,
    Product, ProductDraft, ProductPatch, ProductVersion, ProductVersionDraft, ProductVersionPatch,
};
use casebook_domain::ids::{ContactId, OrganizationId, ProductId, ProductVersionId};
use casebook_store::contacts::ContactFilter;
use casebook_store::organizations::OrganizationFilter;
use casebook_store::products::ProductFilter;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use super::page::{List, Paging};
use crate::actions::{
    ActionError, directory::contacts, directory::organizations, directory::products,
};
use crate::app::AppState;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_organizations, create_organization))
        .routes(routes!(get_organization, update_organization))
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(get_contact, update_contact))
        .routes(routes!(list_products, create_product))
        .routes(routes!(get_product, update_product))
        .routes(routes!(add_product_version))
        .routes(routes!(update_product_version))
}

/// Filters of directory lists.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DirectoryQuery {
    /// Text to look for (name, customer number, e-mail, phone).
    q: Option<String>,
    /// Include archived records.
    #[serde(default)]
    archived: bool,
    /// Contacts only: the organisation.
    organization: Option<OrganizationId>,
    /// Items per page, 1–200 (default 50); another number is refused (422).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page; absent or empty: the first page.
    cursor: Option<String>,
}

impl DirectoryQuery {
    fn paging(&self) -> Result<casebook_store::PageRequest, ActionError> {
        Paging {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
        .request()
    }
}

/// List organisations by name (customers: their own).
#[utoipa::path(get, path = "/organizations", tag = "directory", params(DirectoryQuery),
    responses((status = 200, body = List<Organization>), (status = 401, body = ErrorBody)))]
async fn list_organizations(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<DirectoryQuery>,
) -> ApiResult<Json<List<Organization>>> {
    let filter = OrganizationFilter {
        q: q.q.clone(),
        include_archived: q.archived,
        only: None,
    };
    Ok(Json(
        organizations::list(&app, &who, filter, &q.paging()?)
            .await?
            .into(),
    ))
}

/// Create an organisation (staff).
#[utoipa::path(post, path = "/organizations", tag = "directory", request_body = OrganizationDraft,
    responses((status = 201, body = Organization), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_organization(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(draft): ApiJson<OrganizationDraft>,
) -> ApiResult<(StatusCode, Json<Organization>)> {
    Ok((
        StatusCode::CREATED,
        Json(organizations::create(&app, &who, draft).await?),
    ))
}

/// Read an organisation.
#[utoipa::path(get, path = "/organizations/{id}", tag = "directory", params(("id" = i64, Path)),
    responses((status = 200, body = Organization), (status = 404, body = ErrorBody)))]
async fn get_organization(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<OrganizationId>,
) -> ApiResult<Json<Organization>> {
    Ok(Json(organizations::get(&app, &who, id).await?))
}

/// Change, archive (`"archived": true`) or restore an organisation (staff).
#[utoipa::path(patch, path = "/organizations/{id}", tag = "directory", params(("id" = i64, Path)), request_body = OrganizationPatch,
    responses((status = 200, body = Organization), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_organization(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<OrganizationId>,
    ApiJson(patch): ApiJson<OrganizationPatch>,
) -> ApiResult<Json<Organization>> {
    Ok(Json(organizations::update(&app, &who, id, patch).await?))
}

/// List contacts by name (customers: their organisation's).
#[utoipa::path(get, path = "/contacts", tag = "directory", params(DirectoryQuery),
    responses((status = 200, body = List<Contact>)))]
async fn list_contacts(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<DirectoryQuery>,
) -> ApiResult<Json<List<Contact>>> {
    let filter = ContactFilter {
        organization: q.organization,
        q: q.q.clone(),
        include_archived: q.archived,
    };
    Ok(Json(
        contacts::list(&app, &who, filter, &q.paging()?)
            .await?
            .into(),
    ))
}

/// Add a contact to an organisation (staff).
#[utoipa::path(post, path = "/contacts", tag = "directory", request_body = ContactDraft,
    responses((status = 201, body = Contact), (status = 422, body = ErrorBody)))]
async fn create_contact(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(draft): ApiJson<ContactDraft>,
) -> ApiResult<(StatusCode, Json<Contact>)> {
    Ok((
        StatusCode::CREATED,
        Json(contacts::create(&app, &who, draft).await?),
    ))
}

/// Read a contact.
#[utoipa::path(get, path = "/contacts/{id}", tag = "directory", params(("id" = i64, Path)),
    responses((status = 200, body = Contact), (status = 404, body = ErrorBody)))]
async fn get_contact(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<ContactId>,
) -> ApiResult<Json<Contact>> {
    Ok(Json(contacts::get(&app, &who, id).await?))
}

/// Change, archive or restore a contact (staff).
#[utoipa::path(patch, path = "/contacts/{id}", tag = "directory", params(("id" = i64, Path)), request_body = ContactPatch,
    responses((status = 200, body = Contact), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_contact(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<ContactId>,
    ApiJson(patch): ApiJson<ContactPatch>,
) -> ApiResult<Json<Contact>> {
    Ok(Json(contacts::update(&app, &who, id, patch).await?))
}

/// List products with their versions.
#[utoipa::path(get, path = "/products", tag = "directory", params(DirectoryQuery),
    responses((status = 200, body = List<Product>)))]
async fn list_products(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<DirectoryQuery>,
) -> ApiResult<Json<List<Product>>> {
    let filter = ProductFilter {
        q: q.q.clone(),
        include_archived: q.archived,
    };
    Ok(Json(
        products::list(&app, &who, filter, &q.paging()?)
            .await?
            .into(),
    ))
}

/// Create a product (staff).
#[utoipa::path(post, path = "/products", tag = "directory", request_body = ProductDraft,
    responses((status = 201, body = Product), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_product(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(draft): ApiJson<ProductDraft>,
) -> ApiResult<(StatusCode, Json<Product>)> {
    Ok((
        StatusCode::CREATED,
        Json(products::create(&app, &who, draft).await?),
    ))
}

/// Read a product.
#[utoipa::path(get, path = "/products/{id}", tag = "directory", params(("id" = i64, Path)),
    responses((status = 200, body = Product), (status = 404, body = ErrorBody)))]
async fn get_product(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<ProductId>,
) -> ApiResult<Json<Product>> {
    Ok(Json(products::get(&app, &who, id).await?))
}

/// Change, archive or restore a product (staff).
#[utoipa::path(patch, path = "/products/{id}", tag = "directory", params(("id" = i64, Path)), request_body = ProductPatch,
    responses((status = 200, body = Product), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_product(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<ProductId>,
    ApiJson(patch): ApiJson<ProductPatch>,
) -> ApiResult<Json<Product>> {
    Ok(Json(products::update(&app, &who, id, patch).await?))
}

/// Add a released version to a product (staff).
#[utoipa::path(post, path = "/products/{id}/versions", tag = "directory", params(("id" = i64, Path)), request_body = ProductVersionDraft,
    responses((status = 201, body = Product), (status = 422, body = ErrorBody)))]
async fn add_product_version(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<ProductId>,
    ApiJson(draft): ApiJson<ProductVersionDraft>,
) -> ApiResult<(StatusCode, Json<Product>)> {
    Ok((
        StatusCode::CREATED,
        Json(products::add_version(&app, &who, id, draft).await?),
    ))
}

/// Correct a product version (staff).
#[utoipa::path(patch, path = "/products/{id}/versions/{version_id}", tag = "directory",
    params(("id" = i64, Path), ("version_id" = i64, Path)), request_body = ProductVersionPatch,
    responses((status = 200, body = ProductVersion), (status = 404, body = ErrorBody)))]
async fn update_product_version(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath((id, version_id)): ApiPath<(ProductId, ProductVersionId)>,
    ApiJson(patch): ApiJson<ProductVersionPatch>,
) -> ApiResult<Json<ProductVersion>> {
    Ok(Json(
        products::update_version(&app, &who, id, version_id, patch).await?,
    ))
}
