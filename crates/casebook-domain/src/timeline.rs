//! The timeline of a case: replies, internal notes, changes and attachments, each with actor and
//! time, in the order they happened.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::attributes::Named;
use crate::case::NamedRef;
use crate::ids::{AttachmentId, CaseEventId, UserId};
use crate::policy::Visibility;
use crate::text::LongText;

/// What a timeline entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The case was opened.
    Created,
    /// A public reply (by staff or the customer).
    Reply,
    /// An internal note (staff only).
    Note,
    /// The status changed.
    StatusChange,
    /// The severity changed.
    SeverityChange,
    /// The owner changed.
    OwnerChange,
    /// The tier changed (escalation).
    TierChange,
    /// Other fields changed (title, description, product, environment…).
    FieldsChange,
    /// Files were attached without a reply.
    Attachment,
    /// The case was linked to another (`{"role": …, "case": …}`, seen from this case).
    Linked,
    /// A link to another case was removed.
    Unlinked,
    /// The case was merged into another, or another into it (`role` `merged_into`/`merged_from`).
    Merged,
    /// A reply was split into a new case (`role` `split_into`/`split_from`).
    Split,
    /// A step of a remote diagnosis session (`{"remote": {"session": …, "step": …}}`).
    RemoteSession,
    /// A step of an on-site visit (`{"visit": {"visit": …, "step": …}}`).
    Visit,
}

impl Named for EventKind {
    const WHAT: &'static str = "event kind";
    const ALL: &'static [Self] = &[
        Self::Created,
        Self::Reply,
        Self::Note,
        Self::StatusChange,
        Self::SeverityChange,
        Self::OwnerChange,
        Self::TierChange,
        Self::FieldsChange,
        Self::Attachment,
        Self::Linked,
        Self::Unlinked,
        Self::Merged,
        Self::Split,
        Self::RemoteSession,
        Self::Visit,
    ];
    fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Reply => "reply",
            Self::Note => "note",
            Self::StatusChange => "status_change",
            Self::SeverityChange => "severity_change",
            Self::OwnerChange => "owner_change",
            Self::TierChange => "tier_change",
            Self::FieldsChange => "fields_change",
            Self::Attachment => "attachment",
            Self::Linked => "linked",
            Self::Unlinked => "unlinked",
            Self::Merged => "merged",
            Self::Split => "split",
            Self::RemoteSession => "remote_session",
            Self::Visit => "visit",
        }
    }
}

/// A file attached to a case (metadata; the content is downloaded separately).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AttachmentMeta {
    /// Id.
    pub id: AttachmentId,
    /// The timeline entry it belongs to.
    pub event_id: CaseEventId,
    /// The name the uploader gave it, made safe for display and download.
    pub file_name: String,
    /// The declared media type.
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// Public or internal, as its timeline entry.
    pub visibility: Visibility,
    /// Who uploaded it.
    pub uploaded_by: Option<NamedRef<UserId>>,
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// One entry of a case's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CaseEvent {
    /// Id, increasing in time order.
    pub id: CaseEventId,
    /// What happened.
    pub kind: EventKind,
    /// Public or internal.
    pub visibility: Visibility,
    /// Who did it; absent for the system.
    pub actor: Option<NamedRef<UserId>>,
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Text of a reply or note.
    pub body: Option<String>,
    /// For changes: `{"from": …, "to": …, "reason": …}` or the changed fields.
    #[schema(value_type = Option<Object>)]
    pub change: Option<serde_json::Value>,
    /// Files attached with this entry.
    pub attachments: Vec<AttachmentMeta>,
}

/// A reply or internal note to add.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentDraft {
    /// The text.
    pub body: LongText,
    /// `public` (default) or `internal` (staff only).
    pub visibility: Option<Visibility>,
    /// Time spent, recorded with the reply (staff only).
    #[serde(default)]
    pub work: Option<crate::work::WorkDraft>,
}
