//! Bulk actions on cases (staff): one change — assign to an engineer, a status, tier or
//! severity with a reason, or an internal note — applied to several cases, each through the
//! same use case as a single change and in its own transaction, so one case refused (changed
//! since it was read, a move the lifecycle forbids) leaves the others changed. The request is
//! checked as a whole first: a bad change or item list changes nothing.

use casebook_domain::case::CasePatch;
use casebook_domain::ids::UserId;
use casebook_domain::policy::{Permission, Visibility};
use casebook_domain::text::{LongText, Notes};
use casebook_domain::timeline::CommentDraft;
use casebook_domain::{CaseNumber, Severity, Status, Tier};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actions::{ActionError, ActionResult, check_version};
use crate::app::App;
use crate::policy::{Principal, require};

use super::{comments, get, update};

/// The most cases one bulk action may name.
pub const MAX_ITEMS: usize = 100;

/// A case to change, with the version it was seen at.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkItem {
    /// The case number.
    #[schema(value_type = String, example = "2026-00042")]
    pub number: CaseNumber,
    /// The version the caller saw; a case changed since is refused (`version_conflict`).
    pub version: i64,
}

/// The change applied to every case.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum BulkChange {
    /// Make an engineer the owner.
    Assign {
        /// The engineer.
        #[schema(value_type = i64)]
        owner_id: UserId,
    },
    /// Move to a status the lifecycle allows.
    Status {
        /// The new status.
        status: Status,
        /// Why (required).
        #[schema(value_type = String)]
        reason: Notes,
    },
    /// Escalate or de-escalate.
    Tier {
        /// The new tier.
        tier: Tier,
        /// Why (required).
        #[schema(value_type = String)]
        reason: Notes,
    },
    /// Change the severity.
    Severity {
        /// The new severity, 1–4.
        severity: Severity,
        /// Why (required).
        #[schema(value_type = String)]
        reason: Notes,
    },
    /// Add an internal note.
    Note {
        /// The note.
        #[schema(value_type = String)]
        body: LongText,
    },
}

/// A bulk action: one change for several cases.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// What to do.
    pub change: BulkChange,
    /// The cases, 1–100, each once.
    pub items: Vec<BulkItem>,
}

/// What happened to one case.
#[derive(Debug)]
pub struct BulkOutcome {
    /// The case.
    pub number: CaseNumber,
    /// Its version after the change, or why it was refused.
    pub result: Result<i64, ActionError>,
}

/// Applies a bulk action: checks the request, then changes each case in its own transaction,
/// in the order given, and says per case what happened.
pub async fn apply(
    app: &App,
    who: &Principal,
    request: BulkRequest,
) -> ActionResult<Vec<BulkOutcome>> {
    require(who, Permission::WorkCases)?;
    check(&request)?;
    let mut outcomes = Vec::with_capacity(request.items.len());
    for item in request.items {
        let result = apply_one(app, who, &request.change, &item).await;
        if let Err(ActionError::Internal(detail)) = &result {
            tracing::error!(%detail, case = %item.number, "bulk change failed");
        }
        outcomes.push(BulkOutcome {
            number: item.number,
            result,
        });
    }
    Ok(outcomes)
}

fn check(request: &BulkRequest) -> ActionResult<()> {
    if request.items.is_empty() {
        return Err(ActionError::field(
            "items",
            "required",
            "choose at least one case",
        ));
    }
    if request.items.len() > MAX_ITEMS {
        return Err(ActionError::field(
            "items",
            "too_many",
            format!(
                "at most {MAX_ITEMS} cases at a time; {} were sent",
                request.items.len()
            ),
        ));
    }
    for (i, item) in request.items.iter().enumerate() {
        if request.items[..i].iter().any(|o| o.number == item.number) {
            return Err(ActionError::field(
                "items",
                "duplicate",
                format!("case {} is named twice", item.number),
            ));
        }
    }
    match &request.change {
        BulkChange::Status { reason, .. }
        | BulkChange::Tier { reason, .. }
        | BulkChange::Severity { reason, .. }
            if reason.is_empty() =>
        {
            Err(ActionError::field(
                "reason",
                "required",
                "say why: the reason is written on each case's timeline",
            ))
        }
        BulkChange::Note { body } if body.is_empty() => {
            Err(ActionError::field("body", "required", "the note is empty"))
        }
        _ => Ok(()),
    }
}

async fn apply_one(
    app: &App,
    who: &Principal,
    change: &BulkChange,
    item: &BulkItem,
) -> ActionResult<i64> {
    let patch = |patch: CasePatch| CasePatch {
        version: Some(item.version),
        ..patch
    };
    let patch = match change {
        BulkChange::Assign { owner_id } => patch(CasePatch {
            owner_id: Some(Some(*owner_id)),
            ..CasePatch::default()
        }),
        BulkChange::Status { status, reason } => patch(CasePatch {
            status: Some(*status),
            reason: Some(reason.clone()),
            ..CasePatch::default()
        }),
        BulkChange::Tier { tier, reason } => patch(CasePatch {
            tier: Some(*tier),
            reason: Some(reason.clone()),
            ..CasePatch::default()
        }),
        BulkChange::Severity { severity, reason } => patch(CasePatch {
            severity: Some(*severity),
            reason: Some(reason.clone()),
            ..CasePatch::default()
        }),
        BulkChange::Note { body } => {
            // A note does not change the case's version; the version seen is still checked,
            // so that a note is not added to a case that changed under the reader.
            let case = get(app, who, item.number).await?;
            check_version(Some(item.version), case.version)?;
            let draft = CommentDraft {
                body: body.clone(),
                visibility: Some(Visibility::Internal),
                work: None,
            };
            comments::add(app, who, item.number, draft, Vec::new()).await?;
            return Ok(case.version);
        }
    };
    Ok(update(app, who, item.number, patch, None).await?.version)
}

/// A case's result as the API answers it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkItemResult {
    /// The case.
    #[schema(value_type = String, example = "2026-00042")]
    pub number: CaseNumber,
    /// Whether it was changed.
    pub ok: bool,
    /// Its version after the change (when `ok`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// Why it was refused (when not `ok`): the code and message a single change would answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<BulkItemError>,
}

/// Why one case was refused.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkItemError {
    /// Stable code, as in the error body (`version_conflict`, `transition_not_allowed`, …).
    pub code: String,
    /// For a person.
    pub message: String,
}

impl From<BulkOutcome> for BulkItemResult {
    fn from(outcome: BulkOutcome) -> Self {
        match outcome.result {
            Ok(version) => BulkItemResult {
                number: outcome.number,
                ok: true,
                version: Some(version),
                error: None,
            },
            Err(err) => BulkItemResult {
                number: outcome.number,
                ok: false,
                version: None,
                error: Some(BulkItemError {
                    code: err.code().to_owned(),
                    message: match err {
                        ActionError::Internal(_) | ActionError::Unavailable(_) => {
                            "the case could not be changed now; try again".to_owned()
                        }
                        err => err.to_string(),
                    },
                }),
            },
        }
    }
}
