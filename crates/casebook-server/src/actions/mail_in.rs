//! Mail coming in: one raw RFC 5322 message becomes a reply on its case, a new case, or an
//! entry in the quarantine, and is kept with the reason. Threading is by the Message-IDs the
//! message answers (`In-Reply-To`, `References`) and by the case tag in the subject; a reply
//! joins a case only if its sender may see that case. Auto-replies, bounces and list mail are
//! recorded and nothing else. A message delivered twice (same Message-ID) is processed once.
//!
//! Not yet here (issue 6): IMAP polling, the outbox sender and the Message-IDs of mail Casebook
//! sent, signed reply tokens, the quarantine review, per-sender rate limits. The message is
//! claimed in one transaction and its case change is written in the action's own: a crash
//! between the two leaves the message `processing`, and its redelivery is answered as a
//! duplicate without a case change.

use casebook_domain::case::{Case, CaseDraft};
use casebook_domain::mail::{automatic_reason, case_in_subject, new_part};
use casebook_domain::timeline::CommentDraft;
use casebook_domain::users::User;
use casebook_store::mail::{self, Disposition, NewMail};
use casebook_store::{contacts, users};
use mail_parser::{Message, MessageParser, MimeHeaders};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::attachments::Upload;
use super::{ActionError, ActionResult, cases, comments};
use crate::app::App;
use crate::policy::{AuthVia, Principal};

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ingested {
    /// `threaded`, `opened`, `quarantined`, `ignored`, or `duplicate`.
    pub disposition: String,
    /// The case it joined or opened.
    pub case: Option<String>,
    /// Why (quarantined, ignored).
    pub reason: String,
}

/// The most of an oversized message that is kept.
const KEPT_OF_OVERSIZED: usize = 1024 * 1024;

fn header<'a>(msg: &'a Message<'a>, name: &str) -> Option<&'a str> {
    msg.header_raw(name.to_owned())
}

/// Who wrote a message, as far as Casebook knows them.
enum Sender {
    /// A user with this address (a contact without an account gets one on their first mail).
    User(User),
    /// A contact who may not open cases.
    MayNotOpen(String),
    /// Nobody known.
    Unknown,
}

/// The user behind an address. A contact of a customer organisation who has no account yet
/// gets a customer user linked to the contact, without a password (they act by mail only until
/// someone sets one), so that their mail is theirs in the timeline, the SLA and the audit log.
async fn sender_of(app: &App, address: &str) -> ActionResult<Sender> {
    let mut db = app.store.read().await?;
    if let Some((user, _)) = users::find_for_sign_in(&mut db, address).await? {
        return Ok(if user.active {
            Sender::User(user)
        } else {
            Sender::Unknown
        });
    }
    let found = contacts::find_by_address(&mut db, address).await?;
    drop(db);
    // An address shared by contacts of two organisations names nobody.
    let [contact] = found.as_slice() else {
        return Ok(Sender::Unknown);
    };
    if !contact.can_open_cases {
        return Ok(Sender::MayNotOpen(contact.name.clone()));
    }
    let draft = serde_json::from_value(serde_json::json!({
        "email": address, "name": contact.name, "role": "customer_user",
        "organization_id": contact.organization_id, "contact_id": contact.id,
    }))
    .map_err(|e| ActionError::Internal(format!("a user for contact {}: {e}", contact.id)))?;
    match super::users::create(app, &Principal::system("mail"), draft).await {
        Ok(user) => Ok(Sender::User(user)),
        Err(ActionError::Validation(_)) => Ok(Sender::Unknown),
        Err(err) => Err(err),
    }
}

