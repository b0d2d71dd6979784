//! The remote-access policy (远程访问策略) of an organisation and of its sites: `deny`, `ask`
//! (the default) or `allow`. Staff read it; only the desk's administrators and the
//! organisation's own customer administrators change it, and every change is audited.

use casebook_domain::Role;
use casebook_domain::field::remote::AccessPolicy;
use casebook_domain::ids::{OrganizationId, SiteId};
use casebook_domain::policy::Subject;
use casebook_store::remote_sessions as store;
use casebook_store::{AuditEntry, Db};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, ensure_visible};

/// A site's own policy.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SitePolicy {
    /// The site.
    #[schema(value_type = i64)]
    pub site_id: SiteId,
    /// Its name.
    pub name: String,
    /// Its policy, which overrides the organisation's for sessions on its units.
    pub policy: AccessPolicy,
}

/// An organisation's remote-access policy and the sites with their own.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RemoteAccess {
    /// The organisation.
    #[schema(value_type = i64)]
    pub organization_id: OrganizationId,
    /// Its policy.
    pub policy: AccessPolicy,
    /// Sites with a policy of their own.
    pub sites: Vec<SitePolicy>,
}

/// A change of policy.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyChange {
    /// The new policy; for a site, `null` returns it to the organisation's.
    pub policy: Option<AccessPolicy>,
}

/// The policy of an organisation the principal may see.
pub async fn get(app: &App, who: &Principal, org: OrganizationId) -> ActionResult<RemoteAccess> {
    ensure_visible(who, Subject::Organization(org), "organization")?;
    let mut db = app.store.read().await?;
    read(&mut db, org).await
}

async fn read(db: &mut Db, org: OrganizationId) -> ActionResult<RemoteAccess> {
    let policy = store::org_policy(db, org)
        .await?
        .ok_or(ActionError::NotFound("organization"))?;
    let sites = store::site_policies_of(db, org)
        .await?
        .into_iter()
        .map(|(site_id, name, policy)| SitePolicy {
            site_id,
            name,
            policy,
        })
        .collect();
    Ok(RemoteAccess {
        organization_id: org,
        policy,
        sites,
    })
}

/// Whether the principal may change the policy of `org`: the system, a desk administrator, or
/// a customer administrator of that organisation.
fn may_change(who: &Principal, org: OrganizationId) -> ActionResult<()> {
    match who.actor() {
        None => Ok(()),
        Some(a) if a.role == Role::Admin => Ok(()),
        Some(a) if a.role == Role::CustomerAdmin && a.organization == Some(org) => Ok(()),
        Some(_) => Err(ActionError::Forbidden(
            "only administrators (the desk's or the customer's own) can change the remote-access policy",
        )),
    }
}

/// Sets an organisation's policy.
pub async fn set(
    app: &App,
    who: &Principal,
    org: OrganizationId,
    change: PolicyChange,
) -> ActionResult<RemoteAccess> {
    ensure_visible(who, Subject::Organization(org), "organization")?;
    may_change(who, org)?;
    let Some(policy) = change.policy else {
        return Err(ActionError::field(
            "policy",
            "required",
            "an organisation's policy is deny, ask or allow",
        ));
    };
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let before = store::org_policy(&mut db, org)
        .await?
        .ok_or(ActionError::NotFound("organization"))?;
    store::set_org_policy(&mut db, org, policy, now).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "remote.policy.set",
        "organization",
        org,
        Some(&before),
        Some(&policy),
    ));
    let done = read(&mut db, org).await?;
    db.commit().await?;
    Ok(done)
}

/// Sets or clears a site's own policy.
pub async fn set_site(
    app: &App,
    who: &Principal,
    site: SiteId,
    change: PolicyChange,
) -> ActionResult<RemoteAccess> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let (org, before) = store::site_policy(&mut db, site)
        .await?
        .ok_or(ActionError::NotFound("site"))?;
    ensure_visible(who, Subject::Organization(org), "site")?;
    may_change(who, org)?;
    store::set_site_policy(&mut db, site, change.policy, now).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "remote.policy.set",
        "site",
        site,
        Some(&before),
        Some(&change.policy),
    ));
    let done = read(&mut db, org).await?;
    db.commit().await?;
    Ok(done)
}
