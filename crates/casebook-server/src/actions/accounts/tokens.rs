//! Use cases for API tokens: created for a user, shown once, revocable.

use casebook_domain::ids::{ApiTokenId, UserId};
use casebook_domain::policy::{Permission, Subject};
use casebook_domain::users::ApiToken;
use casebook_store::{AuditEntry, credentials, users};

use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::auth;
use crate::policy::{Principal, ensure_visible, require};

/// A token just created, with its secret (shown this once).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    /// The token's record.
    #[serde(flatten)]
    pub token: ApiToken,
    /// The secret to send as `Authorization: Bearer …`; it cannot be shown again.
    pub secret: String,
}

/// Creates a token for `user`: for oneself, or for anyone by an administrator or the system.
pub async fn create(
    app: &App,
    who: &Principal,
    user: UserId,
    label: &str,
) -> ActionResult<IssuedToken> {
    if who.user_id() != Some(user) {
        require(who, Permission::ManageUsers)?;
    }
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 200 {
        return Err(ActionError::field(
            "label",
            "invalid",
            "a label of 1 to 200 characters says what the token is for",
        ));
    }
    let secret = auth::new_api_token();
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let owner = users::get(&mut db, user)
        .await?
        .ok_or(ActionError::NotFound("user"))?;
    if !owner.active {
        return Err(ActionError::Conflict {
            code: "user_inactive",
            message: format!("{} may not sign in", owner.email),
        });
    }
    let token =
        credentials::insert_token(&mut db, user, label, &auth::secret_hash(&secret), now).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "token.create",
        "api_token",
        token.id,
        None,
        Some(&token),
    ));
    db.commit().await?;
    Ok(IssuedToken { token, secret })
}

/// The principal's own tokens.
pub async fn list_own(app: &App, who: &Principal) -> ActionResult<Vec<ApiToken>> {
    let Some(user) = who.user_id() else {
        return Ok(Vec::new());
    };
    let mut db = app.store.read().await?;
    Ok(credentials::list_tokens(&mut db, user).await?)
}

/// Revokes a token: one's own, or any by an administrator.
pub async fn revoke(app: &App, who: &Principal, id: ApiTokenId) -> ActionResult<()> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let before = credentials::get_token(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("token"))?;
    if who.user_id() != Some(before.user_id) {
        let owner = users::get(&mut db, before.user_id)
            .await?
            .ok_or(ActionError::NotFound("token"))?;
        ensure_visible(
            who,
            Subject::User {
                id: owner.id,
                organization: owner.organization_id,
            },
            "token",
        )?;
        require(who, Permission::ManageUsers)?;
    }
    credentials::revoke_token(&mut db, id, now).await?;
    let after = credentials::get_token(&mut db, id).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "token.revoke",
        "api_token",
        id,
        Some(&before),
        after.as_ref(),
    ));
    db.commit().await?;
    Ok(())
}