fn uploads_of(msg: &Message<'_>) -> Vec<Upload> {
    msg.attachments()
        .take(20)
        .map(|part| Upload {
            file_name: part.attachment_name().unwrap_or("attachment").to_owned(),
            content_type: part
                .content_type()
                .map(|c| match c.subtype() {
                    Some(sub) => format!("{}/{sub}", c.ctype()),
                    None => c.ctype().to_owned(),
                })
                .unwrap_or_else(|| "application/octet-stream".into()),
            content: bytes::Bytes::copy_from_slice(part.contents()),
        })
        .collect()
}

fn decided(disposition: &str, case: Option<&Case>, reason: impl Into<String>) -> Disposition {
    Disposition {
        disposition: disposition.to_owned(),
        case: case.map(|c| c.id),
        reason: reason.into(),
    }
}

/// Takes one raw message: threads it, opens a case, or quarantines or ignores it, and keeps it.
pub async fn ingest(app: &App, raw: &[u8]) -> ActionResult<Ingested> {
    let now = app.clock.now();
    let limit = app.config.mail.max_message_bytes;
    let parsed = (raw.len() <= limit)
        .then(|| MessageParser::default().parse(raw))
        .flatten();
    let fallback_id = format!("<{}@casebook.sha256>", hex::encode(Sha256::digest(raw)));
    let message_id = parsed
        .as_ref()
        .and_then(|m| m.message_id())
        .map(|id| format!("<{}>", id.trim_matches(['<', '>'])))
        .unwrap_or(fallback_id);
    let from = parsed
        .as_ref()
        .and_then(|m| m.from())
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| a.trim().to_lowercase())
        .unwrap_or_default();
    let subject = parsed
        .as_ref()
        .and_then(|m| m.subject())
        .unwrap_or_default()
        .chars()
        .take(500)
        .collect::<String>();
    let kept = &raw[..raw.len().min(if raw.len() > limit {
        KEPT_OF_OVERSIZED
    } else {
        raw.len()
    })];
    let mut db = app.store.write().await?;
    let claimed = mail::claim(
        &mut db,
        &NewMail {
            message_id: &message_id,
            from_address: &from,
            subject: &subject,
            raw: kept,
            size: raw.len() as i64,
        },
        now,
    )
    .await?;
    db.commit().await?;
    let Some(id) = claimed else {
        let mut db = app.store.read().await?;
        let earlier = mail::disposition_of(&mut db, &message_id).await?;
        return Ok(Ingested {
            disposition: "duplicate".into(),
            case: None,
            reason: earlier.map(|d| d.disposition).unwrap_or_default(),
        });
    };
    let decision = match &parsed {
        None if raw.len() > limit => {
            decided("quarantined", None, format!("larger than {limit} bytes"))
        }
        None => decided("quarantined", None, "not a readable e-mail message"),
        Some(msg) => route(app, msg, &from, &subject).await?,
    };
    let mut db = app.store.write().await?;
    mail::decide(&mut db, id, &decision, app.clock.now()).await?;
    db.commit().await?;
    let case = match decision.case {
        Some(case) => {
            let mut db = app.store.read().await?;
            casebook_store::cases::number_of(&mut db, case)
                .await?
                .map(|n| n.to_string())
        }
        None => None,
    };
    Ok(Ingested {
        disposition: decision.disposition,
        case,
        reason: decision.reason,
    })
}

