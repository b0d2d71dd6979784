//! The console's list pages of reference records, each declared as a [`Listing`] (see
//! `tables.rs`): organisations, contacts and users (routed by `directory.rs`); products, units,
//! contracts, business calendars and support plans (routed by `installed_base.rs`).

use casebook_domain::contract::{Contract, Unit};
use casebook_domain::directory::{Contact, Organization, Product};
use casebook_domain::sla::plan::Plan;
use casebook_domain::users::User;
use casebook_store::contacts::ContactFilter;
use casebook_store::organizations::OrganizationFilter;
use casebook_store::products::ProductFilter;
use casebook_store::units::UnitFilter;
use casebook_store::users::UserFilter;
use casebook_store::{Page, PageRequest};

use super::tables::{Cell, Listing, code, contact_row, contract_row, link, text, unit_row};
use crate::actions::contracts::calendars::CalendarView;
use crate::actions::{
    ActionError, contracts, contracts::calendars, contracts::plans, directory::contacts,
    directory::organizations,
};
use crate::actions::{accounts::users, directory::products, directory::units};
use crate::app::AppState;
use crate::policy::Principal;
use crate::web::page::Ctx;

/// `/console/organizations`.
pub struct OrganizationList;

impl Listing for OrganizationList {
    type Item = Organization;
    const TITLE: &'static str = "nav-organizations";
    const HEADERS: &'static [&'static str] =
        &["field-customer-number", "field-name", "field-address"];
    const SEARCHABLE: bool = true;

    async fn fetch(
        app: &AppState,
        who: &Principal,
        q: Option<String>,
        page: PageRequest,
    ) -> Result<Page<Organization>, ActionError> {
        let filter = OrganizationFilter {
            q,
            ..OrganizationFilter::default()
        };
        organizations::list(app, who, filter, &page).await
    }

    fn row(_: &Ctx, o: Organization) -> Vec<Cell> {
        vec![
            text(&o.customer_number),
            link(&o.name, format!("/console/organizations/{}", o.id)),
            text(&o.address),
        ]
    }
}

/// `/console/contacts`.
pub struct ContactList;

impl Listing for ContactList {
    type Item = Contact;
    const TITLE: &'static str = "nav-contacts";
    const HEADERS: &'static [&'static str] = &[
        "field-name",
        "field-email",
        "field-phone",
        "field-organization",
    ];
    const SEARCHABLE: bool = true;

    async fn fetch(
        app: &AppState,
        who: &Principal,
        q: Option<String>,
        page: PageRequest,
    ) -> Result<Page<Contact>, ActionError> {
        let filter = ContactFilter {
            q,
            ..ContactFilter::default()
        };
        contacts::list(app, who, filter, &page).await
    }

    fn row(_: &Ctx, c: Contact) -> Vec<Cell> {
        let org = c.organization_id;
        let mut cells = contact_row(&c);
        cells.push(link(org, format!("/console/organizations/{org}")));
        cells
    }
}

/// `/console/users`.
pub struct UserList;

impl Listing for UserList {
    type Item = User;
    const TITLE: &'static str = "nav-users";
    const HEADERS: &'static [&'static str] =
        &["field-name", "field-email", "field-role", "field-active"];
    const SEARCHABLE: bool = true;

    async fn fetch(
        app: &AppState,
        who: &Principal,
        q: Option<String>,
        page: PageRequest,
    ) -> Result<Page<User>, ActionError> {
        let filter = UserFilter {
            q,
            ..UserFilter::default()
        };
        users::list(app, who, filter, &page).await
    }

    fn row(ctx: &Ctx, u: User) -> Vec<Cell> {
        vec![
            link(&u.name, format!("/console/users/{}/edit", u.id)),
            text(&u.email),
            text(ctx.role(u.role)),
            text(if u.active { ctx.t("yes") } else { ctx.t("no") }),
        ]
    }
}

/// `/console/products`.
pub struct ProductList;

