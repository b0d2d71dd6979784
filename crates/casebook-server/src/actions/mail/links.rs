//! The accept and reject links in a "solution proposed" mail. A link works without a password
//! for the customer user it was sent to, for 30 days, and only for its case: following it shows
//! what it will do; confirming it answers as that user (so a mail scanner that fetches links
//! changes nothing). The answer then goes through `cases::update` like the portal's buttons.

use casebook_domain::Status;
use casebook_domain::case::{Case, CasePatch};
use casebook_store::users;
use serde_json::json;

use crate::actions::notify::tokens::{self, Link, LinkAction, LinkError};
use crate::actions::{ActionError, ActionResult, cases};
use crate::app::App;
use crate::policy::{AuthVia, Principal};

/// A link that may be used now, with its case and user.
#[derive(Debug, Clone)]
pub struct ValidLink {
    /// What it says.
    pub link: Link,
    /// The case as its user sees it.
    pub case: Case,
    /// The user it acts as.
    pub who: Principal,
}

/// Checks a link: its signature, its age, that its user is active and may still see the case.
pub async fn check(app: &App, token: &str) -> ActionResult<ValidLink> {
    let key = tokens::signing_key(app).await?;
    let mut db = app.store.read().await?;
    let link = match tokens::read_link(&key, token, app.clock.now()) {
        Ok(link) => link,
        Err(LinkError::Invalid) => return Err(ActionError::NotFound("link")),
        Err(LinkError::Expired) => {
            return Err(ActionError::Conflict {
                code: "link_expired",
                message: "this link has expired; sign in to answer on the case page".into(),
            });
        }
    };
    let user = users::get(&mut db, link.user)
        .await?
        .filter(|u| u.active)
        .ok_or(ActionError::NotFound("link"))?;
    drop(db);
    let who = Principal::user(&user, AuthVia::Mail)?;
    let case = cases::get(app, &who, link.case).await?;
    let mut db = app.store.read().await?;
    let latest = casebook_store::timeline::latest_status_change(&mut db, case.id).await?;
    if case.status == Status::SolutionProposed && latest != Some(link.proposal) {
        return Err(ActionError::Conflict {
            code: "link_superseded",
            message: format!(
                "this link answers an earlier proposed solution of case {}; use the link of the latest mail",
                case.number
            ),
        });
    }
    Ok(ValidLink { link, case, who })
}

/// Answers the proposed solution as the link says; refused when the case no longer waits for
/// that answer (already answered, closed, or changed since).
pub async fn answer(app: &App, token: &str, reason: Option<&str>) -> ActionResult<Case> {
    let valid = check(app, token).await?;
    if valid.case.status != Status::SolutionProposed {
        return Err(ActionError::Conflict {
            code: "already_answered",
            message: format!(
                "case {} is {} now; there is no proposed solution to answer",
                valid.case.number, valid.case.status
            ),
        });
    }
    let status = match valid.link.action {
        LinkAction::Accept => Status::Closed,
        LinkAction::Reject => Status::InProgress,
    };
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let patch: CasePatch = serde_json::from_value(json!({
        "status": status, "reason": reason, "version": valid.case.version,
    }))
    .map_err(|e| ActionError::field("reason", "invalid", e.to_string()))?;
    cases::update(app, &valid.who, valid.case.number, patch, None).await
}
