//! The case lifecycle: which status changes are allowed, and for whom.
//!
//! ```text
//! new ─▶ assigned ─▶ in_progress ⇄ awaiting_customer
//!  ▲        │             │                │
//!  └────────┘             └──▶ solution_proposed ◀──┘
//!                                │       │
//!                 (reject) in_progress   closed ──(reopen within N days)──▶ in_progress
//! any open status ─▶ cancelled
//! ```
//!
//! Staff move a case forward; a customer may resume a case that waits for them, accept a proposed
//! solution (closure with their confirmation), reject it, withdraw (cancel) their case, and reopen a
//! closed case within the configured number of days.

use jiff::{SignedDuration, Timestamp};

use crate::attributes::{Named, Status};

/// Who asks for a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// An engineer, coordinator, manager or admin.
    Staff,
    /// A user of the customer's organisation.
    Customer,
}

/// What a status change means; the action records it on the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// An owner took responsibility (new → assigned).
    Assign,
    /// The owner was removed before work started (assigned → new).
    Unassign,
    /// Work started.
    StartWork,
    /// Waiting for the customer.
    AwaitCustomer,
    /// Work resumes after waiting for the customer.
    Resume,
    /// A solution was proposed to the customer.
    ProposeSolution,
    /// The customer accepted the solution; closure is confirmed by them.
    AcceptSolution,
    /// The customer rejected the proposed solution; work goes on.
    RejectSolution,
    /// Staff withdrew their proposal to work on.
    WithdrawProposal,
    /// Staff closed a case whose solution was proposed, without the customer's confirmation.
    CloseByStaff,
    /// The case was cancelled.
    Cancel,
    /// A closed case was reopened.
    Reopen,
}

/// Facts about the case and the request that decide whether a change is allowed.
#[derive(Debug, Clone, Copy)]
pub struct TransitionContext {
    /// Who asks.
    pub by: Party,
    /// Whether the case has an owner (or gets one in the same change).
    pub has_owner: bool,
    /// When the case was closed, if it is.
    pub closed_at: Option<Timestamp>,
    /// How many days after closure a case may be reopened.
    pub reopen_days: u32,
    /// The time of the request.
    pub now: Timestamp,
}

/// Why a status change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    /// The change does not exist in the lifecycle.
    #[error("a case cannot move from {from} to {to}")]
    NotAllowed {
        /// Current status.
        from: Status,
        /// Requested status.
        to: Status,
    },
    /// The change exists, but only staff may make it.
    #[error("only support staff can move a case from {from} to {to}")]
    StaffOnly {
        /// Current status.
        from: Status,
        /// Requested status.
        to: Status,
    },
    /// The target status needs an owner.
    #[error("a case needs an owner before it can be {to}")]
    OwnerRequired {
        /// Requested status.
        to: Status,
    },
    /// The case was closed too long ago to be reopened.
    #[error(
        "a case can be reopened only within {days} days of its closure; open a new case instead"
    )]
    ReopenWindowPassed {
        /// The configured window.
        days: u32,
    },
}

impl LifecycleError {
    /// A stable snake_case code for API errors.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAllowed { .. } => "transition_not_allowed",
            Self::StaffOnly { .. } => "transition_staff_only",
            Self::OwnerRequired { .. } => "owner_required",
            Self::ReopenWindowPassed { .. } => "reopen_window_passed",
        }
    }
}

fn is_open(status: Status) -> bool {
    !status.is_terminal()
}

/// Decides the change from `from` to `to` (which must differ).
pub fn transition(
    from: Status,
    to: Status,
    ctx: &TransitionContext,
) -> Result<Transition, LifecycleError> {
    use Party::Customer;
    use Status::*;
    let not_allowed = LifecycleError::NotAllowed { from, to };
    let (change, allowed_for_customer) = match (from, to) {
        (New, Assigned) => (Transition::Assign, false),
        (Assigned, New) => (Transition::Unassign, false),
        (New | Assigned, InProgress) => (Transition::StartWork, false),
        (InProgress, AwaitingCustomer) => (Transition::AwaitCustomer, false),
        (AwaitingCustomer, InProgress) => (Transition::Resume, true),
        (InProgress | AwaitingCustomer, SolutionProposed) => (Transition::ProposeSolution, false),
        (SolutionProposed, Closed) if ctx.by == Customer => (Transition::AcceptSolution, true),
        (SolutionProposed, Closed) => (Transition::CloseByStaff, false),
        (SolutionProposed, InProgress) if ctx.by == Customer => (Transition::RejectSolution, true),
        (SolutionProposed, InProgress) => (Transition::WithdrawProposal, false),
        (Closed, InProgress) => (Transition::Reopen, true),
        (f, Cancelled) if is_open(f) => (Transition::Cancel, true),
        _ => return Err(not_allowed),
    };
    if ctx.by == Customer && !allowed_for_customer {
        return Err(LifecycleError::StaffOnly { from, to });
    }
    let needs_owner = matches!(
        to,
        Assigned | InProgress | AwaitingCustomer | SolutionProposed
    );
    if needs_owner && !ctx.has_owner {
        return Err(LifecycleError::OwnerRequired { to });
    }
    if change == Transition::Reopen {
        let window = SignedDuration::from_hours(24 * i64::from(ctx.reopen_days));
        let within = ctx
            .closed_at
            .is_some_and(|closed| ctx.now.duration_since(closed) <= window);
        if !within {
            return Err(LifecycleError::ReopenWindowPassed {
                days: ctx.reopen_days,
            });
        }
    }
    Ok(change)
}

