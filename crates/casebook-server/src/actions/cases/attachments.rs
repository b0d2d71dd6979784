//! Use cases for attachments: files added to a case on their own or with a reply, and download.

use casebook_domain::ids::{AttachmentId, CaseEventId, CaseId};
use casebook_domain::mail::MailDisposition;
use casebook_domain::policy::Visibility;
use casebook_domain::timeline::{AttachmentMeta, CaseEvent, EventKind};
use casebook_domain::{CaseNumber, Timestamp};
use casebook_store::mail::NewMail;
use casebook_store::timeline::{self, NewAttachment, NewEvent};
use casebook_store::{AuditEntry, Db, cases};
use sha2::{Digest, Sha256};

use crate::actions::cases::visible_case;
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, audience};

/// A file as received.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The name the client gave it (unsafe until cleaned).
    pub file_name: String,
    /// The media type the client declared.
    pub content_type: String,
    /// The content.
    pub content: bytes::Bytes,
}

/// Windows device names that must not be file names, whatever the extension.
const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// A display and download name that is safe anywhere: no path, no control or bidirectional
/// formatting characters, no leading dots, no reserved device names, at most 200 characters.
pub fn safe_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|&c| !c.is_control() && !casebook_domain::text::is_invisible(c))
        .map(|c| {
            if matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned
        .trim()
        .trim_start_matches('.')
        .trim_end_matches(['.', ' '])
        .to_owned();
    let mut name: String = trimmed.chars().take(200).collect();
    let stem = name
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    if RESERVED.contains(&stem.as_str()) {
        name.insert(0, '_');
    }
    if name.is_empty() {
        "attachment".to_owned()
    } else {
        name
    }
}

/// The declared media type if it looks like one, else `application/octet-stream`.
fn safe_content_type(raw: &str) -> String {
    let lower = raw.trim().to_ascii_lowercase();
    let essence = lower.split(';').next().unwrap_or_default().trim();
    let valid = essence.len() <= 100
        && essence.split_once('/').is_some_and(|(t, s)| {
            let ok = |p: &str| {
                !p.is_empty()
                    && p.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
            };
            ok(t) && ok(s)
        });
    if valid {
        essence.to_owned()
    } else {
        "application/octet-stream".to_owned()
    }
}

/// Checks the uploads against the limits before anything is written.
pub(crate) fn check_uploads(app: &App, uploads: &[Upload]) -> ActionResult<()> {
    let limits = &app.config.limits;
    if uploads.len() > limits.max_files_per_request {
        return Err(ActionError::field(
            "file",
            "too_many",
            format!("at most {} files per request", limits.max_files_per_request),
        ));
    }
    if uploads
        .iter()
        .any(|u| u.content.len() > limits.max_attachment_bytes)
    {
        return Err(ActionError::TooLarge {
            what: "an attachment",
            limit: limits.max_attachment_bytes,
        });
    }
    Ok(())
}

/// The timeline entry that files belong to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AttachTo {
    /// The case.
    pub case: CaseId,
    /// The entry.
    pub event: CaseEventId,
    /// Its visibility.
    pub visibility: Visibility,
}

/// Stores uploads and links them to a timeline entry; returns their metadata.
pub(crate) async fn store_uploads(
    app: &App,
    db: &mut Db,
    who: &Principal,
    to: AttachTo,
    uploads: &[Upload],
    now: Timestamp,
) -> ActionResult<Vec<AttachmentMeta>> {
    let AttachTo {
        case,
        event,
        visibility,
    } = to;
    let mut stored = Vec::with_capacity(uploads.len());
    for upload in uploads {
        let sha256 = hex::encode(Sha256::digest(&upload.content));
        app.blobs.put(db, &sha256, &upload.content).await?;
        let file_name = safe_file_name(&upload.file_name);
        let content_type = safe_content_type(&upload.content_type);
        let size = i64::try_from(upload.content.len())
            .map_err(|e| ActionError::Internal(e.to_string()))?;
        let new = NewAttachment {
            case_id: case,
            event_id: event,
            file_name: &file_name,
            content_type: &content_type,
            size,
            sha256: &sha256,
            storage: app.blobs.kind(),
            uploaded_by: who.user_id(),
            at: now,
        };
        let id = timeline::insert_attachment(db, &new).await?;
        stored.push(AttachmentMeta {
            id,
            event_id: event,
            file_name,
            content_type,
            size,
            sha256,
            visibility,
            uploaded_by: who.user_id().map(|id| casebook_domain::case::NamedRef {
                id,
                name: who.name.clone(),
            }),
            created_at: now,
        });
    }
    Ok(stored)
}

