//! What staff see of the mail channel: the quarantine (staff) and deliveries that failed
//! (administrators). A reviewer reads a quarantined message and decides once: release it into a
//! case (as its sender's reply when the sender may see the case, otherwise as an internal note
//! quoting the sender), open a case with it for an organisation, or discard it. A message over
//! a limit can only be discarded (its raw form stays for download). Staff also see the mail
//! refused for its size (not kept; who sent what, how large, which way it came).

use casebook_domain::CaseNumber;
use casebook_domain::case::{Case, CaseDraft};
use casebook_domain::ids::{ContactId, OrganizationId};
use casebook_domain::mail::{MailDisposition, new_part};
use casebook_domain::policy::Permission;
use casebook_domain::timeline::CommentDraft;
use casebook_store::mail::{self, Disposition, Quarantined, StoredMail};
use casebook_store::{mail_refusals, notifications};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::actions::cases::attachments::Upload;
use crate::actions::{ActionError, ActionResult, cases, cases::comments};
use crate::app::App;
use crate::policy::{AuthVia, Principal, require};

/// A quarantined message in the list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuarantineItem {
    /// Id.
    pub id: i64,
    /// Sender.
    pub from_address: String,
    /// Subject.
    pub subject: String,
    /// Why it is held.
    pub reason: String,
    /// Size as received.
    pub size: i64,
    /// When it arrived.
    #[schema(value_type = String, format = DateTime)]
    pub received_at: jiff::Timestamp,
}

impl From<Quarantined> for QuarantineItem {
    fn from(q: Quarantined) -> Self {
        QuarantineItem {
            id: q.id,
            from_address: q.from_address,
            subject: q.subject,
            reason: q.reason,
            size: q.size,
            received_at: q.received_at,
        }
    }
}

/// The newest quarantined messages (staff).
pub async fn quarantine(app: &App, who: &Principal, limit: i64) -> ActionResult<Vec<Quarantined>> {
    require(who, Permission::WorkCases)?;
    let mut db = app.store.read().await?;
    Ok(mail::quarantined(&mut db, limit.clamp(1, 200)).await?)
}

/// A message refused for its size, as staff see it (the message itself is not kept).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RefusedMail {
    /// Id.
    pub id: i64,
    /// Its Message-ID.
    pub message_id: String,
    /// Sender.
    pub from_address: String,
    /// Subject.
    pub subject: String,
    /// Size as received, in bytes.
    pub size: i64,
    /// Why it was refused.
    pub reason: String,
    /// `pipe` (the MTA bounced it to its sender) or `imap:` and the mailbox's name (it stays
    /// there, flagged).
    pub source: String,
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub refused_at: jiff::Timestamp,
}

impl From<mail_refusals::Refusal> for RefusedMail {
    fn from(r: mail_refusals::Refusal) -> Self {
        RefusedMail {
            id: r.id,
            message_id: r.message_id,
            from_address: r.from_address,
            subject: r.subject,
            size: r.size,
            reason: r.reason,
            source: r.source,
            refused_at: r.refused_at,
        }
    }
}

/// The newest refusals of mail too large to take (staff).
pub async fn refused(app: &App, who: &Principal, limit: i64) -> ActionResult<Vec<RefusedMail>> {
    require(who, Permission::WorkCases)?;
    let mut db = app.store.read().await?;
    Ok(mail_refusals::newest(&mut db, limit.clamp(1, 200))
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// A queued message whose delivery failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedDelivery {
    /// Outbox id.
    pub id: i64,
    /// Recipient.
    pub recipient: String,
    /// Subject.
    pub subject: String,
    /// Attempts so far.
    pub attempts: i64,
    /// The last error.
    pub error: String,
}

/// Messages whose delivery failed and that are not sent yet, newest first (administrators).
pub async fn failed_deliveries(
    app: &App,
    who: &Principal,
    limit: i64,
) -> ActionResult<Vec<FailedDelivery>> {
    require(who, Permission::ManageUsers)?;
    let mut db = app.store.read().await?;
    Ok(notifications::failed_mail(&mut db, limit.clamp(1, 200))
        .await?
        .into_iter()
        .map(|(id, recipient, subject, attempts, error)| FailedDelivery {
            id,
            recipient,
            subject,
            attempts,
            error,
        })
        .collect())
}

/// A stored message as a reviewer reads it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MailDetail {
    /// Id.
    pub id: i64,
    /// Sender.
    pub from_address: String,
    /// Subject.
    pub subject: String,
    /// `quarantined`, or what the review made of it: `released`, `opened`, `discarded`.
    #[schema(value_type = String)]
    pub disposition: MailDisposition,
    /// Why it was quarantined, or the reviewer's note.
    pub reason: String,
    /// The case it joined or opened.
    pub case: Option<String>,
    /// Size as received.
    pub size: i64,
    /// When it arrived.
    #[schema(value_type = String, format = DateTime)]
    pub received_at: jiff::Timestamp,
    /// Its new text (quoted history folded away), if it can be read within the limits.
    pub text: Option<String>,
    /// The names of its attachments.
    pub attachments: Vec<String>,
}

