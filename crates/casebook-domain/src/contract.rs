//! What a customer bought: sites (用户地址), installed units (装机: a product with a serial number at
//! a site) and support contracts (维保合同) with their plan, dates, coverage, authorised contacts,
//! channels and services.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::attributes::{Channel, Named};
use crate::case::NamedRef;
use crate::ids::{ContactId, ContractId, OrganizationId, ProductId, SiteId, UnitId, UserId};
use crate::patch::{Change, double_option};
use crate::sla::plan::PlanId;
use crate::text::{Code, Name, Notes, ShortText};

/// A place where a customer runs units: a data centre, a branch office.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Site {
    /// Id.
    pub id: SiteId,
    /// The organisation.
    pub organization_id: OrganizationId,
    /// Site id as the customer and the devices quote it (Site ID), unique.
    pub code: String,
    /// Name.
    pub name: String,
    /// Address for field engineers.
    pub address: String,
    /// Notes (access, opening hours, who to ask at the gate).
    pub notes: String,
    /// Created.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Last changed.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// Version for concurrent edits.
    pub version: i64,
}

/// A new site.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteDraft {
    /// The organisation.
    pub organization_id: OrganizationId,
    /// Site id, unique.
    pub code: Code,
    /// Name.
    pub name: Name,
    /// Address.
    #[serde(default)]
    pub address: Notes,
    /// Notes.
    #[serde(default)]
    pub notes: Notes,
}

/// Changes to a site.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SitePatch {
    /// New site id.
    pub code: Option<Code>,
    /// New name.
    pub name: Option<Name>,
    /// New address.
    pub address: Option<Notes>,
    /// New notes.
    pub notes: Option<Notes>,
    /// The version you last read.
    pub version: Option<i64>,
}

/// A product unit installed at a customer: the installed base (装机清单).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Unit {
    /// Id.
    pub id: UnitId,
    /// The organisation that owns it.
    pub organization_id: OrganizationId,
    /// Where it is.
    pub site: Option<NamedRef<SiteId>>,
    /// Serial number (序列号), unique per product.
    pub serial_number: String,
    /// The product.
    pub product: NamedRef<ProductId>,
    /// Installed version.
    pub product_version: Option<String>,
    /// Patch level.
    pub patch_level: Option<String>,
    /// Operating system.
    pub operating_system: Option<String>,
    /// Notes.
    pub notes: String,
    /// When it was taken out of service.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub retired_at: Option<Timestamp>,
    /// Created.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Last changed.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// Version for concurrent edits.
    pub version: i64,
}

/// A new unit.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitDraft {
    /// The organisation.
    pub organization_id: OrganizationId,
    /// Its site (of the same organisation).
    pub site_id: Option<SiteId>,
    /// Serial number.
    pub serial_number: Code,
    /// The product.
    pub product_id: ProductId,
    /// Installed version (a known version of the product, if it lists versions).
    pub product_version: Option<ShortText>,
    /// Patch level.
    pub patch_level: Option<ShortText>,
    /// Operating system.
    pub operating_system: Option<ShortText>,
    /// Notes.
    #[serde(default)]
    pub notes: Notes,
}

/// Changes to a unit; each is kept in the unit's history.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitPatch {
    /// New site, or `null`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub site_id: Change<SiteId>,
    /// New installed version, or `null`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub product_version: Change<ShortText>,
    /// New patch level, or `null`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub patch_level: Change<ShortText>,
    /// New operating system, or `null`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub operating_system: Change<ShortText>,
    /// New notes.
    pub notes: Option<Notes>,
    /// Retire (`true`) or return to service (`false`).
    pub retired: Option<bool>,
    /// The version you last read.
    pub version: Option<i64>,
}

/// One change in a unit's history.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UnitChange {
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Who (absent for devices and imports).
    pub actor: Option<NamedRef<UserId>>,
    /// Field → `[before, after]`.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
}

/// A service a contract includes besides answering cases.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// Engineers come on site (现场服务).
    OnSite,
    /// Remote diagnosis (远程诊断).
    RemoteDiagnosis,
    /// A monthly service report (月度报告).
    MonthlyReport,
    /// A named service manager (服务经理).
    ServiceManager,
    /// Preventive inspections (预防性巡检).
    PreventiveInspection,
}

