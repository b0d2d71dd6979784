//! Use cases for the audit log: reading it and verifying its hash chain.

use casebook_domain::policy::Permission;
use casebook_store::audit::{self, AuditFilter, StoredAuditEntry, Verification};
use casebook_store::{Page, PageRequest};

use crate::actions::ActionResult;
use crate::app::App;
use crate::policy::{Principal, require};

/// Lists audit entries, newest first.
pub async fn list(
    app: &App,
    who: &Principal,
    filter: AuditFilter,
    page: &PageRequest,
) -> ActionResult<Page<StoredAuditEntry>> {
    require(who, Permission::ReadAudit)?;
    let mut db = app.store.read().await?;
    Ok(audit::list(&mut db, &filter, page).await?)
}

/// Verifies the whole chain.
pub async fn verify(app: &App, who: &Principal) -> ActionResult<Verification> {
    require(who, Permission::ReadAudit)?;
    let mut db = app.store.read().await?;
    Ok(audit::verify(&mut db).await?)
}
