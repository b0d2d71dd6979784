//! The events a case change writes for webhooks and chat robots (`integrations::emit`), in the
//! change's transaction: opened, severity changed, assigned, escalated to a higher tier,
//! replied in public, solution proposed, closed and reopened.

use casebook_domain::case::Case;
use casebook_domain::events::{ChangeSection, EventKind, ReplySection, payload::cut};
use casebook_domain::{Named, Status, Timestamp};
use casebook_store::Db;

use crate::actions::ActionResult;
use crate::actions::integrations::emit;
use crate::app::App;
use crate::policy::Principal;

/// The longest reply text an event carries.
const REPLY_CHARS: usize = 4000;

/// A case was opened.
pub async fn opened(
    app: &App,
    db: &mut Db,
    case: &Case,
    who: &Principal,
    now: Timestamp,
) -> ActionResult<()> {
    emit::case_event(
        app,
        db,
        EventKind::CaseOpened,
        case,
        emit::actor_of(who),
        now,
        |_| {},
    )
    .await
}

/// Someone replied in public.
pub async fn replied(
    app: &App,
    db: &mut Db,
    case: &Case,
    who: &Principal,
    body: &str,
    now: Timestamp,
) -> ActionResult<()> {
    let reply = reply(who, body);
    emit::case_event(
        app,
        db,
        EventKind::CaseReplied,
        case,
        emit::actor_of(who),
        now,
        |e| {
            e.reply = Some(reply);
        },
    )
    .await
}

fn reply(who: &Principal, body: &str) -> ReplySection {
    let (body, truncated) = cut(body, REPLY_CHARS);
    ReplySection {
        author: who.name.clone(),
        from_customer: !who.is_staff(),
        body,
        truncated,
    }
}

fn change(
    field: &str,
    from: Option<String>,
    to: Option<String>,
    reason: Option<&str>,
) -> ChangeSection {
    ChangeSection {
        field: field.into(),
        from,
        to,
        reason: reason.map(str::to_owned),
    }
}

/// The events of one update, from the case before and after it.
pub async fn changed(
    app: &App,
    db: &mut Db,
    before: &Case,
    after: &Case,
    who: &Principal,
    reason: Option<&str>,
    now: Timestamp,
) -> ActionResult<()> {
    let actor = || emit::actor_of(who);
    if before.severity != after.severity {
        let c = change(
            "severity",
            Some(before.severity.level().to_string()),
            Some(after.severity.level().to_string()),
            reason,
        );
        emit::case_event(
            app,
            db,
            EventKind::CaseSeverityChanged,
            after,
            actor(),
            now,
            |e| e.change = Some(c),
        )
        .await?;
    }
    let owner_id = |c: &Case| c.owner.as_ref().map(|o| o.id);
    if owner_id(before) != owner_id(after) {
        let name = |c: &Case| c.owner.as_ref().map(|o| o.name.clone());
        let c = change("owner", name(before), name(after), reason);
        emit::case_event(app, db, EventKind::CaseAssigned, after, actor(), now, |e| {
            e.change = Some(c)
        })
        .await?;
    }
    let rank = |c: &Case| c.tier.map(|t| t as u8);
    if rank(after) > rank(before) {
        let tier = |c: &Case| c.tier.map(|t| t.as_str().to_owned());
        let c = change("tier", tier(before), tier(after), reason);
        emit::case_event(
            app,
            db,
            EventKind::CaseEscalated,
            after,
            actor(),
            now,
            |e| e.change = Some(c),
        )
        .await?;
    }
    if before.status != after.status {
        let kind = match (before.status.is_terminal(), after.status) {
            (true, s) if !s.is_terminal() => Some(EventKind::CaseReopened),
            (false, Status::Closed | Status::Cancelled) => Some(EventKind::CaseClosed),
            (_, Status::SolutionProposed) => Some(EventKind::CaseSolutionProposed),
            _ => None,
        };
        if let Some(kind) = kind {
            let solution = (kind == EventKind::CaseSolutionProposed)
                .then(|| reply(who, reason.unwrap_or_default()));
            emit::case_event(app, db, kind, after, actor(), now, |e| e.reply = solution).await?;
        }
    }
    Ok(())
}
