//! Links between cases: a duplicate, a cause, a related case, a parent problem with its child
//! cases (one fault on many devices), a case split from another. A link is stored once, said of
//! one case and naming the other; each case sees it in its own words (`LinkRole`). Customers see
//! only links between cases of their own organisation.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Status;
use crate::attributes::Named;
use crate::case::NamedRef;
use crate::case_number::CaseNumber;
use crate::error::ValidationError;
use crate::ids::{OrganizationId, UserId};
use jiff::Timestamp;

/// A link as stored: said of one case (`case_id`) and naming the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// The case is a duplicate of the other.
    DuplicateOf,
    /// The case was caused by the other.
    CausedBy,
    /// The two are related (either way).
    Related,
    /// The case is a child of the other, its parent problem.
    ChildOf,
    /// The case was split from a reply on the other.
    SplitFrom,
}

impl Named for LinkKind {
    const WHAT: &'static str = "link kind";
    const ALL: &'static [Self] = &[
        Self::DuplicateOf,
        Self::CausedBy,
        Self::Related,
        Self::ChildOf,
        Self::SplitFrom,
    ];
    fn as_str(self) -> &'static str {
        match self {
            Self::DuplicateOf => "duplicate_of",
            Self::CausedBy => "caused_by",
            Self::Related => "related",
            Self::ChildOf => "child_of",
            Self::SplitFrom => "split_from",
        }
    }
}

/// A link as one of its two cases sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkRole {
    /// This case is a duplicate of the other.
    DuplicateOf,
    /// The other case is a duplicate of this one.
    DuplicatedBy,
    /// This case was caused by the other.
    CausedBy,
    /// This case caused the other.
    Causes,
    /// The two are related.
    Related,
    /// The other case is this one's parent problem.
    ChildOf,
    /// The other case is a child of this parent problem.
    ParentOf,
    /// This case was split from a reply on the other.
    SplitFrom,
    /// The other case was split from a reply on this one.
    SplitInto,
}

impl Named for LinkRole {
    const WHAT: &'static str = "link kind";
    const ALL: &'static [Self] = &[
        Self::DuplicateOf,
        Self::DuplicatedBy,
        Self::CausedBy,
        Self::Causes,
        Self::Related,
        Self::ChildOf,
        Self::ParentOf,
        Self::SplitFrom,
        Self::SplitInto,
    ];
    fn as_str(self) -> &'static str {
        match self {
            Self::DuplicateOf => "duplicate_of",
            Self::DuplicatedBy => "duplicated_by",
            Self::CausedBy => "caused_by",
            Self::Causes => "causes",
            Self::Related => "related",
            Self::ChildOf => "child_of",
            Self::ParentOf => "parent_of",
            Self::SplitFrom => "split_from",
            Self::SplitInto => "split_into",
        }
    }
}

impl LinkRole {
    /// The role of a stored link seen from its `case_id` (`forward`) or from its `other_id`.
    pub fn seen(kind: LinkKind, forward: bool) -> Self {
        match (kind, forward) {
            (LinkKind::DuplicateOf, true) => Self::DuplicateOf,
            (LinkKind::DuplicateOf, false) => Self::DuplicatedBy,
            (LinkKind::CausedBy, true) => Self::CausedBy,
            (LinkKind::CausedBy, false) => Self::Causes,
            (LinkKind::Related, _) => Self::Related,
            (LinkKind::ChildOf, true) => Self::ChildOf,
            (LinkKind::ChildOf, false) => Self::ParentOf,
            (LinkKind::SplitFrom, true) => Self::SplitFrom,
            (LinkKind::SplitFrom, false) => Self::SplitInto,
        }
    }

    /// The stored kind of a link asked for from this side, and whether it is said of this case
    /// (`true`) or of the other one. Split links are made by splitting a reply, not asked for.
    pub fn to_store(self) -> Result<(LinkKind, bool), ValidationError> {
        Ok(match self {
            Self::DuplicateOf => (LinkKind::DuplicateOf, true),
            Self::DuplicatedBy => (LinkKind::DuplicateOf, false),
            Self::CausedBy => (LinkKind::CausedBy, true),
            Self::Causes => (LinkKind::CausedBy, false),
            Self::Related => (LinkKind::Related, true),
            Self::ChildOf => (LinkKind::ChildOf, true),
            Self::ParentOf => (LinkKind::ChildOf, false),
            Self::SplitFrom | Self::SplitInto => {
                return Err(ValidationError::new(
                    "not_allowed",
                    "split links are made by splitting a reply into a new case",
                ));
            }
        })
    }
}

/// The other case of a link, as a link shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LinkedCase {
    /// Its number.
    pub number: CaseNumber,
    /// Its title.
    pub title: String,
    /// Its status.
    pub status: Status,
    /// Its organisation (staff see links across organisations; customers never do).
    #[serde(skip)]
    pub organization: OrganizationId,
}

/// A link of a case, seen from that case.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CaseLink {
    /// Id of the link (to remove it).
    pub id: i64,
    /// What the other case is to this one.
    pub role: LinkRole,
    /// The other case.
    pub case: LinkedCase,
    /// Who made the link; absent for the system.
    pub created_by: Option<NamedRef<UserId>>,
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// Whether a customer of `organization` may see a link between two cases: only when both are
/// their organisation's.
pub fn visible_to_customer(
    organization: OrganizationId,
    this: OrganizationId,
    other: OrganizationId,
) -> bool {
    this == organization && other == organization
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_asked_role_is_seen_the_same_from_its_side_and_reversed_from_the_other() {
        for role in LinkRole::ALL.iter().copied() {
            let Ok((kind, said_of_this)) = role.to_store() else {
                assert!(matches!(role, LinkRole::SplitFrom | LinkRole::SplitInto));
                continue;
            };
            assert_eq!(LinkRole::seen(kind, said_of_this), role);
            let reverse = LinkRole::seen(kind, !said_of_this);
            let (back, back_said_of_this) = reverse.to_store().expect("reverse asked");
            assert_eq!(back, kind, "{role:?}");
            if kind != LinkKind::Related {
                assert_eq!(back_said_of_this, !said_of_this, "{role:?}");
            }
        }
    }

    #[test]
    fn customers_see_only_links_inside_their_organisation() {
        let (a, b) = (OrganizationId::new(1), OrganizationId::new(2));
        assert!(visible_to_customer(a, a, a));
        assert!(!visible_to_customer(a, a, b));
        assert!(!visible_to_customer(a, b, b));
    }
}
