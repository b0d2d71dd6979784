//! Staff's saved queue views: list, save (replacing one of the same name), delete.

use casebook_domain::policy::Permission;
use casebook_store::AuditEntry;
use casebook_store::saved_views::{self, SavedView};
use serde_json::json;

use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, require};

/// The principal's saved views.
pub async fn list(app: &App, who: &Principal) -> ActionResult<Vec<SavedView>> {
    require(who, Permission::WorkCases)?;
    let user = who.user_id().ok_or(ActionError::Unauthenticated)?;
    let mut db = app.store.read().await?;
    Ok(saved_views::of_user(&mut db, user).await?)
}

/// Saves the queue page's query under a name (1–60 characters).
pub async fn save(app: &App, who: &Principal, name: &str, query: &str) -> ActionResult<()> {
    require(who, Permission::WorkCases)?;
    let user = who.user_id().ok_or(ActionError::Unauthenticated)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(ActionError::field(
            "name",
            "invalid",
            "a view needs a name of 1 to 60 characters",
        ));
    }
    if query.len() > 2000 {
        return Err(ActionError::field(
            "query",
            "too_long",
            "the view's filters are too long",
        ));
    }
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    saved_views::save(&mut db, user, name, query, now).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "saved_view.save",
        "user",
        user,
        None,
        Some(&json!({"name": name, "query": query})),
    ));
    db.commit().await?;
    Ok(())
}

/// Deletes one of the principal's views.
pub async fn delete(app: &App, who: &Principal, id: i64) -> ActionResult<()> {
    require(who, Permission::WorkCases)?;
    let user = who.user_id().ok_or(ActionError::Unauthenticated)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    if !saved_views::delete(&mut db, user, id).await? {
        return Err(ActionError::NotFound("saved view"));
    }
    db.audit(AuditEntry::change::<()>(
        now,
        &who.audit_actor(),
        "saved_view.delete",
        "user",
        user,
        None,
        None,
    ));
    db.commit().await?;
    Ok(())
}
