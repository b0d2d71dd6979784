//! Remote diagnosis sessions (远程诊断) on a case. Staff request one (purpose, method, units,
//! window); under the organisation's `ask` policy an authorised contact approves or declines it
//! (portal, API or the signed link of the request mail); under `allow` it is approved at once;
//! under `deny` it is refused. The engineer starts it only inside the approved window (a 409
//! says why not), appends to its log while it runs (`remote_log`) and ends it; the customer may
//! revoke the approval at any time, which ends a running session. Ending seals the log (its
//! SHA-256 in the audit entry), and the time it ran becomes a work entry on the case. Each step
//! is a public timeline entry and an audit entry, and takes effect only from the state it was
//! allowed from, so of two racing steps one wins and the other gets a 409.

use casebook_domain::case::Case;
use casebook_domain::field::remote::{AccessPolicy, SessionDraft, SessionState, Step};
use casebook_domain::field::session::RemoteSession;
use casebook_domain::ids::UserId;
use casebook_domain::policy::Permission;
use casebook_domain::timeline::EventKind;
use casebook_domain::{CaseNumber, Named, Timestamp};
use casebook_store::notifications::{self, NewNotification};
use casebook_store::remote_sessions::{self as store, NewSession, StepUpdate};
use casebook_store::{AuditEntry, Db, users};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::actions::cases::visible_case;
use crate::actions::notify::case_mail::lang_of;
use crate::actions::{ActionError, ActionResult, check_version};
use crate::app::App;
use crate::policy::{Principal, require};

pub(crate) use super::remote_end::log_seal;
pub use super::remote_end::{end, revoke, sweep};

/// A case's sessions, oldest first, for anyone who may see the case.
pub async fn of_case(
    app: &App,
    who: &Principal,
    number: CaseNumber,
) -> ActionResult<Vec<RemoteSession>> {
    let mut db = app.store.read().await?;
    let case = visible_case(&mut db, who, number).await?;
    Ok(store::of_case(&mut db, case.id).await?)
}

/// One session, for anyone who may see its case.
pub async fn get(app: &App, who: &Principal, id: i64) -> ActionResult<RemoteSession> {
    let mut db = app.store.read().await?;
    Ok(visible_session(&mut db, who, id).await?.1)
}

/// A session and its case, answering 404 when the principal may not see the case.
pub(crate) async fn visible_session(
    db: &mut Db,
    who: &Principal,
    id: i64,
) -> ActionResult<(Case, RemoteSession)> {
    let (_, session) = store::get(db, id)
        .await?
        .ok_or(ActionError::NotFound("remote session"))?;
    let case = super::case_named(db, who, &session.case_number, "remote session").await?;
    Ok((case, session))
}

/// A refusal with its stable code: `remote_state` (not from this state), `remote_window`
/// (outside the approved window), `remote_denied` (the customer's policy), `remote_closed`
/// (the case is closed).
pub(super) fn conflict(code: &'static str, message: impl Into<String>) -> ActionError {
    ActionError::Conflict {
        code,
        message: message.into(),
    }
}

/// Requests a session on a case (staff). Under `allow` it is approved at once; under `ask` the
/// case's authorised contacts are asked by mail; under `deny` it is refused with 409.
pub async fn request(
    app: &App,
    who: &Principal,
    number: CaseNumber,
    mut draft: SessionDraft,
) -> ActionResult<RemoteSession> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let case = visible_case(&mut db, who, number).await?;
    require(who, Permission::WorkCases)?;
    let mut errors = draft.check(now);
    if case.status.is_terminal() {
        return Err(conflict(
            "remote_closed",
            "the case is closed; reopen it first",
        ));
    }
    let org = case.organization.id;
    let units = store::units_of(&mut db, org, &draft.unit_ids).await?;
    if units.len() != draft.unit_ids.len() {
        errors.push(casebook_domain::FieldError::new(
            "unit_ids",
            "not_found",
            "every unit must belong to the case's organisation",
        ));
    }
    if !errors.is_empty() {
        return Err(ActionError::Validation(errors));
    }
    let org_policy = store::org_policy(&mut db, org)
        .await?
        .ok_or(ActionError::NotFound("organization"))?;
    let site_policies: Vec<Option<AccessPolicy>> = units.iter().map(|(_, p)| *p).collect();
    let policy = AccessPolicy::effective(org_policy, &site_policies);
    if policy == AccessPolicy::Deny {
        return Err(conflict(
            "remote_denied",
            "the customer's remote-access policy denies remote sessions for this organisation or site",
        ));
    }
    let state = if policy == AccessPolicy::Allow {
        SessionState::Approved
    } else {
        SessionState::Requested
    };
    let id = store::insert(
        &mut db,
        &NewSession {
            case: case.id,
            organization: org,
            purpose: &draft.purpose,
            method: &draft.method,
            units: &draft.unit_ids,
            starts_at: draft.starts_at,
            minutes: draft.minutes,
            policy,
            state,
            requested_by: who.user_id(),
        },
        now,
    )
    .await?;
    let (_, session) = store::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("remote session"))?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "remote.request",
        "remote_session",
        id,
        None,
        Some(&session),
    ));
    entry(&mut db, who, &case, id, Step::Request, now).await?;
    if policy == AccessPolicy::Ask {
        super::remote_links::ask_approvers(app, &mut db, &case, &session, now).await?;
    }
    db.commit().await?;
    Ok(session)
}

