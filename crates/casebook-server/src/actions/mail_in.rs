//! Mail coming in (from `casebook mail ingest` and the IMAP mailboxes): one raw RFC 5322 message
//! becomes a reply on its case, a new case, or an entry in the quarantine, and is kept with the
//! reason. Threading is by the Message-IDs the message answers (`In-Reply-To`, `References`)
//! against those Casebook sent and received, by the signed reply token, and by the case tag in
//! the subject; a reply joins the first named case its sender may see, and never another (it is
//! quarantined or, by configuration, opens a case of its own). Staff answering by mail add an
//! internal note. Auto-replies, bounces and list mail are recorded and nothing else; a sender
//! over their hourly limits is quarantined. A message delivered twice (same Message-ID) is
//! processed once.
//!
//! A message is kept, with its raw bytes and what became of it, in one transaction: for a case
//! it opens or a reply it adds, the transaction of that change, so either both are stored or
//! neither (a crash in between loses nothing: the MTA or the IMAP poll delivers the message
//! again, as it was not acknowledged). Two deliveries of one message at once make one change:
//! the second finds the message kept and rolls back. A message that cannot be routed for any
//! reason but an unreachable database is kept in the quarantine with the error.
//!
//! Before a message is parsed and after, `mail_limits` checks it against the limits of `[mail]`;
//! a message over one is kept and quarantined with the limit's name. What a message says about
//! itself (Message-ID, sender, subject) is stored without control characters and bounded.

use casebook_domain::CaseNumber;
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
use super::mail_limits::{self, Exceeded};
use super::{ActionError, ActionResult, cases, comments};
use crate::app::App;
use crate::config::Config;
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
/// How much of a message that is not parsed is read for its Message-ID, sender and subject.
const HEADERS_READ: usize = 64 * 1024;
/// The longest Message-ID stored as it is (it is a unique key; a longer one is hashed).
const LONGEST_MESSAGE_ID: usize = 250;
/// The longest sender address and subject stored.
const LONGEST_ADDRESS: usize = 320;
const LONGEST_SUBJECT: usize = 500;

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
        Err(err @ ActionError::Unavailable(_)) => Err(err),
        Err(err) => {
            // Another message of theirs, taken in at the same moment, made the user first.
            let mut db = app.store.read().await?;
            match users::find_for_sign_in(&mut db, address).await? {
                Some((user, _)) if user.active => Ok(Sender::User(user)),
                _ if matches!(err, ActionError::Validation(_)) => Ok(Sender::Unknown),
                _ => Err(err),
            }
        }
    }
}

/// The message's attachments as uploads (how many and how large was checked by
/// `mail_limits::after_parsing`); their names are made safe when they are stored.
pub(crate) fn uploads_of(msg: &Message<'_>) -> Vec<Upload> {
    msg.attachments()
        .map(|part| Upload {
            file_name: part
                .attachment_name()
                .unwrap_or(if part.is_message() {
                    "message.eml"
                } else {
                    "attachment"
                })
                .to_owned(),
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

/// What became of a message, and whether the case change kept it already.
struct Decision {
    stored: Disposition,
    number: Option<CaseNumber>,
    kept: bool,
}

fn decided(disposition: &str, case: Option<&Case>, reason: impl Into<String>) -> Decision {
    Decision {
        stored: Disposition {
            disposition: disposition.to_owned(),
            case: case.map(|c| c.id),
            reason: reason.into(),
        },
        number: case.map(|c| c.number),
        kept: false,
    }
}

/// A case change that kept the message in its own transaction.
fn settled(disposition: &str, case: &Case) -> Decision {
    Decision {
        kept: true,
        ..decided(disposition, Some(case), "")
    }
}

/// What a message says about itself, ready to be stored.
struct Envelope {
    message_id: String,
    from: String,
    subject: String,
}

/// Text without control characters (PostgreSQL text holds no NUL): line breaks and tabs become
/// spaces, the rest is dropped; at most `most` characters.
fn clean(text: &str, most: usize) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\t' | '\r' | '\n' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .take(most)
        .collect()
}

fn sha256_id(bytes: &[u8]) -> String {
    format!("<{}@casebook.sha256>", hex::encode(Sha256::digest(bytes)))
}

/// The Message-ID, sender and subject of a message (or of its headers alone); a message without
/// a usable Message-ID gets one made from its content.
fn envelope_of(msg: Option<&Message<'_>>, raw: &[u8]) -> Envelope {
    let message_id = msg
        .and_then(|m| m.message_id())
        .map(|id| clean(id.trim_matches(['<', '>']), usize::MAX))
        .filter(|id| !id.trim().is_empty())
        .map(|id| {
            if id.len() > LONGEST_MESSAGE_ID {
                sha256_id(id.as_bytes())
            } else {
                format!("<{id}>")
            }
        })
        .unwrap_or_else(|| sha256_id(raw));
    let from = msg
        .and_then(|m| m.from())
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| clean(a.trim(), LONGEST_ADDRESS).to_lowercase())
        .unwrap_or_default();
    let subject = clean(
        msg.and_then(|m| m.subject()).unwrap_or_default(),
        LONGEST_SUBJECT,
    );
    Envelope {
        message_id,
        from,
        subject,
    }
}

/// Why a message is quarantined before it is routed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Refusal {
    /// Over a limit.
    Limit(Exceeded),
    /// Not a message.
    Unreadable,
    /// The parser panicked on it (its debug assertions do on some nestings of attached
    /// messages); the message is kept for review.
    ParserFailed,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Limit(exceeded) => exceeded.fmt(f),
            Refusal::Unreadable => f.write_str("not a readable e-mail message"),
            Refusal::ParserFailed => f.write_str("the mail parser failed on it"),
        }
    }
}

