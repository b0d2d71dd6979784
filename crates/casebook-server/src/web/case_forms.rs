//! The forms of the case page that change the case, each a [`CaseForm`] routed to
//! `case_page::change`: on the console the change of status, severity, owner and tier, the
//! escalation with a reason and the entitlement override or re-check; on the portal the
//! customer's status change (accepting or rejecting a proposed solution, reopening,
//! cancelling). A refused change shows the case again with the reason typed.

use casebook_domain::CaseNumber;
use serde::Deserialize;
use serde_json::json;

use crate::actions::{ActionError, ActionResult as Res, cases, cases::entitlement};
use crate::app::AppState;
use crate::web::case_page::{self, CaseForm, reason};
use crate::web::forms::{Typed, opt, parse};
use crate::web::session::Viewer;

#[derive(Deserialize)]
pub struct ChangeForm {
    version: Option<i64>,
    status: Option<String>,
    severity: Option<String>,
    owner: Option<String>,
    tier: Option<String>,
    reason: Option<String>,
}

/// `POST /console/cases/{number}/change`: status, severity, owner and tier in one form; only
/// what differs from the case is sent to the action.
impl CaseForm for ChangeForm {
    const ACTION: &'static str = "change";

    fn typed(&self) -> Typed {
        reason(self.reason.clone().unwrap_or_default())
    }

    async fn apply(self, app: &AppState, viewer: &Viewer, number: CaseNumber) -> Res<()> {
        let case = cases::get(app, &viewer.who, number).await?;
        let mut patch = serde_json::Map::new();
        patch.insert("version".into(), json!(self.version));
        if let Some(status) = self
            .status
            .as_deref()
            .filter(|s| !s.is_empty() && *s != case.status.to_string())
        {
            patch.insert("status".into(), json!(status));
        }
        if let Some(sev) = self
            .severity
            .as_deref()
            .and_then(|s| s.parse::<u8>().ok())
            .filter(|s| *s != case.severity.level())
        {
            patch.insert("severity".into(), json!(sev));
        }
        let owner_now = case
            .owner
            .as_ref()
            .map(|o| o.id.get().to_string())
            .unwrap_or_default();
        if let Some(owner) = self.owner.as_deref().filter(|o| *o != owner_now) {
            patch.insert(
                "owner_id".into(),
                opt(Some(owner))
                    .as_str()
                    .map_or(json!(null), |o| json!(o.parse::<i64>().unwrap_or(0))),
            );
        }
        let tier_now = case.tier.map(|t| t.to_string()).unwrap_or_default();
        if let Some(tier) = self
            .tier
            .as_deref()
            .filter(|t| !t.is_empty() && *t != tier_now)
        {
            patch.insert("tier".into(), json!(tier));
        }
        patch.insert("reason".into(), opt(self.reason.as_deref()));
        case_page::update(app, viewer, number, serde_json::Value::Object(patch)).await
    }
}

#[derive(Deserialize)]
pub struct EscalateForm {
    version: Option<i64>,
    tier: String,
    #[serde(default)]
    reason: String,
}

/// `POST /console/cases/{number}/escalate`: moves the case to L2 or engineering; a reason is
/// required and goes onto the timeline with the change.
impl CaseForm for EscalateForm {
    const ACTION: &'static str = "escalate";

    fn typed(&self) -> Typed {
        reason(&self.reason)
    }

    async fn apply(self, app: &AppState, viewer: &Viewer, number: CaseNumber) -> Res<()> {
        if self.reason.trim().is_empty() {
            Err(ActionError::field(
                "reason",
                "required",
                viewer.ctx.t("escalate-reason-required"),
            ))
        } else if !matches!(self.tier.as_str(), "l2" | "engineering") {
            Err(ActionError::field(
                "tier",
                "invalid",
                "escalate to l2 or engineering",
            ))
        } else {
            let patch =
                json!({"version": self.version, "tier": self.tier, "reason": self.reason.trim()});
            case_page::update(app, viewer, number, patch).await
        }
    }
}

#[derive(Deserialize)]
pub struct EntitlementForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    contract_number: String,
    #[serde(default)]
    plan: String,
}

/// `POST /console/cases/{number}/entitlement`: a coordinator overrides a refused entitlement
/// with a reason (optionally naming the contract and plan), or re-checks it after a renewal.
impl CaseForm for EntitlementForm {
    const ACTION: &'static str = "entitlement";

    async fn apply(self, app: &AppState, viewer: &Viewer, number: CaseNumber) -> Res<()> {
        if self.action == "recheck" {
            entitlement::recheck_case(app, &viewer.who, number)
                .await
                .map(|_| ())
        } else {
            let input = json!({
                "reason": self.reason,
                "contract_number": opt(Some(&self.contract_number)),
                "plan": opt(Some(&self.plan)),
            });
            match parse::<entitlement::OverrideInput>(input) {
                Ok(input) => entitlement::override_case(app, &viewer.who, number, input)
                    .await
                    .map(|_| ()),
                Err(err) => Err(err),
            }
        }
    }

    fn typed(&self) -> Typed {
        reason(&self.reason)
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    version: Option<i64>,
    status: String,
    reason: Option<String>,
}

/// `POST /portal/cases/{number}/status`: accept (closed) or reject (in progress) a proposed
/// solution, reopen or cancel, as the lifecycle allows the customer.
impl CaseForm for StatusForm {
    const ACTION: &'static str = "status";

    async fn apply(self, app: &AppState, viewer: &Viewer, number: CaseNumber) -> Res<()> {
        let reason = opt(self.reason.as_deref());
        let patch = json!({"version": self.version, "status": self.status, "reason": reason});
        case_page::update(app, viewer, number, patch).await
    }

    fn typed(&self) -> Typed {
        reason(self.reason.clone().unwrap_or_default())
    }
}