/// The public timeline entry of a step.
pub(super) async fn entry(
    db: &mut Db,
    who: &Principal,
    case: &Case,
    session: i64,
    step: Step,
    now: Timestamp,
) -> ActionResult<()> {
    let change = json!({"remote": {"session": session, "step": step.as_str()}});
    super::timeline_entry(db, who, case, EventKind::RemoteSession, change, now).await
}

/// A customer's answer to a request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// The version the customer saw.
    #[serde(default)]
    pub version: Option<i64>,
    /// Why it is declined (or a condition of the approval), shown to staff.
    #[serde(default)]
    pub note: Option<String>,
}

/// Whether `user` may approve sessions on the case: an active administrator of its
/// organisation or an authorised contact of its contract.
pub(crate) async fn is_approver(db: &mut Db, case: &Case, user: UserId) -> ActionResult<bool> {
    Ok(store::approvers(db, case.id).await?.contains(&user))
}

/// Approves or declines a requested session, as an authorised contact.
pub async fn decide(
    app: &App,
    who: &Principal,
    id: i64,
    approve: bool,
    decision: Decision,
) -> ActionResult<RemoteSession> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let (case, session) = visible_session(&mut db, who, id).await?;
    let approver = match who.actor() {
        Some(a) if !a.is_staff() => a.user,
        _ => {
            return Err(ActionError::Forbidden(
                "only the customer's authorised contacts approve or decline a remote session",
            ));
        }
    };
    if !is_approver(&mut db, &case, approver).await? {
        return Err(ActionError::Forbidden(
            "only the customer's administrators and the contract's authorised contacts approve remote sessions",
        ));
    }
    check_version(decision.version, session.version)?;
    let done = decide_in(
        app,
        &mut db,
        who,
        &case,
        &session,
        approve,
        decision.note,
        now,
    )
    .await?;
    db.commit().await?;
    Ok(done)
}

/// [`decide`] in the caller's transaction, for a checked approver (also the mail link).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn decide_in(
    app: &App,
    db: &mut Db,
    who: &Principal,
    case: &Case,
    session: &RemoteSession,
    approve: bool,
    note: Option<String>,
    now: Timestamp,
) -> ActionResult<RemoteSession> {
    let step = if approve {
        Step::Approve
    } else {
        Step::Decline
    };
    let to = next(session, step)?;
    if approve && now >= session.ends_at {
        return Err(conflict(
            "remote_window",
            "the requested window has already closed; the engineer must request a new session",
        ));
    }
    let note = note.map(|n| n.trim().chars().take(2000).collect::<String>());
    take_step(db, who, case, session, step, to, note.as_deref(), None, now).await?;
    let done = reread(db, session.id).await?;
    tell_requester(app, db, case, &done, step, now).await?;
    Ok(done)
}

/// Writes a step guarded by the session's state, with its timeline and audit entries.
#[allow(clippy::too_many_arguments)]
pub(super) async fn take_step(
    db: &mut Db,
    who: &Principal,
    case: &Case,
    session: &RemoteSession,
    step: Step,
    to: SessionState,
    note: Option<&str>,
    sealed: Option<&str>,
    now: Timestamp,
) -> ActionResult<()> {
    let taken = store::step(
        db,
        &StepUpdate {
            id: session.id,
            from: session.state,
            to,
            by: who.user_id(),
            note,
            seal: sealed,
        },
        now,
    )
    .await?;
    if !taken {
        return Err(conflict(
            "remote_state",
            "the session changed meanwhile; reload it and try again",
        ));
    }
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        match step {
            Step::Request => "remote.request",
            Step::Approve => "remote.approve",
            Step::Decline => "remote.decline",
            Step::Start => "remote.start",
            Step::End => "remote.end",
            Step::Revoke => "remote.revoke",
            Step::Cancel => "remote.cancel",
        },
        "remote_session",
        session.id,
        Some(&json!({"state": session.state})),
        Some(&json!({"state": to, "note": note, "log_sha256": sealed})),
    ));
    entry(db, who, case, session.id, step, now).await
}