/// Parses a message that stays within the limits, and says why it may not be routed if so.
pub(crate) fn read_message<'r>(
    config: &Config,
    raw: &'r [u8],
) -> (Option<Message<'r>>, Option<Refusal>) {
    let read = std::panic::catch_unwind(|| {
        mail_limits::before_parsing(raw, &config.mail)?;
        Ok(MessageParser::default().parse(raw))
    });
    match read {
        Err(_) => (None, Some(Refusal::ParserFailed)),
        Ok(Err(exceeded)) => (None, Some(Refusal::Limit(exceeded))),
        Ok(Ok(None)) => (None, Some(Refusal::Unreadable)),
        Ok(Ok(Some(msg))) => {
            let exceeded = mail_limits::after_parsing(&msg, config).err();
            (Some(msg), exceeded.map(Refusal::Limit))
        }
    }
}

/// Takes one raw message: threads it, opens a case, or quarantines or ignores it, and keeps it.
pub async fn ingest(app: &App, raw: &[u8]) -> ActionResult<Ingested> {
    let now = app.clock.now();
    let (parsed, refusal) = read_message(&app.config, raw);
    // A message that was not parsed still shows who sent it and what about, if it can.
    let headers_only = match &parsed {
        None => std::panic::catch_unwind(|| {
            MessageParser::default().parse_headers(&raw[..raw.len().min(HEADERS_READ)])
        })
        .ok()
        .flatten(),
        Some(_) => None,
    };
    let Envelope {
        message_id,
        from,
        subject,
    } = envelope_of(parsed.as_ref().or(headers_only.as_ref()), raw);
    let kept = match refusal {
        Some(Refusal::Limit(Exceeded::Size(_))) => &raw[..raw.len().min(KEPT_OF_OVERSIZED)],
        _ => raw,
    };
    let mail = NewMail {
        message_id: &message_id,
        from_address: &from,
        subject: &subject,
        raw: kept,
        size: raw.len() as i64,
    };
    let routed = match (&parsed, refusal) {
        (Some(msg), None) => route(app, msg, &mail).await,
        (_, refusal) => Ok(decided(
            "quarantined",
            None,
            refusal.unwrap_or(Refusal::Unreadable).to_string(),
        )),
    };
    let decision = match routed {
        Ok(decision) => decision,
        Err(ActionError::Conflict {
            code: "mail_duplicate",
            ..
        }) => return duplicate(app, &message_id).await,
        // The database is away: nothing is kept, the MTA or the next poll delivers it again.
        Err(err @ ActionError::Unavailable(_)) => return Err(err),
        // Anything else is kept for review rather than lost.
        Err(err) => {
            tracing::error!(message_id = %message_id, error = %err, "mail could not be taken in; quarantined");
            decided("quarantined", None, format!("not taken in: {err}"))
        }
    };
    if !decision.kept {
        let mut db = app.store.write().await?;
        if mail::keep(&mut db, &mail, &decision.stored, now)
            .await?
            .is_none()
        {
            return duplicate(app, &message_id).await;
        }
        db.commit().await?;
    }
    Ok(Ingested {
        disposition: decision.stored.disposition,
        case: decision.number.map(|n| n.to_string()),
        reason: decision.stored.reason,
    })
}

/// The answer to a message that is here already.
async fn duplicate(app: &App, message_id: &str) -> ActionResult<Ingested> {
    let mut db = app.store.read().await?;
    let earlier = mail::disposition_of(&mut db, message_id).await?;
    Ok(Ingested {
        disposition: "duplicate".into(),
        case: None,
        reason: earlier.map(|d| d.disposition).unwrap_or_default(),
    })
}

