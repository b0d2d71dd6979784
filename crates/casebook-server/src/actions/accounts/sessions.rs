//! Signing in and out, and turning presented credentials into a principal.

use casebook_domain::ids::UserId;
use casebook_domain::text::Email;
use casebook_domain::users::User;
use casebook_store::{AuditEntry, credentials, users};
use jiff::SignedDuration;

use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::auth;
use crate::policy::{AuthVia, Principal};

/// A new sign-in session.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The user.
    pub user: User,
    /// The cookie value (secret).
    pub session_token: String,
    /// The token state-changing requests must echo in `X-CSRF-Token`.
    pub csrf_token: String,
}

fn idle(app: &App) -> SignedDuration {
    SignedDuration::from_mins(i64::from(app.config.sessions.idle_minutes))
}

/// Checks e-mail and password and opens a new session. Unknown users, wrong passwords, users
/// without a password and disabled users all get the same answer, after the same work.
/// After too many failures for one address, attempts are refused for a while (`RateLimited`).
pub async fn sign_in(app: &App, email: &str, password: &str) -> ActionResult<SignedIn> {
    // The address as it is stored (NFKC, lower case), when it is one.
    let typed = Email::parse(email);
    let email = typed.as_ref().map_or(email.trim(), Email::as_str);
    if let Some(retry_after_secs) = app.sign_in_throttle.blocked_for(email, app.clock.now()) {
        return Err(ActionError::RateLimited { retry_after_secs });
    }
    let mut db = app.store.read().await?;
    let found = users::find_for_sign_in(&mut db, email).await?;
    drop(db);
    let hash = found
        .as_ref()
        .and_then(|(_, h)| h.clone())
        .unwrap_or_else(|| auth::dummy_password_hash().to_owned());
    let password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .map_err(|e| ActionError::Internal(e.to_string()))?;
    let user = match found {
        Some((user, Some(_))) if matches && user.active => user,
        _ => {
            app.sign_in_throttle.failed(email, app.clock.now());
            return Err(ActionError::Unauthenticated);
        }
    };
    app.sign_in_throttle.succeeded(email);
    let session_token = auth::new_session_token();
    let csrf_token = auth::new_csrf_token();
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    credentials::insert_session(
        &mut db,
        user.id,
        &auth::secret_hash(&session_token),
        &csrf_token,
        now,
        now + idle(app),
    )
    .await?;
    let principal = Principal::user(&user, AuthVia::System)?;
    db.audit(AuditEntry::change::<()>(
        now,
        &principal.audit_actor(),
        "session.sign_in",
        "user",
        user.id,
        None,
        None,
    ));
    db.commit().await?;
    Ok(SignedIn {
        user,
        session_token,
        csrf_token,
    })
}

/// What signing out everywhere ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SignedOutEverywhere {
    /// Sessions ended (every browser the user was signed in with, this one included).
    pub sessions_ended: u64,
    /// API tokens revoked (only when asked for).
    pub tokens_revoked: u64,
}

/// Signs a user out everywhere: ends every session and, if `tokens`, revokes every API token.
/// For oneself, or by an administrator of users for a user they see.
pub async fn sign_out_everywhere(
    app: &App,
    who: &Principal,
    user: UserId,
    tokens: bool,
) -> ActionResult<SignedOutEverywhere> {
    if who.user_id() != Some(user) {
        crate::actions::accounts::users::ensure_manages(app, who, user).await?;
    }
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    users::get(&mut db, user)
        .await?
        .ok_or(ActionError::NotFound("user"))?;
    let ended = SignedOutEverywhere {
        sessions_ended: credentials::delete_sessions_of(&mut db, user).await?,
        tokens_revoked: if tokens {
            credentials::revoke_tokens_of(&mut db, user, now).await?
        } else {
            0
        },
    };
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "user.sign_out_everywhere",
        "user",
        user,
        None,
        Some(&ended),
    ));
    db.commit().await?;
    Ok(ended)
}

/// Ends a session.
pub async fn sign_out(app: &App, session_token: &str) -> ActionResult<()> {
    let mut db = app.store.write().await?;
    credentials::delete_session(&mut db, &auth::secret_hash(session_token)).await?;
    db.commit().await?;
    Ok(())
}

async fn active_user(app: &App, id: casebook_domain::ids::UserId) -> ActionResult<User> {
    let mut db = app.store.read().await?;
    match users::get(&mut db, id).await? {
        Some(user) if user.active => Ok(user),
        _ => Err(ActionError::Unauthenticated),
    }
}

/// The principal of a bearer token.
pub async fn authenticate_token(app: &App, secret: &str) -> ActionResult<Principal> {
    let now = app.clock.now();
    let mut db = app.store.read().await?;
    let (token, user_id, last_used) = credentials::token_user(&mut db, &auth::secret_hash(secret))
        .await?
        .ok_or(ActionError::Unauthenticated)?;
    drop(db);
    let user = active_user(app, user_id).await?;
    // Record use at most once a minute, so that reads stay reads.
    if last_used.is_none_or(|at| now.duration_since(at) > SignedDuration::from_mins(1)) {
        let mut db = app.store.write().await?;
        credentials::touch_token(&mut db, token, now).await?;
        db.commit().await?;
    }
    Principal::user(&user, AuthVia::Token)
}

/// The principal of a session cookie; extends the session while it is used.
pub async fn authenticate_session(app: &App, session_token: &str) -> ActionResult<Principal> {
    let now = app.clock.now();
    let mut db = app.store.read().await?;
    let session = credentials::find_session(&mut db, &auth::secret_hash(session_token), now)
        .await?
        .ok_or(ActionError::Unauthenticated)?;
    drop(db);
    let user = active_user(app, session.user).await?;
    if now.duration_since(session.last_seen_at) > SignedDuration::from_mins(1) {
        let mut db = app.store.write().await?;
        credentials::touch_session(&mut db, session.id, now, now + idle(app)).await?;
        db.commit().await?;
    }
    let mut principal = Principal::user(
        &user,
        AuthVia::Session {
            csrf_token: session.csrf_token,
        },
    )?;
    principal.locale = session.locale;
    Ok(principal)
}

/// Remembers the language the signed-in user chose for pages.
pub async fn set_locale(app: &App, who: &Principal, locale: Option<&str>) -> ActionResult<()> {
    let id = who.user_id().ok_or(ActionError::Unauthenticated)?;
    let mut db = app.store.write().await?;
    users::set_locale(&mut db, id, locale).await?;
    db.commit().await?;
    Ok(())
}
