//! The end of a remote session: ended by the engineer, revoked by the customer, or ended by the
//! sweep when its window closed. A running session's row is locked first, so no line is
//! appended after the seal is computed; the log is sealed (the seal in the audit entry) and the
//! time it ran becomes a work entry of the engineer who started it, once per session.

use casebook_domain::case::Case;
use casebook_domain::field::log::{SealedFile, SealedLine, seal};
use casebook_domain::field::remote::{SessionState, Step, minutes_between};
use casebook_domain::field::session::RemoteSession;
use casebook_domain::ids::UserId;
use casebook_domain::work::{Activity, WorkDraft, WorkSource};
use casebook_domain::{CaseNumber, Role, Timestamp};
use casebook_store::remote_sessions as store;
use casebook_store::{Db, users};

use super::remote::{
    Decision, StepRequest, next, reread, staff_step, take_step, tell_requester, visible_session,
};
use crate::actions::cases::visible_case;
use crate::actions::cases::work::{Recorded, record_in};
use crate::actions::{ActionError, ActionResult, check_version};
use crate::app::App;
use crate::policy::Principal;

/// How many overrun sessions one sweep ends.
const SWEEP_BATCH: i64 = 100;

/// Ends a running session (staff): the log is sealed and the time becomes a work entry.
pub async fn end(
    app: &App,
    who: &Principal,
    id: i64,
    request: StepRequest,
) -> ActionResult<RemoteSession> {
    let now = app.clock.now();
    let (mut db, case, session) = staff_step(app, who, id, request.version).await?;
    let done = finish(app, &mut db, who, &case, session, Step::End, "ended", now).await?;
    db.commit().await?;
    Ok(done)
}

/// Revokes an approval (customers who may see the case): a running session ends and its log
/// is sealed.
pub async fn revoke(
    app: &App,
    who: &Principal,
    id: i64,
    decision: Decision,
) -> ActionResult<RemoteSession> {
    if who.is_staff() {
        return Err(ActionError::Forbidden(
            "the customer revokes an approval; staff end or cancel the session",
        ));
    }
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let (case, session) = visible_session(&mut db, who, id).await?;
    check_version(decision.version, session.version)?;
    let done = finish(
        app,
        &mut db,
        who,
        &case,
        session,
        Step::Revoke,
        "revoked",
        now,
    )
    .await?;
    tell_requester(app, &mut db, &case, &done, Step::Revoke, now).await?;
    db.commit().await?;
    Ok(done)
}

/// Ends or revokes a session in the caller's transaction. A running one is locked first (so no
/// line is appended after the seal is computed), its log sealed and its time recorded.
#[allow(clippy::too_many_arguments)]
async fn finish(
    app: &App,
    db: &mut Db,
    who: &Principal,
    case: &Case,
    session: RemoteSession,
    step: Step,
    reason: &str,
    now: Timestamp,
) -> ActionResult<RemoteSession> {
    let (state, _) = store::lock(db, session.id)
        .await?
        .ok_or(ActionError::NotFound("remote session"))?;
    let session = RemoteSession { state, ..session };
    let to = next(&session, step)?;
    let running = session.state == SessionState::Active;
    let sealed = if running {
        Some(log_seal(db, session.id).await?)
    } else {
        None
    };
    take_step(
        db,
        who,
        case,
        &session,
        step,
        to,
        Some(reason),
        sealed.as_deref(),
        now,
    )
    .await?;
    if let (true, Some(started_at), Some(engineer)) =
        (running, session.started_at, &session.started_by)
    {
        record_time(app, db, case, &session, engineer.id, started_at, now).await?;
    }
    reread(db, session.id).await
}

/// The seal of a session's log as it stands.
pub(crate) async fn log_seal(db: &mut Db, id: i64) -> ActionResult<String> {
    let lines = store::lines(db, id).await?;
    let files = store::recordings(db, id).await?;
    let sealed_lines: Vec<SealedLine<'_>> = lines
        .iter()
        .map(|l| SealedLine {
            seq: l.seq,
            at: l.at,
            text: &l.text,
        })
        .collect();
    let sealed_files: Vec<SealedFile<'_>> = files
        .iter()
        .map(|f| SealedFile {
            name: &f.file_name,
            sha256: &f.sha256,
        })
        .collect();
    Ok(seal(&sealed_lines, &sealed_files))
}

/// The session's time as a work entry of the engineer who ran it (once per session).
async fn record_time(
    app: &App,
    db: &mut Db,
    case: &Case,
    session: &RemoteSession,
    engineer: UserId,
    started_at: Timestamp,
    now: Timestamp,
) -> ActionResult<()> {
    match users::get(db, engineer).await? {
        Some(u) if u.active && u.role != Role::CustomerUser && u.role.is_staff() => {}
        _ => return Ok(()),
    }
    let draft = WorkDraft {
        minutes: minutes_between(started_at, now),
        activity: Activity::Remote,
        billable: true,
        worked_at: Some(started_at),
        note: casebook_domain::text::Notes::parse(&format!(
            "#{} {}",
            session.id,
            session.purpose.chars().take(400).collect::<String>()
        ))
        .ok(),
        user_id: Some(engineer),
    };
    let key = format!("remote:{}", session.id);
    record_in(
        app,
        db,
        &Principal::system("remote"),
        case,
        &draft,
        Recorded {
            source: WorkSource::RemoteSession,
            key: Some(&key),
        },
        "",
        now,
    )
    .await?;
    Ok(())
}

/// Ends the running sessions whose window has closed (the server runs this with its sweeps);
/// how many it ended.
pub async fn sweep(app: &App) -> ActionResult<usize> {
    let now = app.clock.now();
    let ids = {
        let mut db = app.store.read().await?;
        store::overrun(&mut db, now, SWEEP_BATCH).await?
    };
    let who = Principal::system("remote");
    let mut ended = 0;
    for id in ids {
        let mut db = app.store.write().await?;
        let Some((_, session)) = store::get(&mut db, id).await? else {
            continue;
        };
        if session.state != SessionState::Active {
            continue;
        }
        let number: CaseNumber = session
            .case_number
            .parse()
            .map_err(|_| ActionError::Internal("a stored case number does not parse".into()))?;
        let case = visible_case(&mut db, &who, number).await?;
        match finish(
            app,
            &mut db,
            &who,
            &case,
            session,
            Step::End,
            "window_over",
            now,
        )
        .await
        {
            Ok(_) => {
                db.commit().await?;
                ended += 1;
            }
            // Another server ended it first.
            Err(ActionError::Conflict { .. }) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(ended)
}
