//! Users who sign in: staff and customers, and their API tokens.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::attributes::Tier;
use crate::ids::{ApiTokenId, ContactId, OrganizationId, UserId};
use crate::patch::{Change, double_option};
use crate::policy::Role;
use crate::text::{Email, Name, Password, ShortText};

/// A user account (never includes the password hash).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Sign-in e-mail, unique.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Organisation of a customer user.
    pub organization_id: Option<OrganizationId>,
    /// The contact record of a customer user.
    pub contact_id: Option<ContactId>,
    /// Whether the user may sign in.
    pub active: bool,
    /// The tier this staff member leads (SLA escalations to the tier lead reach them).
    pub leads_tier: Option<Tier>,
    /// Whether this staff member is a duty manager (the last SLA escalation step reaches them).
    pub duty_manager: bool,
    /// The team a staff member works in (e.g. "北京一线"): dashboards and survey results group
    /// and filter by the owner's team.
    pub team: Option<String>,
    /// Created.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Last changed.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// Version for concurrent edits.
    pub version: i64,
}

/// A new user.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserDraft {
    /// Sign-in e-mail.
    pub email: Email,
    /// Display name.
    pub name: Name,
    /// Role.
    pub role: Role,
    /// Required for customer roles, refused for staff.
    pub organization_id: Option<OrganizationId>,
    /// Link to the customer's contact record; if left out, the contact with the same e-mail in
    /// the organisation is linked, and created if there is none.
    pub contact_id: Option<ContactId>,
    /// Initial password; without one the user signs in only with API tokens.
    #[schema(value_type = Option<String>, min_length = 10)]
    pub password: Option<Password>,
}

/// Changes to a user.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// New display name.
    pub name: Option<Name>,
    /// New role (staff roles and customer roles do not mix).
    pub role: Option<Role>,
    /// Enable or disable sign-in.
    pub active: Option<bool>,
    /// New password. Every session of the user ends with the change.
    #[schema(value_type = Option<String>, min_length = 10)]
    pub password: Option<Password>,
    /// Your current password: required to change your own password once you have one (an
    /// administrator resetting someone else's does not give it).
    #[schema(value_type = Option<String>)]
    pub current_password: Option<Password>,
    /// `true`: also revoke every API token of the user (with a new password, or alone).
    pub revoke_tokens: Option<bool>,
    /// New contact link, or `null` to clear.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub contact_id: Change<ContactId>,
    /// The tier this staff member leads, or `null` (admins).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub leads_tier: Change<Tier>,
    /// Whether this staff member is a duty manager (admins).
    pub duty_manager: Option<bool>,
    /// The staff member's team (at most 100 characters), or `null` (admins).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub team: Change<ShortText>,
    /// The version you last read.
    pub version: Option<i64>,
}

/// An API token (the secret itself is shown once, at creation).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ApiToken {
    /// Id.
    pub id: ApiTokenId,
    /// The user it acts as.
    pub user_id: UserId,
    /// What it is for.
    pub label: String,
    /// Created.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Last used (updated at most once a minute).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Timestamp>,
    /// When revoked.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
}
