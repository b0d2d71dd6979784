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
//! A message larger than `mail.max_message_bytes` is refused: nothing of it is kept, the
//! refusal (sender, subject, size, which way it came) is recorded for staff, and the caller
//! tells the MTA to bounce it or leaves it in its IMAP mailbox. With `mail.oversized =
//! "quarantine"` it is kept whole in the quarantine instead; a cut copy is never kept.
//!
//! Before a message is parsed and after, `mail_limits` checks it against the limits of `[mail]`;
//! a message over one is kept and quarantined with the limit's name. What a message says about
//! itself (Message-ID, sender, subject) is stored without control characters and bounded.

mod envelope;
mod route;

use casebook_domain::mail::MailDisposition;
use casebook_store::mail::{self, NewMail};
use casebook_store::mail_refusals::{self, NewRefusal};
use mail_parser::MessageParser;
use serde::Serialize;

use self::envelope::{Envelope, envelope_of};
pub(crate) use self::envelope::{Refusal, read_message};
pub(crate) use self::route::uploads_of;
use self::route::{decided, route};
use crate::actions::mail::limits::Exceeded;
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::config::Oversized;

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ingested {
    /// `threaded`, `opened`, `quarantined`, `ignored`, `duplicate`, or `refused` (too large;
    /// not kept).
    pub disposition: MailDisposition,
    /// The case it joined or opened.
    pub case: Option<String>,
    /// Why (quarantined, ignored, refused).
    pub reason: String,
}

impl Ingested {
    /// Whether the message was refused for its size (and not kept).
    pub fn is_refused(&self) -> bool {
        self.disposition == MailDisposition::Refused
    }
}

/// How much of a message that is not parsed is read for its Message-ID, sender and subject.
pub const HEADERS_READ: usize = 64 * 1024;

/// Which way a message came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source<'a> {
    /// From the MTA, through `casebook mail ingest`.
    Pipe,
    /// From the IMAP mailbox of this name.
    Mailbox(&'a str),
}

impl std::fmt::Display for Source<'_> {
    /// `pipe`, or `imap:` and the mailbox's name.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Pipe => f.write_str("pipe"),
            Source::Mailbox(name) => write!(f, "imap:{name}"),
        }
    }
}

/// A message as it arrived.
#[derive(Debug, Clone, Copy)]
pub struct Arrived<'a> {
    /// All of its bytes; of a message over `mail.max_message_bytes` that is to be refused, at
    /// least the first [`HEADERS_READ`] bytes are enough.
    pub raw: &'a [u8],
    /// Its size as received, in bytes (at least `raw.len()`).
    pub size: u64,
    /// Which way it came.
    pub source: Source<'a>,
}

/// Takes one whole raw message that came through the pipe (see [`ingest_arrived`]).
pub async fn ingest(app: &App, raw: &[u8]) -> ActionResult<Ingested> {
    let arrived = Arrived {
        raw,
        size: raw.len() as u64,
        source: Source::Pipe,
    };
    ingest_arrived(app, arrived).await
}

/// Takes one message: threads it, opens a case, or quarantines or ignores it, and keeps it;
/// or, over `mail.max_message_bytes`, refuses it and records the refusal (in quarantine mode,
/// keeps it whole, or refuses it if only part of it is here).
pub async fn ingest_arrived(app: &App, arrived: Arrived<'_>) -> ActionResult<Ingested> {
    let raw = arrived.raw;
    let size = arrived.size.max(raw.len() as u64);
    let limits = &app.config.mail;
    let whole = raw.len() as u64 == size;
    if size > limits.max_message_bytes as u64 && (limits.oversized == Oversized::Refuse || !whole) {
        return refuse(app, arrived, size).await;
    }
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
    let mail = NewMail {
        message_id: &message_id,
        from_address: &from,
        subject: &subject,
        raw,
        size: i64::try_from(size).unwrap_or(i64::MAX),
    };
    let routed = match (&parsed, refusal) {
        (Some(msg), None) => route(app, msg, &mail).await,
        (_, refusal) => Ok(decided(
            MailDisposition::Quarantined,
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
            decided(
                MailDisposition::Quarantined,
                None,
                format!("not taken in: {err}"),
            )
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

/// Refuses a message over `mail.max_message_bytes`: keeps nothing of it and records who sent
/// what, how large, and which way it came (read from its first [`HEADERS_READ`] bytes).
async fn refuse(app: &App, arrived: Arrived<'_>, size: u64) -> ActionResult<Ingested> {
    let head = &arrived.raw[..arrived.raw.len().min(HEADERS_READ)];
    let headers = std::panic::catch_unwind(|| MessageParser::default().parse_headers(head))
        .ok()
        .flatten();
    let Envelope {
        message_id,
        from,
        subject,
    } = envelope_of(headers.as_ref(), head);
    let reason = Exceeded::Size(app.config.mail.max_message_bytes).to_string();
    let source = arrived.source.to_string();
    let refusal = NewRefusal {
        message_id: &message_id,
        from_address: &from,
        subject: &subject,
        size: i64::try_from(size).unwrap_or(i64::MAX),
        reason: &reason,
        source: &source,
    };
    let mut db = app.store.write().await?;
    mail_refusals::record(&mut db, &refusal, app.clock.now()).await?;
    db.commit().await?;
    tracing::warn!(message_id = %message_id, from = %from, size, source = %source, "mail refused: {reason}");
    Ok(Ingested {
        disposition: MailDisposition::Refused,
        case: None,
        reason,
    })
}

/// The answer to a message that is here already.
async fn duplicate(app: &App, message_id: &str) -> ActionResult<Ingested> {
    let mut db = app.store.read().await?;
    let earlier = mail::disposition_of(&mut db, message_id).await?;
    Ok(Ingested {
        disposition: MailDisposition::Duplicate,
        case: None,
        reason: earlier
            .map(|d| d.disposition.to_string())
            .unwrap_or_default(),
    })
}