pub(super) async fn reread(db: &mut Db, id: i64) -> ActionResult<RemoteSession> {
    Ok(store::get(db, id)
        .await?
        .ok_or(ActionError::NotFound("remote session"))?
        .1)
}

/// Tells the engineer who requested the session what the customer did, in the app.
pub(super) async fn tell_requester(
    app: &App,
    db: &mut Db,
    case: &Case,
    session: &RemoteSession,
    step: Step,
    now: Timestamp,
) -> ActionResult<()> {
    let Some(requester) = &session.requested_by else {
        return Ok(());
    };
    let Some(user) = users::get(db, requester.id).await? else {
        return Ok(());
    };
    let lang = lang_of(app, db, Some(&user)).await?;
    let title = lang.tn(
        &format!("remote-told-{}", step.as_str()),
        &[
            ("number", case.number.to_string()),
            ("session", session.id.to_string()),
        ],
    );
    notifications::notify(
        db,
        &NewNotification {
            user: user.id,
            case: Some(case.id),
            kind: "remote_session",
            title: &title,
            body: &session.purpose,
            dedupe_key: &format!("remote:{}:{}", session.id, step.as_str()),
        },
        now,
    )
    .await?;
    Ok(())
}

/// A step staff take on a session.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepRequest {
    /// The version the engineer saw.
    #[serde(default)]
    pub version: Option<i64>,
}

/// Opens a step staff take: the write transaction, the session and its case (404 before
/// anything else), the permission, and the version the engineer saw.
pub(super) async fn staff_step(
    app: &App,
    who: &Principal,
    id: i64,
    version: Option<i64>,
) -> ActionResult<(Db, Case, RemoteSession)> {
    let mut db = app.store.write().await?;
    let (case, session) = visible_session(&mut db, who, id).await?;
    require(who, Permission::WorkCases)?;
    check_version(version, session.version)?;
    Ok((db, case, session))
}

/// The state a step leads to, or 409 `remote_state` with the reason.
pub(super) fn next(session: &RemoteSession, step: Step) -> ActionResult<SessionState> {
    session
        .state
        .after(step)
        .map_err(|refusal| conflict("remote_state", refusal.0))
}

/// Starts an approved session inside its window (staff); 409 with the reason otherwise, also
/// when the customer's policy has since become `deny`.
pub async fn start(
    app: &App,
    who: &Principal,
    id: i64,
    request: StepRequest,
) -> ActionResult<RemoteSession> {
    let now = app.clock.now();
    let (mut db, case, session) = staff_step(app, who, id, request.version).await?;
    let to = next(&session, Step::Start)?;
    casebook_domain::field::remote::Window {
        starts_at: session.starts_at,
        minutes: session.minutes,
    }
    .may_start(now)
    .map_err(|refusal| conflict("remote_window", refusal.0))?;
    let org_policy = store::org_policy(&mut db, case.organization.id)
        .await?
        .ok_or(ActionError::NotFound("organization"))?;
    let unit_ids: Vec<_> = session.units.iter().map(|u| u.id).collect();
    let sites: Vec<Option<AccessPolicy>> =
        store::units_of(&mut db, case.organization.id, &unit_ids)
            .await?
            .into_iter()
            .map(|(_, p)| p)
            .collect();
    if AccessPolicy::effective(org_policy, &sites) == AccessPolicy::Deny {
        return Err(conflict(
            "remote_denied",
            "the customer's remote-access policy now denies remote sessions",
        ));
    }
    take_step(
        &mut db,
        who,
        &case,
        &session,
        Step::Start,
        to,
        None,
        None,
        now,
    )
    .await?;
    let done = reread(&mut db, id).await?;
    db.commit().await?;
    Ok(done)
}

/// Withdraws a session that has not started (staff).
pub async fn cancel(
    app: &App,
    who: &Principal,
    id: i64,
    request: StepRequest,
) -> ActionResult<RemoteSession> {
    let now = app.clock.now();
    let (mut db, case, session) = staff_step(app, who, id, request.version).await?;
    let to = next(&session, Step::Cancel)?;
    take_step(
        &mut db,
        who,
        &case,
        &session,
        Step::Cancel,
        to,
        Some("cancelled"),
        None,
        now,
    )
    .await?;
    let done = reread(&mut db, id).await?;
    db.commit().await?;
    Ok(done)
}

/// Whether the principal may approve or decline sessions on a case (its page offers the
/// buttons): a customer who is an authorised contact of the case.
pub async fn may_approve(app: &App, who: &Principal, number: CaseNumber) -> ActionResult<bool> {
    let Some(actor) = who.actor().filter(|a| !a.is_staff()) else {
        return Ok(false);
    };
    let mut db = app.store.read().await?;
    let case = visible_case(&mut db, who, number).await?;
    is_approver(&mut db, &case, actor.user).await
}