/// Adds files to a case without a reply. Customers add public files; staff choose.
pub async fn add(
    app: &App,
    who: &Principal,
    number: CaseNumber,
    visibility: Option<Visibility>,
    uploads: Vec<Upload>,
) -> ActionResult<CaseEvent> {
    add_from(app, who, number, visibility, uploads, None).await
}

/// [`add`], for the files of a mail, which is kept as threaded into the case in the same
/// transaction.
pub(crate) async fn add_from(
    app: &App,
    who: &Principal,
    number: CaseNumber,
    visibility: Option<Visibility>,
    uploads: Vec<Upload>,
    mail: Option<&NewMail<'_>>,
) -> ActionResult<CaseEvent> {
    if uploads.is_empty() {
        return Err(ActionError::field(
            "file",
            "required",
            "send at least one file in a part named 'file'",
        ));
    }
    check_uploads(app, &uploads)?;
    let visibility = crate::actions::cases::visibility_for(who, visibility)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let case = visible_case(&mut db, who, number).await?;
    let event = attach(app, &mut db, who, case.id, visibility, &uploads, now).await?;
    if let Some(mail) = mail {
        super::kept_with::keep_mail(&mut db, mail, MailDisposition::Threaded, case.id, now).await?;
    }
    db.commit().await?;
    Ok(event)
}

/// In a write transaction: a timeline entry with checked files, and its audit entry.
pub(crate) async fn attach(
    app: &App,
    db: &mut Db,
    who: &Principal,
    case: CaseId,
    visibility: Visibility,
    uploads: &[Upload],
    now: Timestamp,
) -> ActionResult<CaseEvent> {
    let event_id = timeline::insert(
        db,
        &NewEvent {
            case_id: case,
            kind: EventKind::Attachment,
            visibility,
            actor: who.user_id(),
            at: now,
            body: None,
            change: None,
        },
    )
    .await?;
    let to = AttachTo {
        case,
        event: event_id,
        visibility,
    };
    let attachments = store_uploads(app, db, who, to, uploads, now).await?;
    if visibility == Visibility::Public {
        cases::touch(db, case, now).await?;
    }
    let event = CaseEvent {
        id: event_id,
        kind: EventKind::Attachment,
        visibility,
        actor: who.user_id().map(|id| casebook_domain::case::NamedRef {
            id,
            name: who.name.clone(),
        }),
        at: now,
        body: None,
        change: None,
        attachments,
    };
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "case.attach",
        "case_event",
        event_id,
        None,
        Some(&event),
    ));
    Ok(event)
}

/// The attachments of a case the principal may see.
pub async fn list(
    app: &App,
    who: &Principal,
    number: CaseNumber,
) -> ActionResult<Vec<AttachmentMeta>> {
    let mut db = app.store.read().await?;
    let case = visible_case(&mut db, who, number).await?;
    Ok(timeline::list_attachments(&mut db, case.id, audience(who)).await?)
}

/// One attachment's metadata and content; internal ones do not exist for customers.
pub async fn download(
    app: &App,
    who: &Principal,
    number: CaseNumber,
    id: AttachmentId,
) -> ActionResult<(AttachmentMeta, Vec<u8>)> {
    let mut db = app.store.read().await?;
    let case = visible_case(&mut db, who, number).await?;
    let (meta, storage) = timeline::get_attachment(&mut db, case.id, id, audience(who))
        .await?
        .ok_or(ActionError::NotFound("attachment"))?;
    let content = app.blobs.get(&mut db, storage, &meta.sha256).await?;
    Ok((meta, content))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_made_safe() {
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("C:\\Users\\me\\日志.log"), "日志.log");
        assert_eq!(safe_file_name("evil\u{202E}gpj.exe"), "evilgpj.exe");
        assert_eq!(safe_file_name("a\0b.txt"), "ab.txt");
        assert_eq!(safe_file_name("CON.txt"), "_CON.txt");
        assert_eq!(safe_file_name("...hidden"), "hidden");
        assert_eq!(safe_file_name("///"), "attachment");
        assert_eq!(safe_file_name(&"x".repeat(500)).chars().count(), 200);
    }

    #[test]
    fn content_types_are_checked() {
        assert_eq!(safe_content_type("Image/PNG; charset=binary"), "image/png");
        assert_eq!(
            safe_content_type("text/html\r\nX-Evil: 1"),
            "application/octet-stream"
        );
        assert_eq!(safe_content_type(""), "application/octet-stream");
    }
}