/// A support contract (维保合同).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Contract {
    /// Id.
    pub id: ContractId,
    /// Contract number (合同号), unique.
    pub contract_number: String,
    /// The organisation.
    pub organization_id: OrganizationId,
    /// The support plan (SLA) it buys.
    #[schema(value_type = String)]
    pub plan: PlanId,
    /// First day of coverage.
    #[schema(value_type = String, format = Date)]
    pub starts_on: Date,
    /// Last day of coverage.
    #[schema(value_type = String, format = Date)]
    pub ends_on: Date,
    /// Which contract wins where two cover the same unit on the same day (higher wins).
    pub precedence: i64,
    /// Covered units; with `products` empty too, every unit and product of the organisation.
    pub units: Vec<UnitId>,
    /// Covered products (every unit of them).
    pub products: Vec<ProductId>,
    /// Contacts who may open cases under it; empty: every contact who may open cases.
    pub contacts: Vec<ContactId>,
    /// Channels included.
    pub channels: Vec<Channel>,
    /// Services included.
    pub services: Vec<Service>,
    /// Incidents included; absent: unlimited.
    pub incidents: Option<i64>,
    /// Cases charged to it so far.
    pub incidents_used: i64,
    /// Hours included (a bank of hours); absent: no bank.
    pub hours: Option<i64>,
    /// Billable minutes recorded on the cases charged to it so far.
    pub minutes_used: i64,
    /// The vendor's service manager for this customer.
    pub service_manager: Option<NamedRef<UserId>>,
    /// Notes.
    pub notes: String,
    /// Created.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Last changed.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// Version for concurrent edits.
    pub version: i64,
}

fn all_channels() -> Vec<Channel> {
    <Channel as Named>::ALL.to_vec()
}

/// A new contract.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractDraft {
    /// Contract number, unique.
    pub contract_number: Code,
    /// The organisation.
    pub organization_id: OrganizationId,
    /// The support plan.
    #[schema(value_type = String)]
    pub plan: PlanId,
    /// First day, `YYYY-MM-DD`.
    #[schema(value_type = String, format = Date)]
    pub starts_on: Date,
    /// Last day, `YYYY-MM-DD`.
    #[schema(value_type = String, format = Date)]
    pub ends_on: Date,
    /// Precedence where contracts overlap (default 0).
    #[serde(default)]
    pub precedence: i64,
    /// Covered units.
    #[serde(default)]
    pub units: Vec<UnitId>,
    /// Covered products.
    #[serde(default)]
    pub products: Vec<ProductId>,
    /// Authorised contacts.
    #[serde(default)]
    pub contacts: Vec<ContactId>,
    /// Channels (default: all).
    #[serde(default = "all_channels")]
    pub channels: Vec<Channel>,
    /// Services.
    #[serde(default)]
    pub services: Vec<Service>,
    /// Incidents included; absent: unlimited.
    #[schema(minimum = 0)]
    pub incidents: Option<i64>,
    /// Hours included (a bank of hours); absent: no bank.
    #[schema(minimum = 0)]
    pub hours: Option<i64>,
    /// The service manager (staff).
    pub service_manager_id: Option<UserId>,
    /// Notes.
    #[serde(default)]
    pub notes: Notes,
}

/// Changes to a contract. Cases already open keep their SLA unless staff re-check them.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractPatch {
    /// New plan.
    #[schema(value_type = Option<String>)]
    pub plan: Option<PlanId>,
    /// New first day.
    #[schema(value_type = Option<String>, format = Date)]
    pub starts_on: Option<Date>,
    /// New last day (a renewal).
    #[schema(value_type = Option<String>, format = Date)]
    pub ends_on: Option<Date>,
    /// New precedence.
    pub precedence: Option<i64>,
    /// New covered units.
    pub units: Option<Vec<UnitId>>,
    /// New covered products.
    pub products: Option<Vec<ProductId>>,
    /// New authorised contacts.
    pub contacts: Option<Vec<ContactId>>,
    /// New channels.
    pub channels: Option<Vec<Channel>>,
    /// New services.
    pub services: Option<Vec<Service>>,
    /// New incident allowance, or `null` for unlimited.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub incidents: Change<i64>,
    /// New bank of hours, or `null` for none.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub hours: Change<i64>,
    /// New service manager, or `null`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub service_manager_id: Change<UserId>,
    /// New notes.
    pub notes: Option<Notes>,
    /// The version you last read.
    pub version: Option<i64>,
}

impl Contract {
    /// Whether the contract names no units and no products, so covers all of the organisation's.
    pub fn covers_everything(&self) -> bool {
        self.units.is_empty() && self.products.is_empty()
    }

    /// Whether it covers a unit (of `product`).
    pub fn covers_unit(&self, unit: UnitId, product: ProductId) -> bool {
        self.covers_everything() || self.units.contains(&unit) || self.products.contains(&product)
    }

    /// Whether it covers a product named without a unit: the product itself, or a covered unit
    /// of it (`unit_products` are the products of the covered units).
    pub fn covers_product(&self, product: ProductId, unit_products: &[ProductId]) -> bool {
        self.covers_everything()
            || self.products.contains(&product)
            || unit_products.contains(&product)
    }

    /// Whether a date falls within its term.
    pub fn in_force(&self, day: Date) -> bool {
        self.starts_on <= day && day <= self.ends_on
    }
}
