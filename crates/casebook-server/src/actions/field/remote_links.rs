//! The request mail of a remote session and its signed link. Under an `ask` policy each
//! authorised contact of the case (the organisation's customer administrators and the
//! contract's authorised contacts with an account) gets one mail, in their language, naming the
//! purpose, the method, the units and the window, with a link to `/remote/{token}`: a page that
//! shows the request and answers it (approve or decline) as that contact, without signing in.
//! The token names the session and the contact, works until the window closes, and is good for
//! nothing else; the contact must still be an authorised contact when they answer.

use casebook_domain::case::Case;
use casebook_domain::field::session::RemoteSession;
use casebook_domain::ids::UserId;
use casebook_domain::{CaseNumber, Timestamp};
use casebook_store::remote_sessions as store;
use casebook_store::{Db, users};
use serde::Serialize;
use serde_json::json;

use super::remote::{decide_in, is_approver};
use crate::actions::notify::case_mail;
use crate::actions::notify::tokens::{self, LinkError};
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{AuthVia, Principal};

/// Mails every authorised contact of the case the request, with their own link.
pub(crate) async fn ask_approvers(
    app: &App,
    db: &mut Db,
    case: &Case,
    session: &RemoteSession,
    now: Timestamp,
) -> ActionResult<()> {
    let key = tokens::key(app, db).await?;
    let tz = app.config.time_zone();
    let local = |t: Timestamp| {
        t.to_zoned(tz.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    };
    let window = format!(
        "{} – {} ({})",
        local(session.starts_at),
        local(session.ends_at),
        tz.iana_name().unwrap_or("UTC")
    );
    let units = session
        .units
        .iter()
        .map(|u| u.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    for user_id in store::approvers(db, case.id).await? {
        let Some(user) = users::get(db, user_id).await? else {
            continue;
        };
        let token = tokens::remote_token(&key, session.id, user.id, session.ends_at);
        let extra = json!({"remote": {
            "id": session.id,
            "purpose": session.purpose,
            "method": session.method,
            "units": units,
            "window": window,
            "engineer": session.requested_by.as_ref().map(|r| r.name.clone()).unwrap_or_default(),
            "url": format!("{}/remote/{token}", app.config.desk.public_url),
        }});
        let event = format!("remote:{}", session.id);
        case_mail::tell_customer(app, db, case, "remote_request", &user, extra, &event, now)
            .await?;
    }
    Ok(())
}

/// What the link's page shows.
#[derive(Debug, Clone, Serialize)]
pub struct LinkView {
    /// The case.
    pub case: CaseNumber,
    /// Its title.
    pub title: String,
    /// The session as it stands.
    pub session: RemoteSession,
    /// The contact the link was sent to.
    pub contact: String,
}

fn link_error(e: LinkError) -> ActionError {
    match e {
        LinkError::Invalid => ActionError::NotFound("link"),
        LinkError::Expired => ActionError::Conflict {
            code: "link_expired",
            message: "this link has expired: the session's window has closed".into(),
        },
    }
}

/// The principal the link acts as, its case and session, checked.
async fn open_link(
    app: &App,
    db: &mut Db,
    token: &str,
) -> ActionResult<(Principal, Case, RemoteSession)> {
    let key = tokens::key(app, db).await?;
    let (session, user_id): (i64, UserId) =
        tokens::read_remote_token(&key, token, app.clock.now()).map_err(link_error)?;
    let user = users::get(db, user_id)
        .await?
        .filter(|u| u.active)
        .ok_or(ActionError::NotFound("link"))?;
    let who = Principal::user(&user, AuthVia::Mail)?;
    let (case, session) = super::remote::visible_session(db, &who, session)
        .await
        .map_err(|_| ActionError::NotFound("link"))?;
    if !is_approver(db, &case, user.id).await? {
        return Err(ActionError::Forbidden(
            "you are no longer an authorised contact of this case",
        ));
    }
    Ok((who, case, session))
}

/// The request a link answers.
pub async fn check_link(app: &App, token: &str) -> ActionResult<LinkView> {
    let mut db = app.store.write().await?;
    let (who, case, session) = open_link(app, &mut db, token).await?;
    db.commit().await?;
    Ok(LinkView {
        case: case.number,
        title: case.title,
        session,
        contact: who.name,
    })
}

/// Approves or declines the request a link names.
pub async fn answer(
    app: &App,
    token: &str,
    approve: bool,
    note: Option<String>,
) -> ActionResult<LinkView> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let (who, case, session) = open_link(app, &mut db, token).await?;
    let done = decide_in(app, &mut db, &who, &case, &session, approve, note, now).await?;
    db.commit().await?;
    Ok(LinkView {
        case: case.number,
        title: case.title,
        session: done,
        contact: who.name,
    })
}
