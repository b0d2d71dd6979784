//! What staff see of the mail channel: the quarantine (staff) and deliveries that failed
//! (administrators). Releasing quarantined mail into a case is still to come (issue 6).

use casebook_domain::policy::Permission;
use casebook_store::mail::{self, Quarantined};
use casebook_store::notifications;

use super::ActionResult;
use crate::app::App;
use crate::policy::{Principal, require};

/// The newest quarantined messages (staff).
pub async fn quarantine(app: &App, who: &Principal, limit: i64) -> ActionResult<Vec<Quarantined>> {
    require(who, Permission::WorkCases)?;
    let mut db = app.store.read().await?;
    Ok(mail::quarantined(&mut db, limit.clamp(1, 200)).await?)
}

/// A queued message whose delivery failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedDelivery {
    /// Outbox id.
    pub id: i64,
    /// Recipient.
    pub recipient: String,
    /// Subject.
    pub subject: String,
    /// Attempts so far.
    pub attempts: i64,
    /// The last error.
    pub error: String,
}

/// Messages whose delivery failed and that are not sent yet, newest first (administrators).
pub async fn failed_deliveries(
    app: &App,
    who: &Principal,
    limit: i64,
) -> ActionResult<Vec<FailedDelivery>> {
    require(who, Permission::ManageUsers)?;
    let mut db = app.store.read().await?;
    Ok(notifications::failed_mail(&mut db, limit.clamp(1, 200))
        .await?
        .into_iter()
        .map(|(id, recipient, subject, attempts, error)| FailedDelivery {
            id,
            recipient,
            subject,
            attempts,
            error,
        })
        .collect())
}
