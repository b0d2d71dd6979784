//! A remote session as people read it: the request, who approved or declined it, when it ran,
//! its log lines and recordings, and the seal of its log.

use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use super::remote::{AccessPolicy, SessionState};
use crate::case::NamedRef;
use crate::ids::{UnitId, UserId};

/// A remote diagnosis session on a case.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RemoteSession {
    /// Id.
    pub id: i64,
    /// The case (`YYYY-NNNNN`).
    pub case_number: String,
    /// Where it is in its life.
    pub state: SessionState,
    /// What it is for.
    pub purpose: String,
    /// How the engineer connects.
    pub method: String,
    /// The units involved (product and serial number).
    #[schema(value_type = Vec<Object>)]
    pub units: Vec<NamedRef<UnitId>>,
    /// When the window opens.
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: Timestamp,
    /// When it closes.
    #[schema(value_type = String, format = DateTime)]
    pub ends_at: Timestamp,
    /// Its length in minutes.
    pub minutes: i64,
    /// The policy it was requested under: `ask` (a contact approves) or `allow`.
    pub policy: AccessPolicy,
    /// Who requested it.
    #[schema(value_type = Option<Object>)]
    pub requested_by: Option<NamedRef<UserId>>,
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: Timestamp,
    /// Who approved or declined it (absent when an `allow` policy approved it).
    #[schema(value_type = Option<Object>)]
    pub decided_by: Option<NamedRef<UserId>>,
    /// When it was approved or declined.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<Timestamp>,
    /// Why it was declined.
    pub decision_note: String,
    /// Who connected.
    #[schema(value_type = Option<Object>)]
    pub started_by: Option<NamedRef<UserId>>,
    /// When.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<Timestamp>,
    /// Who ended or revoked it (absent when its window ran out).
    #[schema(value_type = Option<Object>)]
    pub ended_by: Option<NamedRef<UserId>>,
    /// When it ended, was revoked or cancelled.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ended_at: Option<Timestamp>,
    /// `ended`, `window_over`, `revoked` or `cancelled`.
    pub end_reason: Option<String>,
    /// Lines in its log.
    pub log_lines: i64,
    /// The seal of its log (SHA-256, hex), once it ended.
    pub log_sha256: Option<String>,
    /// Version for optimistic concurrency.
    pub version: i64,
}

/// One line of a session's log.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LogLine {
    /// Its number in the log, from 1.
    pub seq: i64,
    /// When it was typed or printed.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// The line (customers read `[internal]` when staff marked it internal).
    pub text: String,
    /// Whether staff marked it internal.
    pub internal: bool,
    /// Why (staff only).
    pub internal_reason: Option<String>,
}

/// A terminal recording uploaded during a session.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Recording {
    /// Id.
    pub id: i64,
    /// The case's internal attachment that holds it (download it as any attachment).
    pub attachment_id: i64,
    /// The file's name.
    pub file_name: String,
    /// Its media type.
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256 of its content, hex (part of the log's seal).
    pub sha256: String,
    /// When it was uploaded.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}
