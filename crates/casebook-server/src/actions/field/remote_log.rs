//! A remote session's command log and recordings. Staff (and the CLI, `casebook remote log`)
//! append lines while the session runs, each with the time it was typed or printed; terminal
//! control sequences are removed. A terminal recording uploaded while it runs is kept as an
//! internal attachment of the case. When the session ends the log is sealed: nothing more is
//! appended (the store refuses any line for a session that is not active, under the session
//! row's lock), and whoever reads it sees whether it still matches its seal. Staff may mark a
//! line internal with a reason; customers then see that a line was withheld, not its text.

use casebook_domain::field::log::{LogLineDraft, MAX_LINES, check_lines};
use casebook_domain::field::remote::SessionState;
use casebook_domain::field::session::{LogLine, Recording, RemoteSession};
use casebook_domain::policy::{Permission, Visibility};
use casebook_store::AuditEntry;
use casebook_store::remote_sessions::{self as store, NewRecording};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::remote::{log_seal, visible_session};
use crate::actions::cases::attachments::{Upload, attach, check_uploads};
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, require};

/// A session with its log, as the reader may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionLog {
    /// The session.
    pub session: RemoteSession,
    /// Its lines in order (customers get no text for lines staff marked internal).
    pub lines: Vec<LogLine>,
    /// Its recordings.
    pub recordings: Vec<Recording>,
    /// Once sealed: whether the log still matches its seal.
    pub intact: Option<bool>,
}

/// Lines to append.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Append {
    /// 1 to 1000 lines.
    pub lines: Vec<LogLineDraft>,
}

/// What an append did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Appended {
    /// The number of the first line appended.
    pub first: i64,
    /// How many.
    pub count: usize,
    /// Lines in the log now.
    pub total: i64,
}

/// A line marked internal.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkInternal {
    /// Why customers must not read it (e.g. it shows a password), 1 to 500 characters.
    pub reason: String,
}

fn not_running(state: SessionState) -> ActionError {
    ActionError::Conflict {
        code: "remote_not_running",
        message: if state.is_final() {
            "the session has ended and its log is sealed; nothing can be added".into()
        } else {
            "the session has not started; start it inside its approved window first".into()
        },
    }
}

/// A session's log for anyone who may see its case.
pub async fn read(app: &App, who: &Principal, id: i64) -> ActionResult<SessionLog> {
    let mut db = app.store.read().await?;
    let (_, session) = visible_session(&mut db, who, id).await?;
    let mut lines = store::lines(&mut db, id).await?;
    let recordings = store::recordings(&mut db, id).await?;
    let intact = match &session.log_sha256 {
        Some(sealed) => Some(&log_seal(&mut db, id).await? == sealed),
        None => None,
    };
    if !who.is_staff() {
        for line in lines.iter_mut().filter(|l| l.internal) {
            line.text = String::new();
            line.internal_reason = None;
        }
    }
    Ok(SessionLog {
        session,
        lines,
        recordings,
        intact,
    })
}

/// Appends lines to a running session's log (staff).
pub async fn append(
    app: &App,
    who: &Principal,
    id: i64,
    mut request: Append,
) -> ActionResult<Appended> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let (_, session) = visible_session(&mut db, who, id).await?;
    require(who, Permission::WorkCases)?;
    let errors = check_lines(&mut request.lines, now);
    if !errors.is_empty() {
        return Err(ActionError::Validation(errors));
    }
    let (state, count) = store::lock(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("remote session"))?;
    if state != SessionState::Active {
        return Err(not_running(state));
    }
    let adding = i64::try_from(request.lines.len()).unwrap_or(i64::MAX);
    if count + adding > MAX_LINES {
        return Err(ActionError::Conflict {
            code: "remote_log_full",
            message: format!("a session's log holds at most {MAX_LINES} lines"),
        });
    }
    let lines: Vec<_> = request
        .lines
        .into_iter()
        .map(|l| (l.at.unwrap_or(now), l.text))
        .collect();
    let first = store::append(&mut db, session.id, &lines, who.user_id(), now)
        .await?
        .ok_or_else(|| not_running(state))?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "remote.log.append",
        "remote_session",
        id,
        None,
        Some(&json!({"first": first, "count": lines.len()})),
    ));
    db.commit().await?;
    Ok(Appended {
        first,
        count: lines.len(),
        total: count + adding,
    })
}

/// Marks a line internal with a reason (staff); its text and the seal stay as they were.
pub async fn mark_internal(
    app: &App,
    who: &Principal,
    id: i64,
    seq: i64,
    request: MarkInternal,
) -> ActionResult<LogLine> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    visible_session(&mut db, who, id).await?;
    require(who, Permission::WorkCases)?;
    let reason = request.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 500 || reason.chars().any(char::is_control) {
        return Err(ActionError::field(
            "reason",
            "invalid",
            "say in one line of at most 500 characters why customers must not read it",
        ));
    }
    if !store::mark_internal(&mut db, id, seq, &reason, who.user_id()).await? {
        return Err(ActionError::NotFound("log line"));
    }
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "remote.log.internal",
        "remote_session",
        id,
        None,
        Some(&json!({"seq": seq, "reason": reason})),
    ));
    let line = store::lines(&mut db, id)
        .await?
        .into_iter()
        .find(|l| l.seq == seq)
        .ok_or(ActionError::NotFound("log line"))?;
    db.commit().await?;
    Ok(line)
}

/// Uploads a terminal recording to a running session (staff): kept as an internal attachment
/// of the case and sealed with the log.
pub async fn add_recording(
    app: &App,
    who: &Principal,
    id: i64,
    upload: Upload,
) -> ActionResult<Recording> {
    if upload.content.is_empty() {
        return Err(ActionError::field(
            "file",
            "required",
            "send the recording in a part named 'file'",
        ));
    }
    check_uploads(app, std::slice::from_ref(&upload))?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let (case, _) = visible_session(&mut db, who, id).await?;
    require(who, Permission::WorkCases)?;
    let (state, _) = store::lock(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("remote session"))?;
    if state != SessionState::Active {
        return Err(not_running(state));
    }
    let event = attach(
        app,
        &mut db,
        who,
        case.id,
        Visibility::Internal,
        std::slice::from_ref(&upload),
        now,
    )
    .await?;
    let file = event
        .attachments
        .first()
        .ok_or_else(|| ActionError::Internal("the recording was not stored".into()))?;
    store::insert_recording(
        &mut db,
        &NewRecording {
            session: id,
            attachment: file.id.get(),
            file_name: &file.file_name,
            content_type: &file.content_type,
            size: file.size,
            sha256: &file.sha256,
            uploaded_by: who.user_id(),
        },
        now,
    )
    .await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "remote.recording.add",
        "remote_session",
        id,
        None,
        Some(&json!({"file": file.file_name, "sha256": file.sha256, "size": file.size})),
    ));
    let recording = store::recordings(&mut db, id)
        .await?
        .into_iter()
        .find(|r| r.attachment_id == file.id.get())
        .ok_or_else(|| ActionError::Internal("the recording was not stored".into()))?;
    db.commit().await?;
    Ok(recording)
}
