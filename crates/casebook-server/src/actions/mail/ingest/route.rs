//! Where a readable message goes: the case it answers (by the Message-IDs it refers to, the
//! signed reply token, the subject's tag; for a case merged into another, the surviving case)
//! if its sender may see that case, a new case, or the quarantine with the reason; and who its
//! sender is to Casebook.

use casebook_domain::CaseNumber;
use casebook_domain::case::{Case, CaseDraft};
use casebook_domain::mail::{MailDisposition, automatic_reason, case_in_subject, new_part};
use casebook_domain::mail_auth::{SenderAuth, sender_auth};
use casebook_domain::timeline::CommentDraft;
use casebook_domain::users::User;
use casebook_store::mail::{self, Disposition, NewMail};
use casebook_store::{contacts, users};
use mail_parser::{Message, MimeHeaders};

use crate::actions::cases::attachments::Upload;
use crate::actions::{ActionError, ActionResult, cases, cases::comments};
use crate::app::App;
use crate::config::{ForeignReplies, MailConfig, UnknownSenders};
use crate::policy::{AuthVia, Principal};

fn header<'a>(msg: &'a Message<'a>, name: &str) -> Option<&'a str> {
    msg.header_raw(name.to_owned())
}

/// Why the trusted MTA's `Authentication-Results` (`mail.authserv_id`) fail the sender, if
/// they do; nothing is checked without `authserv_id`.
fn failed_authentication(msg: &Message<'_>, limits: &MailConfig) -> Option<String> {
    if limits.authserv_id.is_empty() {
        return None;
    }
    // Every header, top down, each as text (a header that is not UTF-8 still ends a group).
    let headers: Vec<(&str, String)> = msg
        .headers()
        .iter()
        .map(|h| {
            let raw = msg
                .raw_message
                .get(h.offset_start as usize..h.offset_end as usize)
                .unwrap_or_default();
            (h.name.as_str(), String::from_utf8_lossy(raw).into_owned())
        })
        .collect();
    let verdict = sender_auth(
        headers.iter().map(|(name, value)| (*name, value.as_str())),
        &limits.authserv_id,
        limits.auth_failing,
    );
    match verdict {
        SenderAuth::Failed(result) => Some(format!(
            "sender authentication failed at {}: {result}",
            limits.authserv_id
        )),
        SenderAuth::NotFailed | SenderAuth::Unchecked => None,
    }
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
    match crate::actions::accounts::users::create(app, &Principal::system("mail"), draft).await {
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
pub(super) struct Decision {
    pub(super) stored: Disposition,
    pub(super) number: Option<CaseNumber>,
    pub(super) kept: bool,
}

pub(super) fn decided(
    disposition: MailDisposition,
    case: Option<&Case>,
    reason: impl Into<String>,
) -> Decision {
    Decision {
        stored: Disposition {
            disposition,
            case: case.map(|c| c.id),
            reason: reason.into(),
        },
        number: case.map(|c| c.number),
        kept: false,
    }
}

/// A case change that kept the message in its own transaction.
fn settled(disposition: MailDisposition, case: &Case) -> Decision {
    Decision {
        kept: true,
        ..decided(disposition, Some(case), "")
    }
}

pub(super) async fn route(
    app: &App,
    msg: &Message<'_>,
    mail: &NewMail<'_>,
) -> ActionResult<Decision> {
    let (from, subject) = (mail.from_address, mail.subject);
    if from.is_empty() {
        return Ok(decided(
            MailDisposition::Quarantined,
            None,
            "no sender address",
        ));
    }
    if let Some(reason) = automatic_reason(|name| header(msg, name)) {
        return Ok(decided(MailDisposition::Ignored, None, reason));
    }
    let limits = &app.config.mail;
    if let Some(reason) = failed_authentication(msg, limits) {
        return Ok(decided(MailDisposition::Quarantined, None, reason));
    }
    let (recent, opened) = {
        let mut db = app.store.read().await?;
        let since = app.clock.now() - jiff::SignedDuration::from_hours(1);
        mail::sent_by(&mut db, from, since).await?
    };
    // The count with this message.
    if recent as usize + 1 > limits.max_messages_per_sender_hour {
        return Ok(decided(
            MailDisposition::Quarantined,
            None,
            format!(
                "more than {} messages from {from} in an hour (mail.max_messages_per_sender_hour)",
                limits.max_messages_per_sender_hour
            ),
        ));
    }
    let text = crate::actions::mail::body::body_text(msg);
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
    let key = crate::actions::notify::tokens::signing_key(app).await?;
    let by_token = crate::actions::notify::tokens::case_in_reply_token(&key, &text);
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
            MailDisposition::Quarantined,
            None,
            format!("contact {name} may not open or answer cases"),
        )),
        (Some(number), Sender::User(user)) => {
            let who = Principal::user(&user, AuthVia::Mail)?;
            for candidate in &named {
                // A reply to a case merged into another joins the surviving case.
                let found = match cases::get(app, &who, *candidate).await {
                    Ok(case) => cases::merge::surviving(app, &who, case).await,
                    Err(err) => Err(err),
                };
                match found {
                    Ok(case) => {
                        let NewCaseMail { body, files, .. } = new_mail;
                        return reply(app, &who, &case, mail, body, files).await;
                    }
                    Err(ActionError::NotFound(_)) => {}
                    Err(err) => return Err(err),
                }
            }
            if limits.foreign_replies == ForeignReplies::NewCase {
                let who = (!user.role.is_staff()).then_some(who);
                return case_for(app, who.as_ref(), new_mail).await;
            }
            Ok(decided(
                MailDisposition::Quarantined,
                None,
                format!("{from} may not see case {number}"),
            ))
        }
        (Some(number), Sender::Unknown) if limits.foreign_replies != ForeignReplies::NewCase => {
            Ok(decided(
                MailDisposition::Quarantined,
                None,
                format!("unknown sender {from} replied to case {number}"),
            ))
        }
        (_, Sender::Unknown) => case_for(app, None, new_mail).await,
        (None, Sender::User(user)) if !user.role.is_staff() => {
            let who = Principal::user(&user, AuthVia::Mail)?;
            case_for(app, Some(&who), new_mail).await
        }
        (None, Sender::User(_)) => Ok(decided(
            MailDisposition::Quarantined,
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
            MailDisposition::Quarantined,
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
    if limits.unknown_senders == UnknownSenders::Quarantine {
        return Ok(decided(
            MailDisposition::Quarantined,
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
            MailDisposition::Quarantined,
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
        Ok(()) => Ok(settled(MailDisposition::Threaded, case)),
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
        ) => Ok(decided(
            MailDisposition::Quarantined,
            Some(case),
            err.to_string(),
        )),
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
        Err(err) => return Ok(decided(MailDisposition::Quarantined, None, err.to_string())),
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
            return Ok(decided(MailDisposition::Quarantined, None, err.to_string()));
        }
        Err(err) => return Err(err),
    };
    Ok(settled(MailDisposition::Opened, &case))
}
