//! The customer directory: organisations (客户) with their customer numbers, their contacts
//! (联系人), and the product catalogue with versions.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{ContactId, OrganizationId, ProductId, ProductVersionId};
use crate::patch::{Change, double_option};
use crate::sla::plan::PlanId;
use crate::text::{CustomerNumber, Email, Name, Notes, Phone, ShortText};

/// A customer organisation.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Organization {
    /// Id.
    pub id: OrganizationId,
    /// Customer number (客户号), unique, as on the licence.
    pub customer_number: String,
    /// Name.
    pub name: String,
    /// Postal address.
    pub address: String,
    /// Notes for staff.
    pub notes: String,
    /// Its own support plan; without one its cases get the default plan.
    pub support_plan: Option<PlanId>,
    /// When it was archived; archived organisations are hidden from lists by default.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub archived_at: Option<Timestamp>,
    /// Created.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Last changed.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// Incremented by every change; send it back to detect concurrent edits.
    pub version: i64,
}

/// A new organisation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationDraft {
    /// Customer number, unique.
    pub customer_number: CustomerNumber,
    /// Name.
    pub name: Name,
    /// Postal address.
    #[serde(default)]
    pub address: Notes,
    /// Notes for staff.
    #[serde(default)]
    pub notes: Notes,
    /// Its own support plan (default: the default plan).
    #[serde(default)]
    pub support_plan: Option<PlanId>,
}

/// Changes to an organisation.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationPatch {
    /// New customer number.
    pub customer_number: Option<CustomerNumber>,
    /// New name.
    pub name: Option<Name>,
    /// New address.
    pub address: Option<Notes>,
    /// New notes.
    pub notes: Option<Notes>,
    /// Its own support plan, or `null` for the default plan.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub support_plan: Change<PlanId>,
    /// Archive (`true`) or restore (`false`).
    pub archived: Option<bool>,
    /// The version you last read; a mismatch is refused with 409.
    pub version: Option<i64>,
}

/// A person of a customer organisation.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Contact {
    /// Id.
    pub id: ContactId,
    /// Their organisation.
    pub organization_id: OrganizationId,
    /// Name.
    pub name: String,
    /// E-mail address, unique within the organisation.
    pub email: Option<String>,
    /// Telephone.
    pub phone: Option<String>,
    /// Whether they may open cases.
    pub can_open_cases: bool,
    /// When archived.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub archived_at: Option<Timestamp>,
    /// Created.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Last changed.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// Version for concurrent edits.
    pub version: i64,
}

/// A new contact.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactDraft {
    /// Their organisation.
    pub organization_id: OrganizationId,
    /// Name.
    pub name: Name,
    /// E-mail address.
    pub email: Option<Email>,
    /// Telephone.
    pub phone: Option<Phone>,
    /// Whether they may open cases (default true).
    #[serde(default = "yes")]
    pub can_open_cases: bool,
}

fn yes() -> bool {
    true
}

/// Changes to a contact.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    /// New name.
    pub name: Option<Name>,
    /// New e-mail address, or `null` to clear.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Change<Email>,
    /// New telephone, or `null` to clear.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Change<Phone>,
    /// Whether they may open cases.
    pub can_open_cases: Option<bool>,
    /// Archive or restore.
    pub archived: Option<bool>,
    /// The version you last read.
    pub version: Option<i64>,
}

/// A product in the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Product {
    /// Id.
    pub id: ProductId,
    /// Name, unique per vendor.
    pub name: String,
    /// Vendor.
    pub vendor: String,
    /// Known versions, oldest release first.
    pub versions: Vec<ProductVersion>,
    /// When archived.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub archived_at: Option<Timestamp>,
    /// Created.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Last changed.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// Version for concurrent edits.
    pub version: i64,
}

/// A released version of a product.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProductVersion {
    /// Id.
    pub id: ProductVersionId,
    /// The version, e.g. `9.0.1`.
    pub version: String,
    /// Release date (general availability).
    #[schema(value_type = Option<String>, format = Date)]
    pub released_on: Option<Date>,
    /// End of marketing: no longer sold.
    #[schema(value_type = Option<String>, format = Date)]
    pub end_of_marketing_on: Option<Date>,
    /// End of support: the last day the vendor supports it.
    #[schema(value_type = Option<String>, format = Date)]
    pub end_of_support_on: Option<Date>,
}

/// A version to add to a product.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductVersionDraft {
    /// The version, unique within the product.
    pub version: ShortText,
    /// Release date, `YYYY-MM-DD`.
    #[schema(value_type = Option<String>, format = Date)]
    pub released_on: Option<Date>,
    /// End of marketing, `YYYY-MM-DD`.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub end_of_marketing_on: Option<Date>,
    /// End of support, `YYYY-MM-DD`.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub end_of_support_on: Option<Date>,
}

/// A new product.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductDraft {
    /// Name.
    pub name: Name,
    /// Vendor.
    pub vendor: Name,
    /// Initial versions.
    #[serde(default)]
    pub versions: Vec<ProductVersionDraft>,
}

/// Changes to a product.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    /// New name.
    pub name: Option<Name>,
    /// New vendor.
    pub vendor: Option<Name>,
    /// Archive or restore.
    pub archived: Option<bool>,
    /// The version you last read.
    pub version: Option<i64>,
}

/// Changes to a product version.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductVersionPatch {
    /// New version text.
    pub version: Option<ShortText>,
    /// New release date, or `null` to clear.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub released_on: Change<Date>,
    /// New end of marketing, or `null` to clear.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub end_of_marketing_on: Change<Date>,
    /// New end of support, or `null` to clear.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub end_of_support_on: Change<Date>,
}

/// Where a version stands in its lifecycle on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleStage {
    /// Not released yet.
    Unreleased,
    /// Sold and supported.
    Supported,
    /// No longer sold, still supported.
    EndOfMarketing,
    /// No longer supported.
    EndOfSupport,
}

impl ProductVersion {
    /// The stage on `day`; a version without dates is supported.
    pub fn stage(&self, day: Date) -> LifecycleStage {
        if self.end_of_support_on.is_some_and(|d| day > d) {
            LifecycleStage::EndOfSupport
        } else if self.end_of_marketing_on.is_some_and(|d| day > d) {
            LifecycleStage::EndOfMarketing
        } else if self.released_on.is_some_and(|d| day < d) {
            LifecycleStage::Unreleased
        } else {
            LifecycleStage::Supported
        }
    }
}
