//! Who may see and do what. Tenant isolation is decided here and nowhere else: the server asks
//! these functions on every route, and the store filters lists by the [`CaseScope`] they return.
//!
//! A customer must never learn that another organisation's object exists: the server answers 404
//! whenever [`Actor::can_see`] says no, and 403 only for objects the customer may see but not change.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::attributes::Named;
use crate::error::ValidationError;
use crate::ids::{ContactId, OrganizationId, UserId};

/// A user's role. Staff roles see every organisation; customer roles see only their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Customer problem coordinator (客户问题协调员): intake and dispatch.
    Coordinator,
    /// Support engineer at any tier.
    Engineer,
    /// Support manager.
    Manager,
    /// Administrator of the desk.
    Admin,
    /// A customer who sees the cases they opened or that name them as contact.
    CustomerUser,
    /// A customer who sees every case of their organisation.
    CustomerAdmin,
}

impl Named for Role {
    const WHAT: &'static str = "role";
    const ALL: &'static [Self] = &[
        Self::Coordinator,
        Self::Engineer,
        Self::Manager,
        Self::Admin,
        Self::CustomerUser,
        Self::CustomerAdmin,
    ];
    fn as_str(self) -> &'static str {
        match self {
            Self::Coordinator => "coordinator",
            Self::Engineer => "engineer",
            Self::Manager => "manager",
            Self::Admin => "admin",
            Self::CustomerUser => "customer_user",
            Self::CustomerAdmin => "customer_admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = ValidationError;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        <Self as Named>::parse(raw)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Role {
    /// Whether the role belongs to the support organisation.
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::CustomerUser | Role::CustomerAdmin)
    }
}

/// Things a role may do, beyond seeing objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Create, update and archive organisations, contacts and products.
    ManageDirectory,
    /// Create and change users.
    ManageUsers,
    /// Work cases: staff fields, owners, tiers, internal notes.
    WorkCases,
    /// Read the audit log.
    ReadAudit,
    /// List all users (to pick an owner).
    ListAllUsers,
    /// Create and change business calendars and support plans.
    ManageServiceLevels,
    /// Write, edit and review knowledge articles.
    EditKnowledge,
    /// Edit how search works (its synonyms).
    ManageSearch,
    /// Edit the satisfaction survey's settings and questions.
    ManageSurveys,
    /// Read the managers' dashboard (backlog, SLA attainment, workload).
    ReadReports,
    /// Subscribe webhooks and chat robots to events, read their deliveries, redeliver.
    ManageIntegrations,
    /// Set the on-duty rota: shifts, who is on duty, swaps.
    ManageRota,
}

/// Who is acting: the signed-in user or the owner of the API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    /// The user.
    pub user: UserId,
    /// Their role.
    pub role: Role,
    /// Their organisation; always set for customers, never for staff.
    pub organization: Option<OrganizationId>,
    /// The contact record of a customer user, if linked.
    pub contact: Option<ContactId>,
}

/// Which cases a list may contain for an actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseScope {
    /// Every case (staff).
    All,
    /// Every case of one organisation (customer admin).
    Organization(OrganizationId),
    /// Cases of one organisation that the user opened or that name their contact (customer user).
    Requester {
        /// The customer's organisation.
        organization: OrganizationId,
        /// The user.
        user: UserId,
        /// Their contact, if linked.
        contact: Option<ContactId>,
    },
}

/// The facts about a case that decide who may see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseAccess {
    /// The case's organisation.
    pub organization: OrganizationId,
    /// The user who opened it.
    pub opened_by: Option<UserId>,
    /// The customer contact of the case.
    pub contact: Option<ContactId>,
}

/// Whether a timeline entry or attachment is for customers too or for staff only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Seen by the customer and staff.
    Public,
    /// Seen by staff only (internal notes); never in any customer response, list, count or search.
    Internal,
}

impl Named for Visibility {
    const WHAT: &'static str = "visibility";
    const ALL: &'static [Self] = &[Self::Public, Self::Internal];
    fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Internal => "internal",
        }
    }
}

/// An object whose visibility depends on its organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A case.
    Case(CaseAccess),
    /// An organisation.
    Organization(OrganizationId),
    /// A contact of an organisation.
    Contact(OrganizationId),
    /// A user; customers' users carry their organisation.
    User {
        /// The user.
        id: UserId,
        /// Their organisation, for customer users.
        organization: Option<OrganizationId>,
    },
    /// The product catalogue is shared by everyone signed in.
    Product,
    /// A knowledge article; customers see it only when it is published for them
    /// (`knowledge::readable_by_customers`).
    Article {
        /// Whether customers may read it in its current status and visibility.
        for_customers: bool,
    },
    /// A satisfaction survey: a customer user sees only the surveys addressed to them (as the
    /// user asked or as the contact), a customer administrator every survey of their
    /// organisation; only the one asked may answer ([`Actor::was_asked`]).
    Survey {
        /// The case's organisation.
        organization: OrganizationId,
        /// The customer user it was addressed to.
        user: Option<UserId>,
        /// The contact it was addressed to.
        contact: Option<ContactId>,
    },
}

impl Actor {
    /// Builds an actor, refusing a customer without organisation or staff with one.
    pub fn new(
        user: UserId,
        role: Role,
        organization: Option<OrganizationId>,
        contact: Option<ContactId>,
    ) -> Result<Self, ValidationError> {
        if role.is_staff() != organization.is_none() {
            return Err(ValidationError::new(
                "invalid",
                "customer users belong to exactly one organisation and staff to none",
            ));
        }
        Ok(Self {
            user,
            role,
            organization,
            contact: if role.is_staff() { None } else { contact },
        })
    }