/// The statuses a party may move a case to from `from` now (for menus and the API).
pub fn next_statuses(from: Status, ctx: &TransitionContext) -> Vec<Status> {
    Status::ALL
        .iter()
        .copied()
        .filter(|to| *to != from && transition(from, *to, ctx).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    fn ctx(by: Party) -> TransitionContext {
        TransitionContext {
            by,
            has_owner: true,
            closed_at: None,
            reopen_days: 30,
            now: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn the_main_path_is_open_to_staff() {
        let c = ctx(Party::Staff);
        assert_eq!(transition(New, Assigned, &c), Ok(Transition::Assign));
        assert_eq!(
            transition(Assigned, InProgress, &c),
            Ok(Transition::StartWork)
        );
        assert_eq!(
            transition(InProgress, AwaitingCustomer, &c),
            Ok(Transition::AwaitCustomer)
        );
        assert_eq!(
            transition(AwaitingCustomer, InProgress, &c),
            Ok(Transition::Resume)
        );
        assert_eq!(
            transition(InProgress, SolutionProposed, &c),
            Ok(Transition::ProposeSolution)
        );
        assert_eq!(
            transition(SolutionProposed, Closed, &c),
            Ok(Transition::CloseByStaff)
        );
    }

    #[test]
    fn customers_accept_reject_cancel_and_resume_only() {
        let c = ctx(Party::Customer);
        assert_eq!(
            transition(SolutionProposed, Closed, &c),
            Ok(Transition::AcceptSolution)
        );
        assert_eq!(
            transition(SolutionProposed, InProgress, &c),
            Ok(Transition::RejectSolution)
        );
        assert_eq!(
            transition(AwaitingCustomer, InProgress, &c),
            Ok(Transition::Resume)
        );
        assert_eq!(transition(New, Cancelled, &c), Ok(Transition::Cancel));
        assert_eq!(
            transition(InProgress, SolutionProposed, &c),
            Err(LifecycleError::StaffOnly {
                from: InProgress,
                to: SolutionProposed
            })
        );
        assert_eq!(
            transition(New, Assigned, &c),
            Err(LifecycleError::StaffOnly {
                from: New,
                to: Assigned
            })
        );
    }

    #[test]
    fn illegal_moves_are_refused() {
        let c = ctx(Party::Staff);
        for (from, to) in [
            (New, Closed),
            (New, SolutionProposed),
            (Cancelled, InProgress),
            (Closed, Cancelled),
            (Closed, New),
            (InProgress, New),
            (Cancelled, Closed),
        ] {
            assert_eq!(
                transition(from, to, &c),
                Err(LifecycleError::NotAllowed { from, to }),
                "{from} -> {to}"
            );
        }
    }

    #[test]
    fn work_needs_an_owner() {
        let c = TransitionContext {
            has_owner: false,
            ..ctx(Party::Staff)
        };
        assert_eq!(
            transition(New, InProgress, &c),
            Err(LifecycleError::OwnerRequired { to: InProgress })
        );
        assert_eq!(transition(New, Cancelled, &c), Ok(Transition::Cancel));
    }

    #[test]
    fn reopen_only_within_the_window() {
        let closed = Timestamp::from_second(1_000_000).unwrap();
        let day = SignedDuration::from_hours(24);
        let mut c = TransitionContext {
            closed_at: Some(closed),
            reopen_days: 7,
            now: closed + day * 7,
            ..ctx(Party::Customer)
        };
        assert_eq!(transition(Closed, InProgress, &c), Ok(Transition::Reopen));
        c.now = closed + day * 7 + SignedDuration::from_secs(1);
        assert_eq!(
            transition(Closed, InProgress, &c),
            Err(LifecycleError::ReopenWindowPassed { days: 7 })
        );
    }

    #[test]
    fn menus_list_what_is_allowed() {
        assert_eq!(
            next_statuses(SolutionProposed, &ctx(Party::Customer)),
            vec![InProgress, Closed, Cancelled]
        );
        assert!(next_statuses(Cancelled, &ctx(Party::Staff)).is_empty());
    }
}
