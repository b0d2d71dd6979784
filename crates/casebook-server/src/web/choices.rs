//! The choices that several pages offer in their forms and filters, read through the same
//! actions as the API: the products, the organisations and the support plans (the first 200
//! of each), as `(value, label)` pairs or as the records themselves.

use casebook_domain::directory::{Organization, Product};
use casebook_store::PageRequest;
use casebook_store::organizations::OrganizationFilter;
use casebook_store::products::ProductFilter;

use crate::actions::{
    ActionResult, contracts::plans, directory::organizations, directory::products,
};
use crate::app::AppState;
use crate::policy::Principal;
use crate::web::page::Ctx;

/// Choices as `(value, label)`.
pub type Options = Vec<(String, String)>;

/// The first `n` records of a list.
pub fn first(n: u32) -> PageRequest {
    PageRequest {
        limit: Some(n),
        cursor: None,
    }
}

/// The products (the first 200).
pub async fn products(app: &AppState, who: &Principal) -> ActionResult<Vec<Product>> {
    let filter = ProductFilter::default();
    Ok(products::list(app, who, filter, &first(200)).await?.items)
}

/// The products as `(id, name)`.
pub async fn product_options(app: &AppState, who: &Principal) -> ActionResult<Options> {
    let products = products(app, who).await?;
    Ok(products
        .into_iter()
        .map(|p| (p.id.to_string(), p.name))
        .collect())
}

/// The organisations and the products as `(id, label)`, as filter forms offer them.
pub async fn organization_and_product_options(
    app: &AppState,
    who: &Principal,
) -> ActionResult<(Options, Options)> {
    Ok((
        organization_options(app, who).await?,
        product_options(app, who).await?,
    ))
}

/// The organisations (the first 200).
pub async fn organizations(app: &AppState, who: &Principal) -> ActionResult<Vec<Organization>> {
    let filter = OrganizationFilter::default();
    Ok(organizations::list(app, who, filter, &first(200))
        .await?
        .items)
}

/// The organisations as `(id, "name (customer number)")`.
pub async fn organization_options(app: &AppState, who: &Principal) -> ActionResult<Options> {
    let label = |o: Organization| {
        let name = format!("{} ({})", o.name, o.customer_number);
        (o.id.to_string(), name)
    };
    Ok(organizations(app, who)
        .await?
        .into_iter()
        .map(label)
        .collect())
}

/// The support plans as `(id, name)`, after a blank choice for the default plan.
pub async fn plan_options(app: &AppState, who: &Principal, ctx: &Ctx) -> ActionResult<Options> {
    let plans = plans::list(app, who, &first(200)).await?;
    let mut options = vec![(String::new(), ctx.t("default-plan"))];
    options.extend(
        plans
            .items
            .into_iter()
            .map(|p| (p.id.to_string(), p.spec.name)),
    );
    Ok(options)
}