/// The text and files of a stored message, or why it cannot be read.
fn readable(app: &App, stored: &StoredMail) -> Result<(String, Vec<Upload>), String> {
    if (stored.raw.len() as i64) < stored.size {
        // Kept so by a version before issue 19.
        return Err(format!(
            "it was cut at {} bytes when it arrived",
            stored.raw.len()
        ));
    }
    if stored.size as usize > app.config.mail.max_message_bytes {
        return Err(format!(
            "it is larger than {} bytes (mail.max_message_bytes); download it to read it",
            app.config.mail.max_message_bytes
        ));
    }
    let (msg, refusal) = crate::actions::mail::ingest::read_message(&app.config, &stored.raw);
    if let Some(refusal) = refusal {
        return Err(refusal.to_string());
    }
    let msg = msg.ok_or_else(|| "it is not a readable e-mail message".to_owned())?;
    let text = crate::actions::mail::body::body_text(&msg);
    Ok((
        new_part(&text),
        crate::actions::mail::ingest::uploads_of(&msg),
    ))
}

async fn stored(app: &App, id: i64) -> ActionResult<StoredMail> {
    let mut db = app.store.read().await?;
    mail::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("mail message"))
}

async fn detail(app: &App, m: StoredMail) -> ActionResult<MailDetail> {
    let readable = readable(app, &m).ok();
    let case = match m.case {
        Some(id) => {
            let mut db = app.store.read().await?;
            casebook_store::cases::number_of(&mut db, id)
                .await?
                .map(|n| n.to_string())
        }
        None => None,
    };
    Ok(MailDetail {
        id: m.id,
        from_address: m.from_address,
        subject: m.subject,
        disposition: m.disposition,
        reason: m.reason,
        case,
        size: m.size,
        received_at: m.received_at,
        attachments: readable
            .as_ref()
            .map(|(_, files)| files.iter().map(|f| f.file_name.clone()).collect())
            .unwrap_or_default(),
        text: readable.map(|(text, _)| text),
    })
}

/// One stored message (staff).
pub async fn read(app: &App, who: &Principal, id: i64) -> ActionResult<MailDetail> {
    require(who, Permission::WorkCases)?;
    let m = stored(app, id).await?;
    detail(app, m).await
}

/// The raw message as kept (staff), for download.
pub async fn raw(app: &App, who: &Principal, id: i64) -> ActionResult<Vec<u8>> {
    require(who, Permission::WorkCases)?;
    Ok(stored(app, id).await?.raw)
}

/// A quarantined message and its content, or why it cannot be taken out.
async fn quarantined_readable(
    app: &App,
    id: i64,
) -> ActionResult<(StoredMail, String, Vec<Upload>)> {
    let m = stored(app, id).await?;
    if m.disposition != MailDisposition::Quarantined {
        return Err(already_decided(&m));
    }
    let (text, files) = readable(app, &m).map_err(|why| ActionError::Conflict {
        code: "mail_unreadable",
        message: format!("the message cannot be taken into a case: {why}; discard it"),
    })?;
    Ok((m, text, files))
}

fn already_decided(m: &StoredMail) -> ActionError {
    ActionError::Conflict {
        code: "mail_reviewed",
        message: format!("the message is {} already", m.disposition),
    }
}

/// Takes a quarantined message for one reviewer (`reviewing`), so two reviewers, or a form sent
/// twice, never put it into cases twice; [`settle`] records the outcome.
async fn claim(app: &App, m: &StoredMail, who: &Principal) -> ActionResult<()> {
    let note = format!("being reviewed by {}", who.name);
    decide(app, m, MailDisposition::Reviewing, None, note).await
}

/// Records what a claimed message became; on failure it goes back to the quarantine as it was.
async fn settle<T>(
    app: &App,
    m: &StoredMail,
    outcome: ActionResult<T>,
    decision: impl FnOnce(&T) -> Disposition,
) -> ActionResult<T> {
    let decision = match &outcome {
        Ok(done) => decision(done),
        Err(_) => Disposition {
            disposition: MailDisposition::Quarantined,
            case: None,
            reason: m.reason.clone(),
        },
    };
    let mut db = app.store.write().await?;
    mail::decide(&mut db, m.id, &decision, app.clock.now()).await?;
    db.commit().await?;
    outcome
}

async fn decide(
    app: &App,
    m: &StoredMail,
    disposition: MailDisposition,
    case: Option<&Case>,
    note: String,
) -> ActionResult<()> {
    let mut db = app.store.write().await?;
    let decision = Disposition {
        disposition,
        case: case.map(|c| c.id),
        reason: note,
    };
    if !mail::review(&mut db, m.id, &decision, app.clock.now()).await? {
        return Err(already_decided(m));
    }
    db.commit().await?;
    Ok(())
}

