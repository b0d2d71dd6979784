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

mod envelope;
mod route;

use casebook_store::mail::{self, Disposition, NewMail};
use mail_parser::MessageParser;
use serde::Serialize;

use self::envelope::{Envelope, envelope_of};
pub(crate) use self::envelope::{Refusal, read_message};
pub(crate) use self::route::uploads_of;
use self::route::{decided, route};
use super::mail_limits::Exceeded;
use super::{ActionError, ActionResult};
use crate::app::App;

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
