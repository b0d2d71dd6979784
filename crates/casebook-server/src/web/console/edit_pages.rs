//! The console's edit pages, each declared as a [`Definition`] (see `editor.rs`): what its
//! addresses name, which action creates and changes the record, which form it shows (the
//! fields are built next to the pages that show the records: `admin.rs`,
//! `contract_edit.rs`, `call_home_rules.rs`) and where a saved record goes.

use axum::Router;
use casebook_domain::contract::{
    Contract, ContractDraft, ContractPatch, Site, SiteDraft, SitePatch, Unit, UnitDraft, UnitPatch,
};
use casebook_domain::directory::{
    Contact, ContactDraft, ContactPatch, Organization, OrganizationDraft, OrganizationPatch,
    Product, ProductDraft, ProductPatch, ProductVersionDraft, ProductVersionPatch,
};
use casebook_domain::ids::{
    ContactId, ContractId, OrganizationId, ProductId, ProductVersionId, SiteId, UnitId, UserId,
};
use casebook_domain::users::{User, UserDraft, UserPatch};

use super::admin::{
    contact_fields, organization_fields, product_fields, site_fields, user_fields, user_new_fields,
    version_fields,
};
use super::call_home_rules::{RULES, rule_fields};

use super::contract_edit::{contract_fields, unit_fields};
use super::editor::{self, Cx, Definition, Sheet};
use crate::actions::call_home::rules::{self, CallHomeRule};
use crate::actions::{ActionError, ActionResult as Res};
use crate::actions::{
    accounts::users, contracts, directory::contacts, directory::organizations, directory::products,
    directory::sites, directory::units,
};
use crate::app::AppState;
use crate::web::page::Ctx;

/// The routes of all edit pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(editor::routes::<Organizations>())
        .merge(editor::routes::<Contacts>())
        .merge(editor::routes::<Users>())
        .merge(editor::routes::<Products>())
        .merge(editor::routes::<Versions>())
        .merge(editor::routes::<Sites>())
        .merge(editor::routes::<Units>())
        .merge(editor::routes::<Contracts>())
        .merge(editor::routes::<Rules>())
}

/// Organisations.
pub struct Organizations;

impl Definition for Organizations {
    const NEW: &'static str = "/console/organizations/new";
    const EDIT: &'static str = "/console/organizations/{id}/edit";
    type Parent = ();
    type Key = i64;
    type Draft = OrganizationDraft;
    type Patch = OrganizationPatch;
    type Saved = Organization;

    async fn new_form(cx: Cx<'_>, _: &()) -> Res<Sheet> {
        let fields = organization_fields(cx, None).await?;
        Ok(Sheet::new(
            cx.t("new-organization"),
            "/console/organizations",
            fields,
        ))
    }

    async fn create(cx: Cx<'_>, _: &(), draft: OrganizationDraft) -> Res<Organization> {
        organizations::create(cx.app, cx.who, draft).await
    }

    async fn edit_form(cx: Cx<'_>, id: &i64) -> Res<Sheet> {
        let org = organizations::get(cx.app, cx.who, OrganizationId::new(*id)).await?;
        let fields = organization_fields(cx, Some(&org)).await?;
        let back = format!("/console/organizations/{id}");
        Ok(Sheet::new(org.name.clone(), back, fields).at(org.version))
    }

    async fn update(cx: Cx<'_>, id: &i64, patch: OrganizationPatch) -> Res<Organization> {
        organizations::update(cx.app, cx.who, OrganizationId::new(*id), patch).await
    }

    fn saved(o: &Organization) -> String {
        format!("/console/organizations/{}", o.id)
    }
}

/// An organisation's contacts; a saved contact goes to its organisation.
pub struct Contacts;

impl Definition for Contacts {
    const NEW: &'static str = "/console/organizations/{id}/contacts/new";
    const EDIT: &'static str = "/console/contacts/{id}/edit";
    type Parent = i64;
    type Key = i64;
    type Draft = ContactDraft;
    type Patch = ContactPatch;
    type Saved = Contact;

