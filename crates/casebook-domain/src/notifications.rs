//! In-app notifications: what a user is told inside Casebook (SLA warnings and escalations,
//! calendar data missing), read or unread.

use jiff::Timestamp;
use serde::Serialize;

/// A user's notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Notification {
    /// Id.
    pub id: i64,
    /// Stable kind: `sla_warning`, `sla_breach`, `sla_escalation`, `calendar_holidays`.
    pub kind: String,
    /// The case's number, if about a case.
    pub case_number: Option<String>,
    /// One line.
    pub title: String,
    /// More.
    pub body: String,
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When it was read.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub read_at: Option<Timestamp>,
}