    /// Whether the actor is support staff.
    pub fn is_staff(&self) -> bool {
        self.role.is_staff()
    }

    /// Whether the role grants a permission.
    pub fn may(&self, permission: Permission) -> bool {
        match permission {
            Permission::ManageDirectory
            | Permission::WorkCases
            | Permission::ListAllUsers
            | Permission::EditKnowledge => self.is_staff(),
            Permission::ManageUsers
            | Permission::ManageServiceLevels
            | Permission::ManageSearch
            | Permission::ManageSurveys
            | Permission::ManageIntegrations => self.role == Role::Admin,
            Permission::ReadAudit | Permission::ReadReports | Permission::ManageRota => {
                matches!(self.role, Role::Admin | Role::Manager)
            }
        }
    }

    /// The cases this actor may list.
    pub fn case_scope(&self) -> CaseScope {
        match (self.role, self.organization) {
            (Role::CustomerAdmin, Some(org)) => CaseScope::Organization(org),
            (Role::CustomerUser, Some(org)) => CaseScope::Requester {
                organization: org,
                user: self.user,
                contact: self.contact,
            },
            _ => CaseScope::All,
        }
    }

    /// Whether the actor may see the object at all (if not, it "does not exist" for them).
    pub fn can_see(&self, subject: Subject) -> bool {
        if self.is_staff() {
            return true;
        }
        let own = |org: OrganizationId| self.organization == Some(org);
        match subject {
            Subject::Case(case) => match self.case_scope() {
                CaseScope::All => true,
                CaseScope::Organization(org) => case.organization == org,
                CaseScope::Requester {
                    organization,
                    user,
                    contact,
                } => {
                    case.organization == organization
                        && (case.opened_by == Some(user)
                            || (contact.is_some() && case.contact == contact))
                }
            },
            Subject::Organization(org) | Subject::Contact(org) => own(org),
            Subject::User { id, organization } => {
                id == self.user
                    || (self.role == Role::CustomerAdmin && organization.is_some_and(own))
            }
            Subject::Product => true,
            Subject::Article { for_customers } => for_customers,
            Subject::Survey {
                organization,
                user,
                contact,
            } => {
                own(organization)
                    && (self.role == Role::CustomerAdmin || self.was_asked(user, contact))
            }
        }
    }

    /// Whether a survey addressed to this user or contact asks this actor.
    pub fn was_asked(&self, user: Option<UserId>, contact: Option<ContactId>) -> bool {
        user == Some(self.user) || (self.contact.is_some() && contact == self.contact)
    }

    /// Whether the actor may see entries of this visibility.
    pub fn can_see_visibility(&self, visibility: Visibility) -> bool {
        visibility == Visibility::Public || self.is_staff()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Id;

    fn org(n: i64) -> OrganizationId {
        Id::new(n)
    }

    #[test]
    fn customers_need_an_organisation_and_staff_have_none() {
        assert!(Actor::new(Id::new(1), Role::CustomerUser, None, None).is_err());
        assert!(Actor::new(Id::new(1), Role::Engineer, Some(org(1)), None).is_err());
        assert!(Actor::new(Id::new(1), Role::Engineer, None, None).is_ok());
    }

    #[test]
    fn customer_users_see_their_own_cases_admins_their_organisations() {
        let user = Actor::new(
            Id::new(10),
            Role::CustomerUser,
            Some(org(1)),
            Some(Id::new(5)),
        )
        .unwrap();
        let admin = Actor::new(Id::new(11), Role::CustomerAdmin, Some(org(1)), None).unwrap();
        let staff = Actor::new(Id::new(12), Role::Engineer, None, None).unwrap();
        let mine = CaseAccess {
            organization: org(1),
            opened_by: Some(Id::new(10)),
            contact: None,
        };
        let for_my_contact = CaseAccess {
            organization: org(1),
            opened_by: Some(Id::new(12)),
            contact: Some(Id::new(5)),
        };
        let colleagues = CaseAccess {
            organization: org(1),
            opened_by: Some(Id::new(99)),
            contact: Some(Id::new(6)),
        };
        let foreign = CaseAccess {
            organization: org(2),
            opened_by: Some(Id::new(10)),
            contact: Some(Id::new(5)),
        };
        assert!(user.can_see(Subject::Case(mine)));
        assert!(user.can_see(Subject::Case(for_my_contact)));
        assert!(!user.can_see(Subject::Case(colleagues)));
        assert!(!user.can_see(Subject::Case(foreign)));
        assert!(admin.can_see(Subject::Case(colleagues)));
        assert!(!admin.can_see(Subject::Case(foreign)));
        assert!(staff.can_see(Subject::Case(foreign)));
    }

    #[test]
    fn directory_objects_follow_the_organisation() {
        let user = Actor::new(Id::new(10), Role::CustomerUser, Some(org(1)), None).unwrap();
        assert!(user.can_see(Subject::Organization(org(1))));
        assert!(!user.can_see(Subject::Organization(org(2))));
        assert!(!user.can_see(Subject::Contact(org(2))));
        assert!(user.can_see(Subject::User {
            id: Id::new(10),
            organization: Some(org(1))
        }));
        assert!(!user.can_see(Subject::User {
            id: Id::new(13),
            organization: Some(org(1))
        }));
        assert!(!user.can_see_visibility(Visibility::Internal));
        assert!(!user.may(Permission::WorkCases));
        assert!(!user.may(Permission::ReadReports));
    }
}