    async fn new_form(cx: Cx<'_>, org: &i64) -> Res<Sheet> {
        let back = format!("/console/organizations/{org}");
        let fields = contact_fields(None, Some(*org));
        Ok(Sheet::new(cx.t("new-contact"), back, fields))
    }

    async fn create(cx: Cx<'_>, _: &i64, draft: ContactDraft) -> Res<Contact> {
        contacts::create(cx.app, cx.who, draft).await
    }

    async fn edit_form(cx: Cx<'_>, id: &i64) -> Res<Sheet> {
        let c = contacts::get(cx.app, cx.who, ContactId::new(*id)).await?;
        let back = format!("/console/organizations/{}", c.organization_id);
        let fields = contact_fields(Some(&c), None);
        Ok(Sheet::new(c.name.clone(), back, fields).at(c.version))
    }

    async fn update(cx: Cx<'_>, id: &i64, patch: ContactPatch) -> Res<Contact> {
        contacts::update(cx.app, cx.who, ContactId::new(*id), patch).await
    }

    fn saved(c: &Contact) -> String {
        format!("/console/organizations/{}", c.organization_id)
    }
}

/// Users (administrators only, as the actions decide); a saved user goes to the list.
pub struct Users;

impl Definition for Users {
    const NEW: &'static str = "/console/users/new";
    const EDIT: &'static str = "/console/users/{id}/edit";
    type Parent = ();
    type Key = i64;
    type Draft = UserDraft;
    type Patch = UserPatch;
    type Saved = User;

    async fn new_form(cx: Cx<'_>, _: &()) -> Res<Sheet> {
        let fields = user_new_fields(cx).await?;
        Ok(Sheet::new(cx.t("new-user"), "/console/users", fields))
    }

    async fn create(cx: Cx<'_>, _: &(), draft: UserDraft) -> Res<User> {
        users::create(cx.app, cx.who, draft).await
    }

    async fn edit_form(cx: Cx<'_>, id: &i64) -> Res<Sheet> {
        let u = users::get(cx.app, cx.who, UserId::new(*id)).await?;
        let title = format!("{} <{}>", u.name, u.email);
        Ok(Sheet::new(title, "/console/users", user_fields(cx, &u)).at(u.version))
    }

    async fn update(cx: Cx<'_>, id: &i64, patch: UserPatch) -> Res<User> {
        users::update(cx.app, cx.who, UserId::new(*id), patch).await
    }

    fn saved(_: &User) -> String {
        "/console/users".to_owned()
    }
}

/// Products.
pub struct Products;

impl Definition for Products {
    const NEW: &'static str = "/console/products/new";
    const EDIT: &'static str = "/console/products/{id}/edit";
    type Parent = ();
    type Key = i64;
    type Draft = ProductDraft;
    type Patch = ProductPatch;
    type Saved = Product;

    async fn new_form(cx: Cx<'_>, _: &()) -> Res<Sheet> {
        let fields = product_fields(None);
        Ok(Sheet::new(cx.t("new-product"), "/console/products", fields))
    }

    async fn create(cx: Cx<'_>, _: &(), draft: ProductDraft) -> Res<Product> {
        products::create(cx.app, cx.who, draft).await
    }

    async fn edit_form(cx: Cx<'_>, id: &i64) -> Res<Sheet> {
        let p = products::get(cx.app, cx.who, ProductId::new(*id)).await?;
        let back = format!("/console/products/{id}");
        Ok(Sheet::new(p.name.clone(), back, product_fields(Some(&p))).at(p.version))
    }

    async fn update(cx: Cx<'_>, id: &i64, patch: ProductPatch) -> Res<Product> {
        products::update(cx.app, cx.who, ProductId::new(*id), patch).await
    }

    fn saved(p: &Product) -> String {
        format!("/console/products/{}", p.id)
    }
}

/// A product's versions (no version of their own); a saved version goes to its product.
pub struct Versions;

