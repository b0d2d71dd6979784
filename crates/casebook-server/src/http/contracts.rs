//! Handlers for sites, installed units, contracts, product lifecycle, the entitlement lookup and
//! the override of a case's entitlement.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use casebook_domain::CaseNumber;
use casebook_domain::case::Case;
use casebook_domain::contract::{
    Contract, ContractDraft, ContractPatch, Site, SiteDraft, SitePatch, Unit, UnitChange,
    UnitDraft, UnitPatch,
};
use casebook_domain::ids::{ContractId, OrganizationId, ProductId, SiteId, UnitId};
use casebook_store::units::UnitFilter;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use super::page::{List, Paging};
use crate::actions::cases::entitlement::{self, OverrideInput};
use crate::actions::contracts::entitlements::{self, Lookup, LookupQuery};
use crate::actions::directory::products::{self, ProductLifecycle};
use crate::actions::{contracts, directory::sites, directory::units};
use crate::app::AppState;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sites, create_site))
        .routes(routes!(get_site, update_site))
        .routes(routes!(list_units, create_unit))
        .routes(routes!(get_unit, update_unit))
        .routes(routes!(unit_history))
        .routes(routes!(list_contracts, create_contract))
        .routes(routes!(get_contract, update_contract))
        .routes(routes!(product_lifecycle))
        .routes(routes!(lookup))
        .routes(routes!(override_entitlement))
        .routes(routes!(recheck_entitlement))
}

/// Filters of the site list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SiteQuery {
    /// The organisation (customers: always their own).
    organization: Option<OrganizationId>,
    /// Items per page, 1–200 (default 50); another number is refused (422).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page; absent or empty: the first page.
    cursor: Option<String>,
}

/// List sites.
#[utoipa::path(get, path = "/sites", tag = "installed base", params(SiteQuery),
    responses((status = 200, body = List<Site>), (status = 401, body = ErrorBody)))]
async fn list_sites(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<SiteQuery>,
) -> ApiResult<Json<List<Site>>> {
    let page = Paging {
        limit: q.limit,
        cursor: q.cursor,
    }
    .request()?;
    Ok(Json(
        sites::list(&app, &who, q.organization, &page).await?.into(),
    ))
}

/// Create a site (staff).
#[utoipa::path(post, path = "/sites", tag = "installed base", request_body = SiteDraft,
    responses((status = 201, body = Site), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_site(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(draft): ApiJson<SiteDraft>,
) -> ApiResult<(StatusCode, Json<Site>)> {
    Ok((
        StatusCode::CREATED,
        Json(sites::create(&app, &who, draft).await?),
    ))
}

/// Read a site.
#[utoipa::path(get, path = "/sites/{id}", tag = "installed base", params(("id" = i64, Path)),
    responses((status = 200, body = Site), (status = 404, body = ErrorBody)))]
async fn get_site(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<SiteId>,
) -> ApiResult<Json<Site>> {
    Ok(Json(sites::get(&app, &who, id).await?))
}

/// Change a site (staff).
#[utoipa::path(patch, path = "/sites/{id}", tag = "installed base", params(("id" = i64, Path)), request_body = SitePatch,
    responses((status = 200, body = Site), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_site(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<SiteId>,
    ApiJson(patch): ApiJson<SitePatch>,
) -> ApiResult<Json<Site>> {
    Ok(Json(sites::update(&app, &who, id, patch).await?))
}

/// Filters of the unit list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    /// The organisation (customers: always their own).
    organization: Option<OrganizationId>,
    /// At this site.
    site: Option<SiteId>,
    /// Of this product.
    product: Option<ProductId>,
    /// Running this version.
    product_version: Option<String>,
    /// Whose installed version reaches end of support within this many days (or has), 0–3650.
    #[param(minimum = 0, maximum = 3650)]
    end_of_support_within_days: Option<i64>,
    /// Include retired units.
    #[serde(default)]
    retired: bool,
    /// Items per page, 1–200 (default 50); another number is refused (422).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page; absent or empty: the first page.
    cursor: Option<String>,
}

/// List the installed base.
#[utoipa::path(get, path = "/units", tag = "installed base", params(UnitQuery),
    responses((status = 200, body = List<Unit>), (status = 422, body = ErrorBody)))]
async fn list_units(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<UnitQuery>,
) -> ApiResult<Json<List<Unit>>> {
    let filter = UnitFilter {
        organization: q.organization,
        site: q.site,
        product: q.product,
        product_version: q.product_version,
        end_of_support_by: None,
        include_retired: q.retired,
    };
    let page = Paging {
        limit: q.limit,
        cursor: q.cursor,
    }
    .request()?;
    Ok(Json(
        units::list(&app, &who, filter, q.end_of_support_within_days, &page)
            .await?
            .into(),
    ))
}

/// Add a unit to the installed base (staff).
#[utoipa::path(post, path = "/units", tag = "installed base", request_body = UnitDraft,
    responses((status = 201, body = Unit), (status = 422, body = ErrorBody)))]
async fn create_unit(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(draft): ApiJson<UnitDraft>,
) -> ApiResult<(StatusCode, Json<Unit>)> {
    Ok((
        StatusCode::CREATED,
        Json(units::create(&app, &who, draft).await?),
    ))
}

