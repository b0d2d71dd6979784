//! Use cases for user accounts.

use casebook_domain::ids::{ContactId, OrganizationId, UserId};
use casebook_domain::policy::{Permission, Role, Subject};
use casebook_domain::text::Password;
use casebook_domain::users::{User, UserDraft, UserPatch};
use casebook_store::contacts::{self, NewContact};
use casebook_store::users::{self, NewUser, UserFilter};
use casebook_store::{
    AuditEntry, Db, Page, PageRequest, Table, credentials, lock_row, organizations,
};

use crate::actions::directory::addresses::refuse_lookalike;
use crate::actions::{ActionError, ActionResult, check_version};
use crate::app::App;
use crate::auth;
use crate::policy::{Principal, ensure_visible, require};

/// Hashes a password on a blocking thread (Argon2id is deliberately slow).
pub(crate) async fn hash(password: &Password) -> ActionResult<String> {
    let password = password.expose().to_owned();
    tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| ActionError::Internal(e.to_string()))?
        .map_err(ActionError::Internal)
}

async fn contact_for(
    db: &mut Db,
    app: &App,
    draft: &UserDraft,
    org: OrganizationId,
) -> ActionResult<ContactId> {
    if let Some(id) = draft.contact_id {
        let contact = contacts::get(db, id).await?;
        return match contact {
            Some(c) if c.organization_id == org => Ok(c.id),
            _ => Err(ActionError::field(
                "contact_id",
                "not_found",
                "no such contact in this organisation",
            )),
        };
    }
    if let Some(existing) = contacts::find_by_email(db, org, draft.email.as_str()).await? {
        return Ok(existing.id);
    }
    let new = NewContact {
        organization_id: org,
        name: draft.name.as_str(),
        email: Some(draft.email.as_str()),
        phone: None,
        can_open_cases: true,
    };
    Ok(contacts::insert(db, &new, app.clock.now()).await?.id)
}

/// Creates a user. Customer users are linked to a contact of their organisation.
pub async fn create(app: &App, who: &Principal, draft: UserDraft) -> ActionResult<User> {
    require(who, Permission::ManageUsers)?;
    let password_hash = match &draft.password {
        Some(p) => Some(hash(p).await?),
        None => None,
    };
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    refuse_lookalike(&mut db, &draft.email).await?;
    let (organization_id, contact_id) = match (draft.role.is_staff(), draft.organization_id) {
        (true, None) => {
            if draft.contact_id.is_some() {
                return Err(ActionError::field(
                    "contact_id",
                    "not_allowed",
                    "staff users have no contact record",
                ));
            }
            (None, None)
        }
        (true, Some(_)) => {
            return Err(ActionError::field(
                "organization_id",
                "not_allowed",
                "staff users belong to no customer organisation",
            ));
        }
        (false, None) => {
            return Err(ActionError::field(
                "organization_id",
                "required",
                "customer users need their organisation",
            ));
        }
        (false, Some(org)) => {
            if organizations::get(&mut db, org).await?.is_none() {
                return Err(ActionError::field(
                    "organization_id",
                    "not_found",
                    "no such organisation",
                ));
            }
            (
                Some(org),
                Some(contact_for(&mut db, app, &draft, org).await?),
            )
        }
    };
    if users::find_for_sign_in(&mut db, draft.email.as_str())
        .await?
        .is_some()
    {
        return Err(ActionError::field(
            "email",
            "duplicate",
            format!("{} already has an account", draft.email),
        ));
    }
    let new = NewUser {
        email: draft.email.as_str(),
        name: draft.name.as_str(),
        role: draft.role,
        organization_id,
        contact_id,
        password_hash: password_hash.as_deref(),
    };
    let user = users::insert(&mut db, &new, now).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "user.create",
        "user",
        user.id,
        None,
        Some(&user),
    ));
    db.commit().await?;
    Ok(user)
}

/// Reads a user the principal may see.
pub async fn get(app: &App, who: &Principal, id: UserId) -> ActionResult<User> {
    let mut db = app.store.read().await?;
    let user = users::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("user"))?;
    ensure_visible(
        who,
        Subject::User {
            id,
            organization: user.organization_id,
        },
        "user",
    )?;
    Ok(user)
}

/// Finds a user by sign-in e-mail (CLI).
pub async fn find_by_email(app: &App, email: &str) -> ActionResult<User> {
    let mut db = app.store.read().await?;
    Ok(users::find_for_sign_in(&mut db, email)
        .await?
        .ok_or(ActionError::NotFound("user"))?
        .0)
}

/// Lists users: staff see everyone, a customer admin their organisation, a customer themselves.
pub async fn list(
    app: &App,
    who: &Principal,
    mut filter: UserFilter,
    page: &PageRequest,
) -> ActionResult<Page<User>> {
    if let Some(actor) = who.actor().filter(|a| !a.is_staff()) {
        filter.organization = actor.organization;
        if actor.role != Role::CustomerAdmin {
            filter.only = Some(actor.user);
        }
    }
    let mut db = app.store.read().await?;
    Ok(users::list(&mut db, &filter, page).await?)
}