impl Definition for Versions {
    const NEW: &'static str = "/console/products/{id}/versions/new";
    const EDIT: &'static str = "/console/products/{id}/versions/{version}/edit";
    type Parent = i64;
    type Key = (i64, i64);
    type Draft = ProductVersionDraft;
    type Patch = ProductVersionPatch;
    /// The product.
    type Saved = ProductId;

    async fn new_form(cx: Cx<'_>, id: &i64) -> Res<Sheet> {
        let back = format!("/console/products/{id}");
        Ok(Sheet::new(cx.t("new-version"), back, version_fields(None)))
    }

    async fn create(cx: Cx<'_>, id: &i64, draft: ProductVersionDraft) -> Res<ProductId> {
        let p = products::add_version(cx.app, cx.who, ProductId::new(*id), draft).await?;
        Ok(p.id)
    }

    async fn edit_form(cx: Cx<'_>, (id, version): &(i64, i64)) -> Res<Sheet> {
        let p = products::get(cx.app, cx.who, ProductId::new(*id)).await?;
        let v = p.versions.iter().find(|v| v.id.get() == *version);
        let v = v.ok_or(ActionError::NotFound("product version"))?;
        let title = format!("{} {}", p.name, v.version);
        let back = format!("/console/products/{id}");
        Ok(Sheet::new(title, back, version_fields(Some(v))))
    }

    async fn update(cx: Cx<'_>, key: &(i64, i64), patch: ProductVersionPatch) -> Res<ProductId> {
        let (id, version) = (ProductId::new(key.0), ProductVersionId::new(key.1));
        products::update_version(cx.app, cx.who, id, version, patch).await?;
        Ok(id)
    }

    fn saved(id: &ProductId) -> String {
        format!("/console/products/{id}")
    }
}

/// The sites of an organisation; a saved site goes to its organisation.
pub struct Sites;

impl Definition for Sites {
    const NEW: &'static str = "/console/organizations/{id}/sites/new";
    const EDIT: &'static str = "/console/sites/{id}/edit";
    type Parent = i64;
    type Key = i64;
    type Draft = SiteDraft;
    type Patch = SitePatch;
    type Saved = Site;

    async fn new_form(cx: Cx<'_>, org: &i64) -> Res<Sheet> {
        let back = format!("/console/organizations/{org}");
        Ok(Sheet::new(
            cx.t("new-site"),
            back,
            site_fields(None, Some(*org)),
        ))
    }

    async fn create(cx: Cx<'_>, _: &i64, draft: SiteDraft) -> Res<Site> {
        sites::create(cx.app, cx.who, draft).await
    }

    async fn edit_form(cx: Cx<'_>, id: &i64) -> Res<Sheet> {
        let s = sites::get(cx.app, cx.who, SiteId::new(*id)).await?;
        let back = format!("/console/organizations/{}", s.organization_id);
        Ok(Sheet::new(s.name.clone(), back, site_fields(Some(&s), None)).at(s.version))
    }

    async fn update(cx: Cx<'_>, id: &i64, patch: SitePatch) -> Res<Site> {
        sites::update(cx.app, cx.who, SiteId::new(*id), patch).await
    }

    fn saved(s: &Site) -> String {
        format!("/console/organizations/{}", s.organization_id)
    }
}

/// An organisation's installed units.
pub struct Units;

impl Definition for Units {
    const NEW: &'static str = "/console/organizations/{id}/units/new";
    const EDIT: &'static str = "/console/units/{id}/edit";
    type Parent = i64;
    type Key = i64;
    type Draft = UnitDraft;
    type Patch = UnitPatch;
    type Saved = Unit;

    async fn new_form(cx: Cx<'_>, org: &i64) -> Res<Sheet> {
        let fields = unit_fields(cx, OrganizationId::new(*org), None).await?;
        let back = format!("/console/organizations/{org}");
        Ok(Sheet::new(cx.t("new-unit"), back, fields))
    }

    async fn create(cx: Cx<'_>, _: &i64, draft: UnitDraft) -> Res<Unit> {
        units::create(cx.app, cx.who, draft).await
    }