async fn route(
    app: &App,
    msg: &Message<'_>,
    from: &str,
    subject: &str,
) -> ActionResult<Disposition> {
    if from.is_empty() {
        return Ok(decided("quarantined", None, "no sender address"));
    }
    if let Some(reason) = automatic_reason(|name| header(msg, name)) {
        return Ok(decided("ignored", None, reason));
    }
    let text = msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
    let body = new_part(&text);
    let files = uploads_of(msg);
    let sender = sender_of(app, from).await?;
    // The case it answers: by the Message-IDs it refers to, then by the subject's tag.
    let mut refs: Vec<String> = Vec::new();
    for value in [msg.in_reply_to(), msg.references()] {
        if let Some(list) = value.as_text_list() {
            refs.extend(
                list.iter()
                    .map(|r| format!("<{}>", r.trim_matches(['<', '>']))),
            );
        } else if let Some(one) = value.as_text() {
            refs.push(format!("<{}>", one.trim_matches(['<', '>'])));
        }
    }
    let mut db = app.store.read().await?;
    let by_reference = match mail::case_of_messages(&mut db, &refs).await? {
        Some(id) => casebook_store::cases::number_of(&mut db, id).await?,
        None => None,
    };
    drop(db);
    let number = by_reference.or_else(|| case_in_subject(subject));
    match (number, sender) {
        (_, Sender::MayNotOpen(name)) => Ok(decided(
            "quarantined",
            None,
            format!("contact {name} may not open or answer cases"),
        )),
        (Some(number), Sender::User(user)) => {
            let who = Principal::user(&user, AuthVia::Mail)?;
            match cases::get(app, &who, number).await {
                Ok(case) => reply(app, &who, &case, body, files).await,
                Err(ActionError::NotFound(_)) => Ok(decided(
                    "quarantined",
                    None,
                    format!("{from} may not see case {number}"),
                )),
                Err(err) => Err(err),
            }
        }
        (Some(number), Sender::Unknown) => Ok(decided(
            "quarantined",
            None,
            format!("unknown sender {from} replied to case {number}"),
        )),
        (None, Sender::Unknown) => Ok(decided(
            "quarantined",
            None,
            format!("unknown sender {from}"),
        )),
        (None, Sender::User(user)) if !user.role.is_staff() => {
            let who = Principal::user(&user, AuthVia::Mail)?;
            open(app, &who, subject, body, files).await
        }
        (None, Sender::User(_)) => Ok(decided(
            "quarantined",
            None,
            format!("{from} is staff; staff open cases in the console"),
        )),
    }
}

async fn reply(
    app: &App,
    who: &Principal,
    case: &Case,
    body: String,
    files: Vec<Upload>,
) -> ActionResult<Disposition> {
    let body = if body.trim().is_empty() && files.is_empty() {
        "(empty reply)".to_owned()
    } else {
        body
    };
    let result = match serde_json::from_value::<CommentDraft>(serde_json::json!({"body": body})) {
        Ok(draft) => comments::add_or_attach(app, who, case.number, draft, files).await,
        Err(e) => Err(ActionError::field("body", "invalid", e.to_string())),
    };
    match result {
        Ok(()) => Ok(decided("threaded", Some(case), "")),
        Err(
            err @ (ActionError::Validation(_)
            | ActionError::Conflict { .. }
            | ActionError::TooLarge { .. }),
        ) => Ok(decided("quarantined", Some(case), err.to_string())),
        Err(err) => Err(err),
    }
}

async fn open(
    app: &App,
    who: &Principal,
    subject: &str,
    body: String,
    files: Vec<Upload>,
) -> ActionResult<Disposition> {
    let title: String = if subject.trim().is_empty() {
        "(no subject)".into()
    } else {
        subject.trim().chars().take(200).collect()
    };
    let description = if body.trim().is_empty() {
        "(no text)".to_owned()
    } else {
        body
    };
    let draft = serde_json::json!({"title": title, "description": description, "severity": 3, "channel": "email"});
    let draft: CaseDraft = match serde_json::from_value(draft) {
        Ok(draft) => draft,
        Err(err) => return Ok(decided("quarantined", None, err.to_string())),
    };
    let case = match cases::open(app, who, draft).await {
        Ok(case) => case,
        Err(
            err @ (ActionError::Validation(_)
            | ActionError::Conflict { .. }
            | ActionError::Forbidden(_)),
        ) => {
            return Ok(decided("quarantined", None, err.to_string()));
        }
        Err(err) => return Err(err),
    };
    if !files.is_empty() {
        super::attachments::add(app, who, case.number, None, files).await?;
    }
    Ok(decided("opened", Some(&case), ""))
}
