//! A case (问题记录) as stored and shown, and the inputs that open and change one.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::attributes::{Category, Channel, Severity, Status, Tier};
use crate::case_number::CaseNumber;
use crate::entitlement::Outcome;
use crate::ids::{CaseId, ContactId, OrganizationId, ProductId, UnitId, UserId};
use crate::patch::{Change, double_option};
use crate::policy::CaseAccess;
use crate::text::{Code, LongText, Notes, ShortText, Title};

/// An organisation as shown on a case.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OrganizationRef {
    /// Id.
    pub id: OrganizationId,
    /// Customer number.
    pub customer_number: String,
    /// Name.
    pub name: String,
}

/// A contact, user or product as shown on a case: id and name.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NamedRef<Id> {
    /// Id.
    pub id: Id,
    /// Name.
    pub name: String,
}

/// The customer's confirmation that a case is solved (确认关闭).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ClosureConfirmation {
    /// The customer user who accepted the solution.
    pub confirmed_by: NamedRef<UserId>,
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub confirmed_at: Timestamp,
}

/// The entitlement of a case: what the check decided, why, under which contract and plan, and
/// who overrode a refusal.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Entitlement {
    /// What the check found (after an override: `entitled`).
    pub outcome: Outcome,
    /// Why, for staff.
    pub reason: String,
    /// The contract the case is charged to, or the one that came closest.
    pub contract_number: Option<String>,
    /// The support plan the SLA clocks run on.
    pub plan: Option<String>,
    /// The coordinator who overrode a refusal.
    pub overridden_by: Option<NamedRef<UserId>>,
    /// Their written reason.
    pub override_reason: Option<String>,
}

/// A case with the names of what it refers to.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Case {
    /// Internal id; customers quote the number.
    #[serde(skip)]
    pub id: CaseId,
    /// The case number, e.g. `2026-00042`.
    pub number: CaseNumber,
    /// One-line summary.
    pub title: String,
    /// What happened: symptoms, frequency, steps to reproduce, error messages.
    pub description: String,
    /// The customer organisation.
    pub organization: OrganizationRef,
    /// The customer's contact person.
    pub contact: Option<NamedRef<ContactId>>,
    /// The product.
    pub product: Option<NamedRef<ProductId>>,
    /// Product version.
    pub product_version: Option<String>,
    /// Patch level (补丁级别).
    pub patch_level: Option<String>,
    /// Operating system and version.
    pub operating_system: Option<String>,
    /// Other environment details: configuration, network, database, applications.
    pub environment: String,
    /// Kind of problem.
    pub category: Category,
    /// Severity 1–4.
    pub severity: Severity,
    /// How it arrived.
    pub channel: Channel,
    /// Support tier working on it (staff only; absent for customers).
    pub tier: Option<Tier>,
    /// Lifecycle status.
    pub status: Status,
    /// The engineer responsible (问题负责人).
    pub owner: Option<NamedRef<UserId>>,
    /// Who opened it.
    pub opened_by: Option<NamedRef<UserId>>,
    /// Opened.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Last change of the case or its public timeline.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// When it was closed or cancelled.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<Timestamp>,
    /// The customer's confirmation of the closure, if they gave it.
    pub closure_confirmation: Option<ClosureConfirmation>,
    /// The installed unit (its name is the serial number).
    pub unit: Option<NamedRef<UnitId>>,
    /// What the entitlement check decided when the case was opened (staff only).
    pub entitlement: Option<Entitlement>,
    /// The case this one was merged into (it is closed and its conversation moved there).
    pub merged_into: Option<CaseNumber>,
    /// Incremented by every change of the case's fields; send it back as `version` or `If-Match`.
    pub version: i64,
}

impl Case {
    /// The facts the access policy needs.
    pub fn access(&self) -> CaseAccess {
        CaseAccess {
            organization: self.organization.id,
            opened_by: self.opened_by.as_ref().map(|u| u.id),
            contact: self.contact.as_ref().map(|c| c.id),
        }
    }
}

/// A new case.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseDraft {
    /// One-line summary.
    pub title: Title,
    /// What happened.
    pub description: LongText,
    /// The customer organisation; customers leave it out (their own is used).
    pub organization_id: Option<OrganizationId>,
    /// The customer's contact; a customer user is their own contact.
    pub contact_id: Option<ContactId>,
    /// The product.
    pub product_id: Option<ProductId>,
    /// Product version; must be a known version if the product lists versions.
    pub product_version: Option<ShortText>,
    /// Patch level.
    pub patch_level: Option<ShortText>,
    /// Operating system and version.
    pub operating_system: Option<ShortText>,
    /// Other environment details.
    #[serde(default)]
    pub environment: Notes,
    /// Kind of problem (default `other`).
    pub category: Option<Category>,
    /// Severity 1–4.
    pub severity: Severity,
    /// How it arrived. Staff only: a phone intake (the default in the console), `email`, `web`
    /// or `api` (the default with a token), never `call_home`. Customers' cases are `web`
    /// through the portal and the API alike; any other value is refused.
    pub channel: Option<Channel>,
    /// Starting tier, staff only (default `intake`).
    pub tier: Option<Tier>,
    /// The engineer responsible, staff only; the case starts `assigned`.
    pub owner_id: Option<UserId>,
    /// The contract number the caller quotes (合同号), for the entitlement check.
    pub contract_number: Option<Code>,
    /// The serial number of the unit (序列号); sets the unit and its product.
    pub serial_number: Option<Code>,
}

/// Changes to a case. Customers may change only `status` (accept, reject, cancel, reopen).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CasePatch {
    /// New title.
    pub title: Option<Title>,
    /// New description.
    pub description: Option<LongText>,
    /// New contact, or `null`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub contact_id: Change<ContactId>,
    /// New product, or `null`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub product_id: Change<ProductId>,
    /// New product version, or `null`.
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
    /// New environment details.
    pub environment: Option<Notes>,
    /// New category.
    pub category: Option<Category>,
    /// New severity.
    pub severity: Option<Severity>,
    /// New tier (escalation or de-escalation).
    pub tier: Option<Tier>,
    /// New owner, or `null` (only before work starts).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub owner_id: Change<UserId>,
    /// New status, following the lifecycle.
    pub status: Option<Status>,
    /// Why: shown on the timeline with status, severity and tier changes.
    pub reason: Option<Notes>,
    /// The version you last read; a mismatch is refused with 409.
    pub version: Option<i64>,
}

impl CasePatch {
    /// Whether the patch touches anything but the status and its reason.
    pub fn changes_more_than_status(&self) -> bool {
        self.title.is_some()
            || self.description.is_some()
            || self.contact_id.is_some()
            || self.product_id.is_some()
            || self.product_version.is_some()
            || self.patch_level.is_some()
            || self.operating_system.is_some()
            || self.environment.is_some()
            || self.category.is_some()
            || self.severity.is_some()
            || self.tier.is_some()
            || self.owner_id.is_some()
    }
}
