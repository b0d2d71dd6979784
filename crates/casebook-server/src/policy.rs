//! The one place where requests meet the domain's access rules (`casebook_domain::policy`).
//! Every action asks here before it reads or changes anything, whatever channel it came from.

use casebook_domain::ids::UserId;
use casebook_domain::lifecycle::Party;
use casebook_domain::policy::{Actor, CaseScope, Permission, Subject};
use casebook_domain::users::User;
use casebook_store::AuditActor;
use casebook_store::timeline::Audience;

use crate::error::ActionError;

/// How a request proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthVia {
    /// A bearer API token.
    Token,
    /// A session cookie; state changes must echo its CSRF token.
    Session {
        /// The session's CSRF token.
        csrf_token: String,
    },
    /// The system itself: CLI commands, the demo loader, jobs.
    System,
    /// An e-mail from the user's address (the mail channel).
    Mail,
}

/// Who is acting, as far as the server knows.
#[derive(Debug, Clone)]
pub struct Principal {
    actor: Option<Actor>,
    /// E-mail of the user, or `system:…`.
    pub label: String,
    /// Display name.
    pub name: String,
    /// How they authenticated.
    pub via: AuthVia,
    /// The language the user chose for pages (`zh-CN`, `en`), if any.
    pub locale: Option<String>,
}

impl Principal {
    /// The system, with every right (CLI commands and loaders run by the operator).
    pub fn system(label: &str) -> Self {
        Principal {
            actor: None,
            label: format!("system:{label}"),
            name: label.to_owned(),
            via: AuthVia::System,
            locale: None,
        }
    }

    /// A signed-in user.
    pub fn user(user: &User, via: AuthVia) -> Result<Self, ActionError> {
        let actor = Actor::new(user.id, user.role, user.organization_id, user.contact_id)
            .map_err(|e| ActionError::Internal(format!("user {} is inconsistent: {e}", user.id)))?;
        Ok(Principal {
            actor: Some(actor),
            label: user.email.clone(),
            name: user.name.clone(),
            via,
            locale: None,
        })
    }

    /// The acting user, unless it is the system.
    pub fn actor(&self) -> Option<&Actor> {
        self.actor.as_ref()
    }

    /// The acting user's id.
    pub fn user_id(&self) -> Option<UserId> {
        self.actor.map(|a| a.user)
    }

    /// Whether the principal works for the support organisation (the system does).
    pub fn is_staff(&self) -> bool {
        self.actor.is_none_or(|a| a.is_staff())
    }

    /// Staff or customer, for lifecycle rules.
    pub fn party(&self) -> Party {
        if self.is_staff() {
            Party::Staff
        } else {
            Party::Customer
        }
    }

    /// The audit log's view of the principal.
    pub fn audit_actor(&self) -> AuditActor {
        AuditActor {
            user: self.user_id(),
            label: self.label.clone(),
        }
    }
}

/// Refuses with 403 unless the principal has the permission.
pub fn require(who: &Principal, permission: Permission) -> Result<(), ActionError> {
    match who.actor() {
        Some(actor) if !actor.may(permission) => Err(ActionError::Forbidden(match permission {
            Permission::ManageDirectory => {
                "only support staff can change organisations, contacts and products"
            }
            Permission::ManageUsers => "only administrators can manage users",
            Permission::WorkCases => "only support staff can do this",
            Permission::ReadAudit => "only administrators and managers can read the audit log",
            Permission::ListAllUsers => "only support staff can list users",
            Permission::ManageServiceLevels => {
                "only administrators can change calendars and support plans"
            }
            Permission::EditKnowledge => "only support staff can write and review articles",
            Permission::ManageSearch => "only administrators can change search synonyms",
            Permission::ManageSurveys => "only administrators can change the satisfaction survey",
            Permission::ReadReports => "only managers and administrators can read the dashboard",
            Permission::ManageIntegrations => {
                "only administrators can manage webhooks and chat robots"
            }
            Permission::ManageRota => "only managers and administrators can set the on-duty rota",
        })),
        _ => Ok(()),
    }
}

/// Answers "not found" unless the principal may see the object: another organisation's objects
/// do not exist for a customer.
pub fn ensure_visible(
    who: &Principal,
    subject: Subject,
    what: &'static str,
) -> Result<(), ActionError> {
    match who.actor() {
        Some(actor) if !actor.can_see(subject) => Err(ActionError::NotFound(what)),
        _ => Ok(()),
    }
}

/// The organisation a list of organisation-owned records (sites, units, contracts) is limited
/// to: a customer's own whatever they ask, or what staff ask for.
pub fn organization_scope(
    who: &Principal,
    asked: Option<casebook_domain::ids::OrganizationId>,
) -> Option<casebook_domain::ids::OrganizationId> {
    match who.actor().filter(|a| !a.is_staff()) {
        // A customer always has an organisation; id 0 matches nothing if one did not.
        Some(actor) => actor
            .organization
            .or(Some(casebook_domain::ids::Id::new(0))),
        None => asked,
    }
}

/// The cases the principal may list.
pub fn case_scope(who: &Principal) -> CaseScope {
    who.actor().map_or(CaseScope::All, Actor::case_scope)
}

/// Whether internal timeline entries are shown.
pub fn audience(who: &Principal) -> Audience {
    if who.is_staff() {
        Audience::Staff
    } else {
        Audience::Customer
    }
}