/// Read a unit.
#[utoipa::path(get, path = "/units/{id}", tag = "installed base", params(("id" = i64, Path)),
    responses((status = 200, body = Unit), (status = 404, body = ErrorBody)))]
async fn get_unit(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<UnitId>,
) -> ApiResult<Json<Unit>> {
    Ok(Json(units::get(&app, &who, id).await?))
}

/// Change a unit (staff); kept in its history.
#[utoipa::path(patch, path = "/units/{id}", tag = "installed base", params(("id" = i64, Path)), request_body = UnitPatch,
    responses((status = 200, body = Unit), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_unit(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<UnitId>,
    ApiJson(patch): ApiJson<UnitPatch>,
) -> ApiResult<Json<Unit>> {
    Ok(Json(units::update(&app, &who, id, patch).await?))
}

/// A unit's history of changes, newest first.
#[utoipa::path(get, path = "/units/{id}/history", tag = "installed base", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<UnitChange>), (status = 404, body = ErrorBody)))]
async fn unit_history(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<UnitId>,
) -> ApiResult<Json<Vec<UnitChange>>> {
    Ok(Json(units::history(&app, &who, id).await?))
}

/// Filters of the contract list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContractQuery {
    /// The organisation (customers: always their own).
    organization: Option<OrganizationId>,
    /// Only contracts ending between today and this many days from now, 0–3650.
    #[param(minimum = 0, maximum = 3650)]
    ending_within_days: Option<i64>,
    /// Items per page, 1–200 (default 50); another number is refused (422).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page; absent or empty: the first page.
    cursor: Option<String>,
}

/// List contracts.
#[utoipa::path(get, path = "/contracts", tag = "contracts", params(ContractQuery),
    responses((status = 200, body = List<Contract>), (status = 422, body = ErrorBody)))]
async fn list_contracts(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<ContractQuery>,
) -> ApiResult<Json<List<Contract>>> {
    let page = Paging {
        limit: q.limit,
        cursor: q.cursor,
    }
    .request()?;
    Ok(Json(
        contracts::list(&app, &who, q.organization, q.ending_within_days, &page)
            .await?
            .into(),
    ))
}

/// Create a contract (staff).
#[utoipa::path(post, path = "/contracts", tag = "contracts", request_body = ContractDraft,
    responses((status = 201, body = Contract), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_contract(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(draft): ApiJson<ContractDraft>,
) -> ApiResult<(StatusCode, Json<Contract>)> {
    Ok((
        StatusCode::CREATED,
        Json(contracts::create(&app, &who, draft).await?),
    ))
}

/// Read a contract.
#[utoipa::path(get, path = "/contracts/{id}", tag = "contracts", params(("id" = i64, Path)),
    responses((status = 200, body = Contract), (status = 404, body = ErrorBody)))]
async fn get_contract(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<ContractId>,
) -> ApiResult<Json<Contract>> {
    Ok(Json(contracts::get(&app, &who, id).await?))
}

/// Change a contract (staff): a renewal, coverage, contacts. Open cases keep their SLA.
#[utoipa::path(patch, path = "/contracts/{id}", tag = "contracts", params(("id" = i64, Path)), request_body = ContractPatch,
    responses((status = 200, body = Contract), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_contract(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<ContractId>,
    ApiJson(patch): ApiJson<ContractPatch>,
) -> ApiResult<Json<Contract>> {
    Ok(Json(contracts::update(&app, &who, id, patch).await?))
}

/// A product's versions with general availability, end of marketing, end of support and where
/// each stands today.
#[utoipa::path(get, path = "/products/{id}/lifecycle", tag = "directory", params(("id" = i64, Path)),
    responses((status = 200, body = ProductLifecycle), (status = 404, body = ErrorBody)))]
async fn product_lifecycle(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<ProductId>,
) -> ApiResult<Json<ProductLifecycle>> {
    Ok(Json(products::lifecycle(&app, &who, id).await?))
}

/// Phone intake (staff): from a customer number, contract number, serial number, or the
/// caller's e-mail or phone, the organisation, its contracts and units, and the entitlement.
#[utoipa::path(get, path = "/entitlements/lookup", tag = "contracts", params(LookupQuery),
    responses((status = 200, body = Lookup), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn lookup(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<LookupQuery>,
) -> ApiResult<Json<Lookup>> {
    Ok(Json(entitlements::lookup(&app, &who, q).await?))
}

/// Override a refused entitlement with a written reason (coordinators, managers, admins); the
/// case's SLA is recomputed on the contract's plan.
#[utoipa::path(post, path = "/cases/{number}/entitlement/override", tag = "contracts", params(("number" = String, Path)),
    request_body = OverrideInput,
    responses((status = 200, body = Case), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn override_entitlement(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
    ApiJson(input): ApiJson<OverrideInput>,
) -> ApiResult<Json<Case>> {
    Ok(Json(
        entitlement::override_case(&app, &who, number, input).await?,
    ))
}

/// Re-check a case's entitlement against the contracts as they are today (coordinators,
/// managers, admins), e.g. after a renewal; the SLA is recomputed on the plan chosen.
#[utoipa::path(post, path = "/cases/{number}/entitlement/recheck", tag = "contracts", params(("number" = String, Path)),
    responses((status = 200, body = Case), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn recheck_entitlement(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
) -> ApiResult<Json<Case>> {
    Ok(Json(entitlement::recheck_case(&app, &who, number).await?))
}