/// The user behind a sender address who may see the case, if any.
async fn sender_on_case(
    app: &App,
    address: &str,
    number: CaseNumber,
) -> ActionResult<Option<Principal>> {
    let mut db = app.store.read().await?;
    let Some((user, _)) = casebook_store::users::find_for_sign_in(&mut db, address).await? else {
        return Ok(None);
    };
    drop(db);
    if !user.active {
        return Ok(None);
    }
    let sender = Principal::user(&user, AuthVia::Mail)?;
    match cases::get(app, &sender, number).await {
        Ok(_) => Ok(Some(sender)),
        Err(ActionError::NotFound(_)) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Releases a quarantined message into a case (staff): the sender's reply when they may see
/// the case, otherwise an internal note by the reviewer that quotes the sender.
pub async fn release(
    app: &App,
    who: &Principal,
    id: i64,
    number: CaseNumber,
) -> ActionResult<MailDetail> {
    require(who, Permission::WorkCases)?;
    let case = cases::get(app, who, number).await?;
    let (m, text, files) = quarantined_readable(app, id).await?;
    let (author, body) = match sender_on_case(app, &m.from_address, number).await? {
        Some(sender) => (sender, text),
        None => {
            let quoted = text
                .lines()
                .map(|l| format!("> {l}"))
                .collect::<Vec<_>>()
                .join("\n");
            let body = format!(
                "Mail from {} (released from the quarantine):\n\n**{}**\n\n{quoted}",
                m.from_address, m.subject
            );
            (who.clone(), body)
        }
    };
    let visibility = if author.is_staff() {
        "internal"
    } else {
        "public"
    };
    let body = if body.trim().is_empty() {
        "(empty mail)".to_owned()
    } else {
        body
    };
    let draft: CommentDraft =
        serde_json::from_value(json!({"body": body, "visibility": visibility}))
            .map_err(|e| ActionError::field("body", "invalid", e.to_string()))?;
    claim(app, &m, who).await?;
    let added = comments::add_or_attach(app, &author, number, draft, files, None).await;
    settle(app, &m, added, |_| Disposition {
        disposition: MailDisposition::Released,
        case: Some(case.id),
        reason: format!("released by {}", who.name),
    })
    .await?;
    read(app, who, id).await
}

/// How a reviewer opens a case with a quarantined message.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenFromMail {
    /// The customer organisation.
    #[schema(value_type = i64)]
    pub organization_id: OrganizationId,
    /// The contact, if the sender is one.
    #[schema(value_type = Option<i64>)]
    pub contact_id: Option<ContactId>,
    /// Severity 1–4 (default 3).
    pub severity: Option<u8>,
}

/// Opens a case with a quarantined message for an organisation (staff).
pub async fn open_case(
    app: &App,
    who: &Principal,
    id: i64,
    how: OpenFromMail,
) -> ActionResult<Case> {
    require(who, Permission::WorkCases)?;
    let (m, text, files) = quarantined_readable(app, id).await?;
    let title: String = match m.subject.trim() {
        "" => "(no subject)".into(),
        s => s.chars().take(200).collect(),
    };
    let description = format!(
        "{}\n\n(mail from {})",
        if text.trim().is_empty() {
            "(no text)"
        } else {
            text.trim()
        },
        m.from_address
    );
    let draft: CaseDraft = serde_json::from_value(json!({
        "title": title, "description": description, "severity": how.severity.unwrap_or(3),
        "channel": "email", "organization_id": how.organization_id, "contact_id": how.contact_id,
    }))
    .map_err(|e| ActionError::field("severity", "invalid", e.to_string()))?;
    claim(app, &m, who).await?;
    let opened = async {
        let case = cases::open(app, who, draft).await?;
        if !files.is_empty() {
            crate::actions::cases::attachments::add(app, who, case.number, None, files).await?;
        }
        Ok(case)
    }
    .await;
    settle(app, &m, opened, |case: &Case| Disposition {
        disposition: MailDisposition::Opened,
        case: Some(case.id),
        reason: format!("case opened by {}", who.name),
    })
    .await
}

/// Discards a quarantined message (staff); it stays stored with the reason.
pub async fn discard(
    app: &App,
    who: &Principal,
    id: i64,
    reason: &str,
) -> ActionResult<MailDetail> {
    require(who, Permission::WorkCases)?;
    let m = stored(app, id).await?;
    if m.disposition != MailDisposition::Quarantined {
        return Err(already_decided(&m));
    }
    let reason = reason.trim();
    let note = if reason.is_empty() {
        format!("discarded by {}", who.name)
    } else {
        format!(
            "discarded by {}: {}",
            who.name,
            reason.chars().take(500).collect::<String>()
        )
    };
    decide(app, &m, MailDisposition::Discarded, None, note).await?;
    read(app, who, id).await
}