/// Checks the current password of a user changing their own: a user who has one must give it
/// (a stolen session must not lock its owner out). Wrong answers count against sign-in.
async fn check_current_password(
    app: &App,
    id: UserId,
    given: Option<&Password>,
) -> ActionResult<()> {
    let mut db = app.store.read().await?;
    let user = users::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("user"))?;
    let stored = users::find_for_sign_in(&mut db, &user.email)
        .await?
        .and_then(|(_, hash)| hash);
    drop(db);
    let Some(stored) = stored else {
        return Ok(());
    };
    if let Some(retry_after_secs) = app
        .sign_in_throttle
        .blocked_for(&user.email, app.clock.now())
    {
        return Err(ActionError::RateLimited { retry_after_secs });
    }
    let Some(given) = given else {
        return Err(ActionError::field(
            "current_password",
            "required",
            "give your current password to change it",
        ));
    };
    let given = given.expose().to_owned();
    let matches = tokio::task::spawn_blocking(move || auth::verify_password(&given, &stored))
        .await
        .map_err(|e| ActionError::Internal(e.to_string()))?;
    if !matches {
        app.sign_in_throttle.failed(&user.email, app.clock.now());
        return Err(ActionError::field(
            "current_password",
            "wrong",
            "this is not your current password",
        ));
    }
    Ok(())
}

/// Refuses unless the caller administers users and sees this one (a customer administrator:
/// their organisation's); 404 for a user they may not see.
pub(crate) async fn ensure_manages(app: &App, who: &Principal, id: UserId) -> ActionResult<()> {
    let mut db = app.store.read().await?;
    let target = users::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("user"))?;
    drop(db);
    ensure_visible(
        who,
        Subject::User {
            id,
            organization: target.organization_id,
        },
        "user",
    )?;
    require(who, Permission::ManageUsers)
}

/// Changes a user. Admins change anything; users change their own name and password (giving
/// the current one). A new password ends every session of the user; `revoke_tokens` also
/// revokes their API tokens.
pub async fn update(
    app: &App,
    who: &Principal,
    id: UserId,
    patch: UserPatch,
) -> ActionResult<User> {
    let is_self = who.user_id() == Some(id);
    let admin_only = patch.role.is_some()
        || patch.active.is_some()
        || patch.contact_id.is_some()
        || patch.leads_tier.is_some()
        || patch.duty_manager.is_some()
        || patch.team.is_some();
    if !is_self || admin_only {
        ensure_manages(app, who, id).await?;
    }
    if patch.current_password.is_some() && patch.password.is_none() {
        return Err(ActionError::field(
            "current_password",
            "requires_password",
            "the current password goes with a new password",
        ));
    }
    if is_self && patch.password.is_some() {
        check_current_password(app, id, patch.current_password.as_ref()).await?;
    }
    let revoke_tokens = patch.revoke_tokens == Some(true);
    let password_hash = match &patch.password {
        Some(p) => Some(hash(p).await?),
        None => None,
    };
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    lock_row(&mut db, Table::Users, id.get()).await?;
    let before = users::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("user"))?;
    check_version(patch.version, before.version)?;
    let mut after = before.clone();
    if let Some(name) = patch.name {
        after.name = name.into();
    }
    if let Some(role) = patch.role {
        if role.is_staff() != before.role.is_staff() {
            return Err(ActionError::field(
                "role",
                "invalid",
                "a staff user cannot become a customer user or the other way round",
            ));
        }
        after.role = role;
    }
    if let Some(active) = patch.active {
        after.active = active;
    }
    let staff_only = if patch.duty_manager == Some(true) {
        Some("duty_manager")
    } else if patch.leads_tier.as_ref().is_some_and(Option::is_some) {
        Some("leads_tier")
    } else if patch.team.as_ref().is_some_and(Option::is_some) {
        Some("team")
    } else {
        None
    };
    if let Some(field) = staff_only.filter(|_| !before.role.is_staff()) {
        return Err(ActionError::field(
            field,
            "not_allowed",
            "only support staff lead a tier, manage duty or work in a team",
        ));
    }
    if let Some(tier) = patch.leads_tier {
        after.leads_tier = tier;
    }
    if let Some(duty) = patch.duty_manager {
        after.duty_manager = duty;
    }
    if let Some(team) = patch.team {
        after.team = team.map(String::from);
    }
    if let Some(contact) = patch.contact_id {
        match (contact, before.organization_id) {
            (None, _) => after.contact_id = None,
            (Some(_), None) => {
                return Err(ActionError::field(
                    "contact_id",
                    "not_allowed",
                    "staff users have no contact record",
                ));
            }
            (Some(c), Some(org)) => match contacts::get(&mut db, c).await? {
                Some(found) if found.organization_id == org => after.contact_id = Some(c),
                _ => {
                    return Err(ActionError::field(
                        "contact_id",
                        "not_found",
                        "no such contact in this organisation",
                    ));
                }
            },
        }
    }
    if after == before && password_hash.is_none() && !revoke_tokens {
        return Ok(before);
    }
    let saved = users::update(&mut db, &after, password_hash.as_deref(), now).await?;
    if password_hash.is_some() || !saved.active {
        credentials::delete_sessions_of(&mut db, id).await?;
    }
    if revoke_tokens {
        let revoked = credentials::revoke_tokens_of(&mut db, id, now).await?;
        db.audit(AuditEntry::change(
            now,
            &who.audit_actor(),
            "user.revoke_tokens",
            "user",
            id,
            None,
            Some(&serde_json::json!({"tokens_revoked": revoked})),
        ));
    }
    let action = if password_hash.is_some() && after == before {
        "user.password_change"
    } else {
        "user.update"
    };
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        action,
        "user",
        id,
        Some(&before),
        Some(&saved),
    ));
    db.commit().await?;
    Ok(saved)
}