/// Keeps a mail in the transaction of the case change it made (`opened` a case, `threaded` into
/// one); a mail kept already refuses the change with `mail_duplicate`, to be rolled back.
pub(crate) async fn keep_in_case(
    db: &mut casebook_store::Db,
    mail: &NewMail<'_>,
    disposition: &str,
    case: casebook_domain::ids::CaseId,
    now: jiff::Timestamp,
) -> ActionResult<()> {
    let decision = Disposition {
        disposition: disposition.to_owned(),
        case: Some(case),
        reason: String::new(),
    };
    match mail::keep(db, mail, &decision, now).await? {
        Some(_) => Ok(()),
        None => Err(ActionError::Conflict {
            code: "mail_duplicate",
            message: format!("message {} is here already", mail.message_id),
        }),
    }
}

async fn route(app: &App, msg: &Message<'_>, mail: &NewMail<'_>) -> ActionResult<Decision> {
    let (from, subject) = (mail.from_address, mail.subject);
    if from.is_empty() {
        return Ok(decided("quarantined", None, "no sender address"));
    }
    if let Some(reason) = automatic_reason(|name| header(msg, name)) {
        return Ok(decided("ignored", None, reason));
    }
    let limits = &app.config.mail;
    let (recent, opened) = {
        let mut db = app.store.read().await?;
        let since = app.clock.now() - jiff::SignedDuration::from_hours(1);
        mail::sent_by(&mut db, from, since).await?
    };
    // The count with this message.
    if recent as usize + 1 > limits.max_messages_per_sender_hour {
        return Ok(decided(
            "quarantined",
            None,
            format!(
                "more than {} messages from {from} in an hour (mail.max_messages_per_sender_hour)",
                limits.max_messages_per_sender_hour
            ),
        ));
    }
    let text = super::mail_body::body_text(msg);
    let body = new_part(&text);
    let files = uploads_of(msg);
    let sender = sender_of(app, from).await?;
    let new_mail = NewCaseMail {
        mail,
        from,
        subject,
        body,
        files,
        opened_this_hour: opened as usize,
    };
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
    // The cases it names, surest first: the Message-IDs it answers, the signed reply token, the
    // subject's tag (which anyone can type). It joins the first one its sender may see.
    let mut db = app.store.read().await?;
    let by_reference = match mail::case_of_messages(&mut db, &refs).await? {
        Some(id) => casebook_store::cases::number_of(&mut db, id).await?,
        None => None,
    };
    drop(db);
    let key = super::mail_tokens::signing_key(app).await?;
    let by_token = super::mail_tokens::case_in_reply_token(&key, &text);
    let mut named: Vec<CaseNumber> = Vec::new();
    for number in [by_reference, by_token, case_in_subject(subject)]
        .into_iter()
        .flatten()
    {
        if !named.contains(&number) {
            named.push(number);
        }
    }
    match (named.first().copied(), sender) {
        (_, Sender::MayNotOpen(name)) => Ok(decided(
            "quarantined",
            None,
            format!("contact {name} may not open or answer cases"),
        )),
        (Some(number), Sender::User(user)) => {
            let who = Principal::user(&user, AuthVia::Mail)?;
            for candidate in &named {
                match cases::get(app, &who, *candidate).await {
                    Ok(case) => {
                        let NewCaseMail { body, files, .. } = new_mail;
                        return reply(app, &who, &case, mail, body, files).await;
                    }
                    Err(ActionError::NotFound(_)) => {}
                    Err(err) => return Err(err),
                }
            }
            if limits.foreign_replies == "new_case" {
                let who = (!user.role.is_staff()).then_some(who);
                return case_for(app, who.as_ref(), new_mail).await;
            }
            Ok(decided(
                "quarantined",
                None,
                format!("{from} may not see case {number}"),
            ))
        }
        (Some(number), Sender::Unknown) if limits.foreign_replies != "new_case" => Ok(decided(
            "quarantined",
            None,
            format!("unknown sender {from} replied to case {number}"),
        )),
        (_, Sender::Unknown) => case_for(app, None, new_mail).await,
        (None, Sender::User(user)) if !user.role.is_staff() => {
            let who = Principal::user(&user, AuthVia::Mail)?;
            case_for(app, Some(&who), new_mail).await
        }
        (None, Sender::User(_)) => Ok(decided(
            "quarantined",
            None,
            format!("{from} is staff; staff open cases in the console"),
        )),
    }
}

/// A message that may open a case.
struct NewCaseMail<'a> {
    mail: &'a NewMail<'a>,
    from: &'a str,
    subject: &'a str,
    body: String,
    files: Vec<Upload>,
    opened_this_hour: usize,
}

