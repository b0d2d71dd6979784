//! Use cases for a user's in-app notifications: list them and mark them read.

use casebook_store::notifications::{self, Notification};
use casebook_store::{Page, PageRequest};

use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::Principal;

/// The signed-in user's notifications, newest first.
pub async fn list(
    app: &App,
    who: &Principal,
    unread_only: bool,
    page: &PageRequest,
) -> ActionResult<Page<Notification>> {
    let user = who.user_id().ok_or(ActionError::Unauthenticated)?;
    let mut db = app.store.read().await?;
    Ok(notifications::list(&mut db, user, unread_only, page).await?)
}

/// Which notifications to mark read.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    /// These ids (at most 200); ids that are not yours are ignored.
    #[serde(default)]
    pub ids: Vec<i64>,
    /// All of yours instead.
    #[serde(default)]
    pub all: bool,
}

/// How many were marked.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Marked {
    /// Notifications that changed from unread to read.
    pub marked: u64,
}

/// Marks the signed-in user's notifications read.
pub async fn mark_read(app: &App, who: &Principal, request: MarkRead) -> ActionResult<Marked> {
    let user = who.user_id().ok_or(ActionError::Unauthenticated)?;
    if request.ids.len() > 200 {
        return Err(ActionError::field(
            "ids",
            "too_many",
            "at most 200 ids at once",
        ));
    }
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let ids = (!request.all).then_some(request.ids.as_slice());
    let marked = notifications::mark_read(&mut db, user, ids, now).await?;
    db.commit().await?;
    Ok(Marked { marked })
}