    async fn edit_form(cx: Cx<'_>, id: &i64) -> Res<Sheet> {
        let u = units::get(cx.app, cx.who, UnitId::new(*id)).await?;
        let fields = unit_fields(cx, u.organization_id, Some(&u)).await?;
        let back = format!("/console/units/{id}");
        Ok(Sheet::new(u.serial_number.clone(), back, fields).at(u.version))
    }

    async fn update(cx: Cx<'_>, id: &i64, patch: UnitPatch) -> Res<Unit> {
        units::update(cx.app, cx.who, UnitId::new(*id), patch).await
    }

    fn saved(u: &Unit) -> String {
        format!("/console/units/{}", u.id)
    }
}

/// An organisation's contracts.
pub struct Contracts;

impl Definition for Contracts {
    const NEW: &'static str = "/console/organizations/{id}/contracts/new";
    const EDIT: &'static str = "/console/contracts/{id}/edit";
    type Parent = i64;
    type Key = i64;
    type Draft = ContractDraft;
    type Patch = ContractPatch;
    type Saved = Contract;

    async fn new_form(cx: Cx<'_>, org: &i64) -> Res<Sheet> {
        let fields = contract_fields(cx, OrganizationId::new(*org), None).await?;
        let back = format!("/console/organizations/{org}");
        Ok(Sheet::new(cx.t("new-contract"), back, fields))
    }

    async fn create(cx: Cx<'_>, _: &i64, draft: ContractDraft) -> Res<Contract> {
        contracts::create(cx.app, cx.who, draft).await
    }

    async fn edit_form(cx: Cx<'_>, id: &i64) -> Res<Sheet> {
        let c = contracts::get(cx.app, cx.who, ContractId::new(*id)).await?;
        let fields = contract_fields(cx, c.organization_id, Some(&c)).await?;
        let back = format!("/console/contracts/{id}");
        Ok(Sheet::new(c.contract_number.clone(), back, fields).at(c.version))
    }

    async fn update(cx: Cx<'_>, id: &i64, patch: ContractPatch) -> Res<Contract> {
        contracts::update(cx.app, cx.who, ContractId::new(*id), patch).await
    }

    fn saved(c: &Contract) -> String {
        format!("/console/contracts/{}", c.id)
    }
}

/// The call-home rules; a saved rule goes to the list, a stale version is said so with `409`.
pub struct Rules;

impl Definition for Rules {
    const NEW: &'static str = "/console/call-home/rules/new";
    const EDIT: &'static str = "/console/call-home/rules/{id}/edit";
    type Parent = ();
    type Key = i64;
    type Draft = CallHomeRule;
    type Patch = CallHomeRule;
    type Saved = CallHomeRule;

    async fn new_form(cx: Cx<'_>, _: &()) -> Res<Sheet> {
        let fields = rule_fields(cx, None).await?;
        Ok(Sheet::new(cx.t("call-home-new-rule"), RULES, fields))
    }

    async fn create(cx: Cx<'_>, _: &(), rule: CallHomeRule) -> Res<CallHomeRule> {
        rules::create(cx.app, cx.who, rule).await
    }

    async fn edit_form(cx: Cx<'_>, id: &i64) -> Res<Sheet> {
        let rules = rules::list(cx.app, cx.who).await?;
        let rule = rules.into_iter().find(|r| r.id == *id);
        let rule = rule.ok_or(ActionError::NotFound("call-home rule"))?;
        let title = cx.ctx.t1("call-home-edit-rule", "code", &rule.event_code);
        let fields = rule_fields(cx, Some(&rule)).await?;
        Ok(Sheet::new(title, RULES, fields).at(rule.version))
    }

    async fn update(cx: Cx<'_>, id: &i64, rule: CallHomeRule) -> Res<CallHomeRule> {
        rules::update(cx.app, cx.who, *id, rule).await
    }

    fn saved(_: &CallHomeRule) -> String {
        RULES.to_owned()
    }

    fn stale(ctx: &Ctx) -> Option<String> {
        Some(ctx.t("call-home-rule-stale"))
    }
}