/// Opens a case with a message: the customer's own (`who`), or, for a sender Casebook does not
/// know, a case for review in `mail.review_organization` when `mail.unknown_senders = "case"`;
/// otherwise, or over the sender's hourly limit of new cases, the message is quarantined.
async fn case_for(
    app: &App,
    who: Option<&Principal>,
    mail: NewCaseMail<'_>,
) -> ActionResult<Decision> {
    let limits = &app.config.mail;
    if mail.opened_this_hour >= limits.max_new_cases_per_sender_hour {
        return Ok(decided(
            "quarantined",
            None,
            format!(
                "{} opened {} cases in an hour (mail.max_new_cases_per_sender_hour)",
                mail.from, mail.opened_this_hour
            ),
        ));
    }
    if let Some(who) = who {
        return open(app, who, &mail, None).await;
    }
    if limits.unknown_senders != "case" {
        return Ok(decided(
            "quarantined",
            None,
            format!("unknown sender {}", mail.from),
        ));
    }
    let mut db = app.store.read().await?;
    let review = casebook_store::organizations::find_by_customer_number(
        &mut db,
        &limits.review_organization,
    )
    .await?;
    drop(db);
    let Some(review) = review else {
        return Ok(decided(
            "quarantined",
            None,
            format!(
                "unknown sender {}; mail.review_organization {} does not exist",
                mail.from, limits.review_organization
            ),
        ));
    };
    open(app, &Principal::system("mail"), &mail, Some(review.id)).await
}

async fn reply(
    app: &App,
    who: &Principal,
    case: &Case,
    mail: &NewMail<'_>,
    body: String,
    files: Vec<Upload>,
) -> ActionResult<Decision> {
    let body = if body.trim().is_empty() && files.is_empty() {
        "(empty reply)".to_owned()
    } else {
        body
    };
    // Staff answering by mail (an SLA mail, a customer's thread) add an internal note: what they
    // write to colleagues never reaches the customer by accident.
    let visibility = if who.is_staff() { "internal" } else { "public" };
    let draft = serde_json::json!({"body": body, "visibility": visibility});
    let result = match serde_json::from_value::<CommentDraft>(draft) {
        Ok(draft) => comments::add_or_attach(app, who, case.number, draft, files, Some(mail)).await,
        Err(e) => Err(ActionError::field("body", "invalid", e.to_string())),
    };
    match result {
        Ok(()) => Ok(settled("threaded", case)),
        Err(
            err @ ActionError::Conflict {
                code: "mail_duplicate",
                ..
            },
        ) => Err(err),
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
    mail: &NewCaseMail<'_>,
    review_organization: Option<casebook_domain::ids::OrganizationId>,
) -> ActionResult<Decision> {
    let (subject, files) = (mail.subject, &mail.files);
    let body = match review_organization {
        Some(_) => format!("{}\n\n(mail from {})", mail.body, mail.from),
        None => mail.body.clone(),
    };
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
    let draft = serde_json::json!({"title": title, "description": description, "severity": 3,
        "channel": "email", "organization_id": review_organization});
    let draft: CaseDraft = match serde_json::from_value(draft) {
        Ok(draft) => draft,
        Err(err) => return Ok(decided("quarantined", None, err.to_string())),
    };
    let opening = cases::OpeningMail {
        mail: mail.mail,
        files,
    };
    let case = match cases::open_from_mail(app, who, draft, opening).await {
        Ok(case) => case,
        Err(
            err @ ActionError::Conflict {
                code: "mail_duplicate",
                ..
            },
        ) => return Err(err),
        Err(
            err @ (ActionError::Validation(_)
            | ActionError::Conflict { .. }
            | ActionError::Forbidden(_)
            | ActionError::TooLarge { .. }),
        ) => {
            return Ok(decided("quarantined", None, err.to_string()));
        }
        Err(err) => return Err(err),
    };
    Ok(settled("opened", &case))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_stored_about_a_message_has_no_control_characters() {
        let raw = b"From: Wang <Wang\0@Bank.test>\r\nSubject: a\0b\tc\r\nMessage-ID: <x\0y@bank.test>\r\n\r\nbody";
        let msg = MessageParser::default().parse(&raw[..]).unwrap();
        let envelope = envelope_of(Some(&msg), raw);
        assert_eq!(envelope.message_id, "<xy@bank.test>");
        assert_eq!(envelope.from, "wang@bank.test");
        assert_eq!(envelope.subject, "ab c");
    }

    #[test]
    fn long_or_missing_message_ids_are_made_from_content() {
        let long = format!("Message-ID: <{}@bank.test>\r\n\r\nbody", "x".repeat(300));
        let msg = MessageParser::default().parse(long.as_bytes()).unwrap();
        let id = envelope_of(Some(&msg), long.as_bytes()).message_id;
        assert!(id.ends_with("@casebook.sha256>") && id.len() < 100, "{id}");
        let none = envelope_of(None, b"garbage");
        assert_eq!(none.message_id, sha256_id(b"garbage"));
        assert_eq!((none.from.as_str(), none.subject.as_str()), ("", ""));
    }
}
