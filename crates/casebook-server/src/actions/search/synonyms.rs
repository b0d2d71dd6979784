//! Use cases of the search synonyms: staff read the groups, admins add, change and delete them
//! (audited); every search reads them (see [`crate::search::Synonyms`]).

use casebook_domain::policy::Permission;
use casebook_domain::synonyms::{SynonymDraft, SynonymGroup, SynonymPatch};
use casebook_store::AuditEntry;
use casebook_store::search_synonyms;

use crate::actions::{ActionError, ActionResult, check_version};
use crate::app::App;
use crate::policy::{Principal, require};

/// Every group, oldest first.
pub async fn list(app: &App, who: &Principal) -> ActionResult<Vec<SynonymGroup>> {
    require(who, Permission::WorkCases)?;
    let mut db = app.store.read().await?;
    Ok(search_synonyms::all(&mut db).await?)
}

/// One group.
pub async fn get(app: &App, who: &Principal, id: i64) -> ActionResult<SynonymGroup> {
    require(who, Permission::WorkCases)?;
    let mut db = app.store.read().await?;
    search_synonyms::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("synonym group"))
}

/// Adds a group (at most [`search_synonyms::MAX_GROUPS`]).
pub async fn create(app: &App, who: &Principal, draft: SynonymDraft) -> ActionResult<SynonymGroup> {
    require(who, Permission::ManageSearch)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    if search_synonyms::count(&mut db).await? >= search_synonyms::MAX_GROUPS {
        return Err(ActionError::field(
            "words",
            "too_many",
            format!(
                "search keeps at most {} synonym groups",
                search_synonyms::MAX_GROUPS
            ),
        ));
    }
    let group = search_synonyms::insert(&mut db, &draft.words, now).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "search_synonyms.create",
        "search_synonyms",
        group.id,
        None,
        Some(&group.words),
    ));
    db.commit().await?;
    Ok(group)
}

/// Replaces the words of a group; a stale `version` is refused.
pub async fn update(
    app: &App,
    who: &Principal,
    id: i64,
    patch: SynonymPatch,
) -> ActionResult<SynonymGroup> {
    require(who, Permission::ManageSearch)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let before = search_synonyms::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("synonym group"))?;
    check_version(patch.version, before.version)?;
    // Changed by someone else between the read and the write: stale as well.
    if !search_synonyms::update(&mut db, id, before.version, &patch.words, now).await? {
        return Err(ActionError::StaleVersion);
    }
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "search_synonyms.update",
        "search_synonyms",
        id,
        Some(&before.words),
        Some(&patch.words),
    ));
    db.commit().await?;
    Ok(SynonymGroup {
        id,
        words: patch.words,
        version: before.version + 1,
        updated_at: now,
    })
}

/// Deletes a group; one that is gone already is no error (deleting is repeatable).
pub async fn delete(app: &App, who: &Principal, id: i64) -> ActionResult<()> {
    require(who, Permission::ManageSearch)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let Some(before) = search_synonyms::get(&mut db, id).await? else {
        return Ok(());
    };
    search_synonyms::delete(&mut db, id).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "search_synonyms.delete",
        "search_synonyms",
        id,
        Some(&before.words),
        None,
    ));
    db.commit().await?;
    Ok(())
}
