//! Use cases of canned replies and macros: staff list the desk's shared templates and their own,
//! write personal ones, and managers and admins write shared ones (audited). A template's texts
//! must render (the placeholders of `render.rs`) before it is saved. `apply.rs` posts a
//! template on a case and makes a macro's changes.

pub mod apply;
pub mod render;

use casebook_domain::policy::Visibility;
use casebook_domain::policy::{Permission, Role};
use casebook_domain::replies::{ReplyTemplate, ReplyTemplateDraft, ReplyTemplatePatch};
use casebook_store::{AuditEntry, reply_templates};

use crate::actions::{ActionError, ActionResult, check_version};
use crate::app::App;
use crate::policy::{Principal, require};

/// Most personal templates of one engineer.
pub const MAX_PERSONAL: i64 = 200;
/// Most shared templates.
pub const MAX_SHARED: i64 = 300;

/// Whether `who` may write shared templates (managers and admins).
fn may_share(who: &Principal) -> bool {
    who.actor()
        .is_none_or(|a| matches!(a.role, Role::Manager | Role::Admin))
}

/// Whether `who` may see `t`: shared, or their own.
fn sees(who: &Principal, t: &ReplyTemplate) -> bool {
    t.owner_id.is_none() || t.owner_id == who.user_id()
}

/// Whether `who` may change `t`: their own, or a shared one when they may share.
fn may_edit(who: &Principal, t: &ReplyTemplate) -> bool {
    match t.owner_id {
        None => may_share(who),
        Some(owner) => who.user_id() == Some(owner),
    }
}

/// The shared templates and the principal's own, by name.
pub async fn list(app: &App, who: &Principal) -> ActionResult<Vec<ReplyTemplate>> {
    require(who, Permission::WorkCases)?;
    let user = who.user_id().ok_or(ActionError::Unauthenticated)?;
    let mut db = app.store.read().await?;
    Ok(reply_templates::seen_by(&mut db, user).await?)
}

/// One template the principal may see.
pub async fn get(app: &App, who: &Principal, id: i64) -> ActionResult<ReplyTemplate> {
    require(who, Permission::WorkCases)?;
    let mut db = app.store.read().await?;
    reply_templates::get(&mut db, id)
        .await?
        .filter(|t| sees(who, t))
        .ok_or(ActionError::NotFound("reply template"))
}

/// Refuses a template without text or whose texts do not render.
fn check_texts(t: &ReplyTemplate) -> ActionResult<()> {
    if t.body_zh.is_empty() && t.body_en.is_empty() {
        return Err(ActionError::field(
            "body_zh",
            "required",
            "a template needs a text in at least one language",
        ));
    }
    for (field, text) in [("body_zh", &t.body_zh), ("body_en", &t.body_en)] {
        render::check(text.as_str())
            .map_err(|e| ActionError::field(field, "invalid_template", e))?;
    }
    Ok(())
}

/// Writes a template: personal, or shared (`shared`, managers and admins).
pub async fn create(
    app: &App,
    who: &Principal,
    draft: ReplyTemplateDraft,
) -> ActionResult<ReplyTemplate> {
    require(who, Permission::WorkCases)?;
    let user = who.user_id().ok_or(ActionError::Unauthenticated)?;
    if draft.shared && !may_share(who) {
        return Err(ActionError::Forbidden(
            "only managers and admins write shared templates",
        ));
    }
    let now = app.clock.now();
    let mut template = ReplyTemplate {
        id: 0,
        name: draft.name,
        owner_id: (!draft.shared).then_some(user),
        visibility: draft.visibility.unwrap_or(Visibility::Public),
        body_zh: draft.body_zh,
        body_en: draft.body_en,
        changes: draft.changes,
        version: 1,
        updated_at: now,
    };
    check_texts(&template)?;
    let mut db = app.store.write().await?;
    let (count, max) = match template.owner_id {
        Some(owner) => (
            reply_templates::count_of(&mut db, Some(owner)).await?,
            MAX_PERSONAL,
        ),
        None => (reply_templates::count_of(&mut db, None).await?, MAX_SHARED),
    };
    if count >= max {
        return Err(ActionError::field(
            "name",
            "too_many",
            format!("at most {max} templates of this kind"),
        ));
    }
    template.id = reply_templates::insert(&mut db, &template, now).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "reply_template.create",
        "reply_template",
        template.id,
        None,
        Some(&template),
    ));
    db.commit().await?;
    Ok(template)
}

/// Changes a template the principal may edit; a stale `version` is refused.
pub async fn update(
    app: &App,
    who: &Principal,
    id: i64,
    patch: ReplyTemplatePatch,
) -> ActionResult<ReplyTemplate> {
    require(who, Permission::WorkCases)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let before = reply_templates::get(&mut db, id)
        .await?
        .filter(|t| sees(who, t))
        .ok_or(ActionError::NotFound("reply template"))?;
    if !may_edit(who, &before) {
        return Err(ActionError::Forbidden(
            "only managers and admins change shared templates",
        ));
    }
    check_version(patch.version, before.version)?;
    let mut after = before.clone();
    if let Some(name) = patch.name {
        after.name = name;
    }
    if let Some(visibility) = patch.visibility {
        after.visibility = visibility;
    }
    if let Some(body) = patch.body_zh {
        after.body_zh = body;
    }
    if let Some(body) = patch.body_en {
        after.body_en = body;
    }
    if let Some(changes) = patch.changes {
        after.changes = changes;
    }
    check_texts(&after)?;
    if !reply_templates::update(&mut db, &after, now).await? {
        return Err(ActionError::StaleVersion);
    }
    after.version += 1;
    after.updated_at = now;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "reply_template.update",
        "reply_template",
        id,
        Some(&before),
        Some(&after),
    ));
    db.commit().await?;
    Ok(after)
}

/// Deletes a template the principal may edit; one that is gone (or is someone else's own,
/// which does not exist for them) is no error: deleting is repeatable.
pub async fn delete(app: &App, who: &Principal, id: i64) -> ActionResult<()> {
    require(who, Permission::WorkCases)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let Some(before) = reply_templates::get(&mut db, id)
        .await?
        .filter(|t| sees(who, t))
    else {
        return Ok(());
    };
    if !may_edit(who, &before) {
        return Err(ActionError::Forbidden(
            "only managers and admins delete shared templates",
        ));
    }
    reply_templates::delete(&mut db, id).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "reply_template.delete",
        "reply_template",
        id,
        Some(&before),
        None,
    ));
    db.commit().await?;
    Ok(())
}