impl Listing for ProductList {
    type Item = Product;
    const TITLE: &'static str = "nav-products";
    const HEADERS: &'static [&'static str] = &["field-name", "field-vendor", "field-versions"];
    const SEARCHABLE: bool = true;

    async fn fetch(
        app: &AppState,
        who: &Principal,
        q: Option<String>,
        page: PageRequest,
    ) -> Result<Page<Product>, ActionError> {
        let filter = ProductFilter {
            q,
            ..ProductFilter::default()
        };
        products::list(app, who, filter, &page).await
    }

    fn row(_: &Ctx, p: Product) -> Vec<Cell> {
        let versions = p
            .versions
            .iter()
            .map(|v| v.version.clone())
            .collect::<Vec<_>>()
            .join(", ");
        vec![
            link(&p.name, format!("/console/products/{}", p.id)),
            text(&p.vendor),
            text(versions),
        ]
    }
}

/// `/console/units`.
pub struct UnitList;

impl Listing for UnitList {
    type Item = Unit;
    const TITLE: &'static str = "nav-units";
    const HEADERS: &'static [&'static str] = &[
        "field-serial-number",
        "field-product",
        "field-version",
        "field-site",
    ];
    const SEARCHABLE: bool = false;

    async fn fetch(
        app: &AppState,
        who: &Principal,
        _: Option<String>,
        page: PageRequest,
    ) -> Result<Page<Unit>, ActionError> {
        units::list(app, who, UnitFilter::default(), None, &page).await
    }

    fn row(_: &Ctx, u: Unit) -> Vec<Cell> {
        unit_row(&u)
    }
}

/// `/console/contracts`.
pub struct ContractList;

impl Listing for ContractList {
    type Item = Contract;
    const TITLE: &'static str = "nav-contracts";
    const HEADERS: &'static [&'static str] = &[
        "field-contract-number",
        "field-plan",
        "field-starts-on",
        "field-ends-on",
    ];
    const SEARCHABLE: bool = false;

    async fn fetch(
        app: &AppState,
        who: &Principal,
        _: Option<String>,
        page: PageRequest,
    ) -> Result<Page<Contract>, ActionError> {
        contracts::list(app, who, None, None, &page).await
    }

    fn row(_: &Ctx, c: Contract) -> Vec<Cell> {
        contract_row(&c)
    }
}

/// `/console/calendars`.
pub struct CalendarList;

impl Listing for CalendarList {
    type Item = CalendarView;
    const TITLE: &'static str = "nav-calendars";
    const HEADERS: &'static [&'static str] = &[
        "field-id",
        "field-name",
        "field-time-zone",
        "field-exceptions",
    ];
    const SEARCHABLE: bool = false;

    async fn fetch(
        app: &AppState,
        who: &Principal,
        _: Option<String>,
        page: PageRequest,
    ) -> Result<Page<CalendarView>, ActionError> {
        calendars::list(app, who, &page).await
    }

    fn row(_: &Ctx, c: CalendarView) -> Vec<Cell> {
        let cal = c.calendar;
        vec![
            code(&cal.id),
            link(&cal.spec.name, format!("/console/calendars/{}", cal.id)),
            text(&cal.spec.time_zone),
            text(cal.spec.exceptions.len()),
        ]
    }
}

/// `/console/plans`.
pub struct PlanList;

impl Listing for PlanList {
    type Item = Plan;
    const TITLE: &'static str = "nav-plans";
    const HEADERS: &'static [&'static str] = &[
        "field-id",
        "field-name",
        "field-description",
        "field-default",
    ];
    const SEARCHABLE: bool = false;

    async fn fetch(
        app: &AppState,
        who: &Principal,
        _: Option<String>,
        page: PageRequest,
    ) -> Result<Page<Plan>, ActionError> {
        plans::list(app, who, &page).await
    }

    fn row(ctx: &Ctx, p: Plan) -> Vec<Cell> {
        vec![
            code(&p.id),
            link(&p.spec.name, format!("/console/plans/{}", p.id)),
            text(&p.spec.description),
            text(if p.is_default {
                ctx.t("yes")
            } else {
                String::new()
            }),
        ]
    }
}
