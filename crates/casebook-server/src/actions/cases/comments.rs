//! Use cases for the conversation on a case: public replies, internal notes, and the timeline.

use casebook_domain::CaseNumber;
use casebook_domain::case::NamedRef;
use casebook_domain::mail::MailDisposition;
use casebook_domain::policy::Visibility;
use casebook_domain::timeline::{CaseEvent, CommentDraft, EventKind};
use casebook_store::mail::NewMail;
use casebook_store::timeline::{self, NewEvent};
use casebook_store::{AuditEntry, Page, PageRequest, cases};

use crate::actions::cases::attachments::{AttachTo, Upload, check_uploads, store_uploads};
use crate::actions::cases::sla::{self, SlaCase, SlaChange};
use crate::actions::cases::{resume_on_customer_reply, visibility_for, visible_case};
use crate::actions::notify::case_mail::{self, CaseNews};
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, audience};

/// Adds a public reply or an internal note, with files. A customer's reply to a case that waits
/// for them moves it back to in progress.
pub async fn add(
    app: &App,
    who: &Principal,
    number: CaseNumber,
    draft: CommentDraft,
    uploads: Vec<Upload>,
) -> ActionResult<CaseEvent> {
    add_from(app, who, number, draft, uploads, None).await
}

/// [`add`], for a mail, which is kept as threaded into the case in the same transaction.
async fn add_from(
    app: &App,
    who: &Principal,
    number: CaseNumber,
    draft: CommentDraft,
    uploads: Vec<Upload>,
    mail: Option<&NewMail<'_>>,
) -> ActionResult<CaseEvent> {
    if draft.body.is_empty() {
        return Err(ActionError::field("body", "required", "the reply is empty"));
    }
    let visibility = visibility_for(who, draft.visibility)?;
    if draft.work.is_some() && !who.is_staff() {
        return Err(ActionError::field(
            "work",
            "staff_only",
            "only support staff record time on a case",
        ));
    }
    check_uploads(app, &uploads)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let case = visible_case(&mut db, who, number).await?;
    if case.status.is_terminal() && visibility == Visibility::Public {
        return Err(ActionError::Conflict {
            code: "case_closed",
            message: format!("case {number} is {}; reopen it to add a reply", case.status),
        });
    }
    let kind = if visibility == Visibility::Public {
        EventKind::Reply
    } else {
        EventKind::Note
    };
    let event_id = timeline::insert(
        &mut db,
        &NewEvent {
            case_id: case.id,
            kind,
            visibility,
            actor: who.user_id(),
            at: now,
            body: Some(draft.body.as_str()),
            change: None,
        },
    )
    .await?;
    let attachments = store_uploads(
        app,
        &mut db,
        who,
        AttachTo {
            case: case.id,
            event: event_id,
            visibility,
        },
        &uploads,
        now,
    )
    .await?;
    if visibility == Visibility::Public
        && !resume_on_customer_reply(app, &mut db, who, &case, now).await?
    {
        cases::touch(&mut db, case.id, now).await?;
    }
    if visibility == Visibility::Public {
        super::events::replied(app, &mut db, &case, who, draft.body.as_str(), now).await?;
    }
    if visibility == Visibility::Public && who.is_staff() {
        sla::apply(
            app,
            &mut db,
            &SlaCase::from(&case),
            SlaChange::StaffPublicReply,
            now,
        )
        .await?;
        let news = CaseNews::StaffReply {
            event: event_id,
            author: &who.name,
            body: draft.body.as_str(),
        };
        case_mail::tell(app, &mut db, &case, news, who, now).await?;
    }
    let event = CaseEvent {
        id: event_id,
        kind,
        visibility,
        actor: who.user_id().map(|id| NamedRef {
            id,
            name: who.name.clone(),
        }),
        at: now,
        body: Some(draft.body.clone().into()),
        change: None,
        attachments,
    };
    let action = if visibility == Visibility::Public {
        "case.reply"
    } else {
        "case.note"
    };
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        action,
        "case_event",
        event_id,
        None,
        Some(&event),
    ));
    if let Some(work) = &draft.work {
        super::work::record_in(
            app,
            &mut db,
            who,
            &case,
            work,
            super::work::Recorded::manual(),
            "work.",
            now,
        )
        .await?;
    }
    if let Some(mail) = mail {
        super::kept_with::keep_mail(&mut db, mail, MailDisposition::Threaded, case.id, now).await?;
    }
    db.commit().await?;
    Ok(event)
}

/// A reply or note with files, or the files alone when there is no text (web forms and mail
/// send both), or the time spent alone when there is neither. `mail` is the mail it comes
/// from, kept as threaded into the case in the same transaction. Time sent with files alone is
/// recorded after them.
pub async fn add_or_attach(
    app: &App,
    who: &Principal,
    number: CaseNumber,
    mut draft: CommentDraft,
    uploads: Vec<Upload>,
    mail: Option<&NewMail<'_>>,
) -> ActionResult<()> {
    if !draft.body.is_empty() {
        add_from(app, who, number, draft, uploads, mail).await?;
        return Ok(());
    }
    let work = draft.work.take();
    if !uploads.is_empty() || work.is_none() {
        if work.is_some() && !who.is_staff() {
            return Err(ActionError::field(
                "work",
                "staff_only",
                "only support staff record time on a case",
            ));
        }
        if let Some(w) = &work {
            let errors = w.check(app.clock.now(), "work.");
            if !errors.is_empty() {
                return Err(ActionError::Validation(errors));
            }
        }
        if uploads.is_empty() {
            // Neither text nor files: refused as an empty reply.
            add_from(app, who, number, draft, uploads, mail).await?;
            return Ok(());
        }
        crate::actions::cases::attachments::add_from(
            app,
            who,
            number,
            draft.visibility,
            uploads,
            mail,
        )
        .await?;
    }
    if let Some(work) = work {
        super::work::add(app, who, number, work).await?;
    }
    Ok(())
}

/// The timeline of a case as the principal may see it: customers never get internal entries.
pub async fn timeline(
    app: &App,
    who: &Principal,
    number: CaseNumber,
    page: &PageRequest,
) -> ActionResult<Page<CaseEvent>> {
    let mut db = app.store.read().await?;
    let case = visible_case(&mut db, who, number).await?;
    Ok(timeline::list(&mut db, case.id, audience(who), page).await?)
}
