//! The survey a closed case sends, in the closing transaction: the case's contact is asked (or,
//! without a contact with an address, the customer who opened it), unless surveys are off, a
//! device opened the case and no person is its contact, or the recipient was asked within the
//! fatigue window; a skipped closure is kept with its reason. The mail carries a signed link
//! that answers the survey once, without signing in, until it expires.

use casebook_domain::case::Case;
use casebook_domain::ids::{CaseEventId, ContactId, UserId};
use casebook_domain::survey::{self, Closure, SkipReason, SurveySettings};
use casebook_domain::users::User;
use casebook_domain::{Named, Timestamp};
use casebook_store::notifications::{self, CaseMail};
use casebook_store::surveys::{self, NewSurvey};
use casebook_store::{AuditActor, AuditEntry, Db, contacts, users};
use serde_json::json;

use super::settings;
use crate::actions::ActionResult;
use crate::actions::notify::case_mail::lang_of;
use crate::actions::notify::{templates, tokens};
use crate::app::App;
use crate::i18n::Lang;

/// Who a survey would go to.
struct Recipient {
    address: String,
    name: String,
    contact: Option<ContactId>,
    user: Option<UserId>,
    lang: Lang,
}

async fn recipient(app: &App, db: &mut Db, case: &Case) -> ActionResult<Option<Recipient>> {
    if let Some(contact) = &case.contact
        && let Some(contact) = contacts::get(db, contact.id).await?
        && let Some(address) = contact.email.clone().filter(|a| !a.is_empty())
    {
        let user = users::of_contact(db, contact.id)
            .await?
            .filter(|u| u.active);
        return Ok(Some(Recipient {
            address: address.to_lowercase(),
            name: contact.name.clone(),
            contact: Some(contact.id),
            lang: lang_of(app, db, user.as_ref()).await?,
            user: user.map(|u| u.id),
        }));
    }
    if let Some(opener) = &case.opened_by
        && let Some(user) = users::get(db, opener.id).await?
        && user.active
        && !user.role.is_staff()
    {
        return Ok(Some(customer(app, db, &user).await?));
    }
    Ok(None)
}

async fn customer(app: &App, db: &mut Db, user: &User) -> ActionResult<Recipient> {
    Ok(Recipient {
        address: user.email.to_lowercase(),
        name: user.name.clone(),
        contact: user.contact_id,
        user: Some(user.id),
        lang: lang_of(app, db, Some(user)).await?,
    })
}

/// Sends (or skips, keeping the reason) the survey of a case that just closed, in the caller's
/// transaction. `closure` is the timeline entry of the closing status change: a retry of the
/// same closure adds nothing.
pub(crate) async fn on_closure(
    app: &App,
    db: &mut Db,
    case: &Case,
    closure: CaseEventId,
    now: Timestamp,
) -> ActionResult<()> {
    let (settings, _) = settings::current(db).await?;
    let to = recipient(app, db, case).await?;
    let last_sent = match &to {
        Some(to) => surveys::last_sent_to(db, &to.address).await?,
        None => None,
    };
    let decision = survey::should_send(
        &settings,
        &Closure {
            channel: case.channel,
            has_contact: case.contact.is_some(),
            recipient: to.as_ref().map(|t| t.address.as_str()),
            last_sent,
            now,
        },
    );
    let sent_on = now.to_zoned(app.config.time_zone()).date().to_string();
    let expires_at = survey::expires_at(&settings, now);
    let lang = to.as_ref().map_or(Lang::Zh, |t| t.lang);
    let Some(id) = surveys::insert(
        db,
        &NewSurvey {
            case_id: case.id,
            closure_event: closure.get(),
            organization_id: case.organization.id,
            product_id: case.product.as_ref().map(|p| p.id),
            engineer_id: case.owner.as_ref().map(|o| o.id),
            contact_id: to.as_ref().and_then(|t| t.contact),
            user_id: to.as_ref().and_then(|t| t.user),
            recipient: to.as_ref().map(|t| t.address.as_str()),
            language: lang.tag(),
            skipped: decision.err(),
            sent_at: now,
            sent_on: &sent_on,
            expires_at: decision.is_ok().then_some(expires_at),
        },
    )
    .await?
    else {
        return Ok(());
    };
    audit(db, id, case, decision.err(), now);
    if let (Ok(()), Some(to)) = (decision, to) {
        mail(app, db, case, id, &to, &settings, expires_at, now).await?;
    }
    Ok(())
}

fn audit(db: &mut Db, id: i64, case: &Case, skipped: Option<SkipReason>, now: Timestamp) {
    let actor = AuditActor {
        user: None,
        label: "system:surveys".into(),
    };
    let after = json!({"case": case.number, "skipped": skipped.map(|r| r.as_str())});
    db.audit(AuditEntry::change(
        now,
        &actor,
        if skipped.is_some() {
            "survey.skip"
        } else {
            "survey.send"
        },
        "survey",
        id,
        None,
        Some(&after),
    ));
}

/// Queues the survey mail with its link.
#[allow(clippy::too_many_arguments)]
async fn mail(
    app: &App,
    db: &mut Db,
    case: &Case,
    id: i64,
    to: &Recipient,
    settings: &SurveySettings,
    expires_at: Timestamp,
    now: Timestamp,
) -> ActionResult<()> {
    let key = tokens::key(app, db).await?;
    let token = tokens::survey_token(&key, id, expires_at);
    let desk = &app.config.desk;
    let tag = to.lang.tag();
    let ctx = json!({
        "desk": {"name": desk.name, "url": desk.public_url},
        "recipient": {"name": to.name},
        "case": {"number": case.number.to_string(), "title": case.title,
                 "organization": case.organization.name},
        "survey": {
            "url": format!("{}/surveys/{token}", desk.public_url),
            "expires_at": app.config.desk_time(expires_at),
            "question": settings.questions.resolution.in_lang(tag),
        },
    });
    let rendered = templates::render(db, "survey_request", to.lang, &ctx).await?;
    let dedupe_key = format!("survey:{id}:{}", to.address);
    let message_id = tokens::message_id(&key, &dedupe_key, &app.config.smtp.message_id_domain);
    notifications::enqueue_case_mail(
        db,
        &CaseMail {
            kind: "survey_request",
            recipient: &to.address,
            subject: &rendered.subject,
            body: &rendered.body,
            dedupe_key: &dedupe_key,
            case: case.id,
            message_id: &message_id,
            in_reply_to: None,
        },
        now,
    )
    .await?;
    Ok(())
}
