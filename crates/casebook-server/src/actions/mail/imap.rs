//! Mail coming in from IMAP mailboxes, the second way in besides `casebook mail ingest` from an
//! MTA. A poll logs in, selects the folder and takes its unseen messages by UID in bounded
//! batches, each through the same [`ingest::ingest`] as piped mail. A message is flagged
//! `\Seen`, moved or deleted (`after`) only once `ingest` has returned: one that could not be
//! stored (the database is down) stays unseen and the next poll takes it again; one stored but
//! not yet marked (the connection dropped) comes again and is answered `duplicate`. Bodies are
//! fetched with `BODY.PEEK[]`, which marks nothing, and only up to one byte past
//! `mail.max_message_bytes`.
//!
//! A message over `mail.max_message_bytes` cannot be bounced from here. It is refused
//! (`mail.oversized = "refuse"`, the default): only its first 64 KB are fetched, for the
//! refusal's record (sender, subject, size), and it is never moved or deleted, whatever `after`
//! says, but flagged `\Seen` and `\Flagged` where it is, for a person to deal with in a mail
//! client. With `oversized = "quarantine"` every message is fetched whole and an oversized one
//! is kept whole in the quarantine, then marked as `after` says.
//!
//! [`watch`] keeps one connection per mailbox for the server: poll, then wait with IDLE (where
//! the server offers it and `idle` is on) or sleep, for at most `poll_interval_secs`; after an
//! error it reconnects with a growing wait.

mod connect;
mod wire;

use std::convert::Infallible;
use std::fmt::Display;
use std::time::Duration;

use async_imap::Session;
use async_imap::types::{Fetch, UnsolicitedResponse};
use futures_util::TryStreamExt;
use serde::Serialize;

use self::connect::{Stream, connect};
use self::wire::{batches, fetched_size, mailbox_name, uid_set};
use crate::actions::ActionError;
use crate::actions::mail::ingest::{self, HEADERS_READ};
use crate::app::App;
use crate::config::{ImapAfter, ImapMailbox, Oversized};

/// What one poll of a mailbox did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Polled {
    /// Unseen messages fetched from the server.
    pub fetched: usize,
    /// Messages stored (whatever became of them); each was then marked as `after` says.
    pub stored: usize,
    /// Messages refused for their size: not stored, left in the folder flagged `\Seen` and
    /// `\Flagged`.
    #[serde(skip_serializing_if = "is_zero")]
    pub refused: usize,
    /// Messages that could not be stored; they stay unseen for the next poll.
    pub failed: usize,
    /// Why the first of them failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A mailbox that could not be read: the server is unreachable, refused the login or a command,
/// or did not answer in time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("IMAP mailbox {mailbox:?}: cannot {doing}: {detail}")]
pub struct MailboxError {
    /// The mailbox's configured name.
    pub mailbox: String,
    /// What was being done.
    pub doing: String,
    /// What went wrong.
    pub detail: String,
}

/// Most UIDs whose sizes are asked in one command.
const SIZE_QUERY_UIDS: usize = 500;
/// IDLE is ended and issued again at least this often (servers drop idle clients after 30).
const IDLE_AT_MOST: Duration = Duration::from_secs(25 * 60);
/// The longest wait before reconnecting after errors.
const RECONNECT_AT_MOST: Duration = Duration::from_secs(300);
/// The slowest transfer a body fetch is given time for, in bytes per second.
const SLOWEST_BYTES_PER_SEC: u64 = 64 * 1024;

/// A logged-in session with the folder selected, and what the server can do.
struct Connected {
    session: Session<Stream>,
    can_move: bool,
    can_idle: bool,
    uidplus: bool,
}

/// Polls a mailbox once: connects, takes every unseen message, logs out.
pub async fn poll_once(app: &App, mailbox: &ImapMailbox) -> Result<Polled, MailboxError> {
    let mut conn = open(mailbox).await?;
    let polled = take_unseen(app, mailbox, &mut conn).await;
    if polled.is_ok() {
        // The messages are handled; a failed goodbye changes nothing.
        let _ = step(mailbox, "log out", conn.session.logout()).await;
    }
    polled
}

/// Watches a mailbox until the task is cancelled: polls, waits for new mail (IDLE or sleep),
/// and reconnects with a growing wait after errors.
pub async fn watch(app: &App, mailbox: &ImapMailbox) {
    let mut failures = 0u32;
    loop {
        let Err(err) = serve_connection(app, mailbox, &mut failures).await;
        failures = failures.saturating_add(1);
        let wait = reconnect_wait(failures);
        tracing::warn!(mailbox = %mailbox.name, error = %err, retry_in_secs = wait.as_secs(), "IMAP mailbox failed; reconnecting");
        tokio::time::sleep(wait).await;
    }
}

/// The wait before reconnecting after `failures` errors in a row: 1, 2, 4 … seconds, at most
/// five minutes.
pub fn reconnect_wait(failures: u32) -> Duration {
    let secs = 1u64 << failures.saturating_sub(1).min(16);
    Duration::from_secs(secs).min(RECONNECT_AT_MOST)
}

/// Serves one connection until an error. `failures` is cleared once a poll went through, so a
/// mailbox that fails right after connecting still waits longer each time.
async fn serve_connection(
    app: &App,
    mailbox: &ImapMailbox,
    failures: &mut u32,
) -> Result<Infallible, MailboxError> {
    let mut conn = open(mailbox).await?;
    tracing::info!(mailbox = %mailbox.name, idle = mailbox.idle && conn.can_idle, "IMAP mailbox connected");
    loop {
        let polled = take_unseen(app, mailbox, &mut conn).await?;
        *failures = 0;
        if polled.fetched > 0 {
            tracing::info!(mailbox = %mailbox.name, fetched = polled.fetched, stored = polled.stored, failed = polled.failed, "IMAP mail taken in");
        }
        conn = wait_for_mail(mailbox, conn).await?;
    }
}

/// Waits up to `poll_interval_secs` for new mail: with IDLE where possible, else by sleeping.
/// Mail the server announced since the last search (during the poll, or as IDLE began) ends
/// the wait at once.
async fn wait_for_mail(mailbox: &ImapMailbox, conn: Connected) -> Result<Connected, MailboxError> {
    let interval = Duration::from_secs(mailbox.poll_interval_secs);
    let news = conn.session.unsolicited_responses.clone();
    let any_news = || has_news(news.is_full(), || news.try_recv().ok());
    if any_news() {
        return Ok(conn);
    }
    if !(mailbox.idle && conn.can_idle) {
        tokio::time::sleep(interval).await;
        return Ok(conn);
    }
    let Connected {
        session,
        can_move,
        can_idle,
        uidplus,
    } = conn;
    let mut idle = session.idle();
    step(mailbox, "start IDLE", idle.init()).await?;
    if !any_news() {
        let wait = interval.min(IDLE_AT_MOST);
        let (woken, _stop) = idle.wait_with_timeout(wait);
        // The server's keep-alives restart the inner timeout; this one bounds the whole wait.
        if let Ok(Err(err)) = tokio::time::timeout(wait, woken).await {
            return Err(failed(mailbox, "wait with IDLE", err));
        }
    }
    let session = step(mailbox, "end IDLE", idle.done()).await?;
    Ok(Connected {
        session,
        can_move,
        can_idle,
        uidplus,
    })
}

fn failed(mailbox: &ImapMailbox, doing: &str, detail: impl Display) -> MailboxError {
    MailboxError {
        mailbox: mailbox.name.clone(),
        doing: doing.to_owned(),
        detail: detail.to_string(),
    }
}

/// Runs one network step within the mailbox's timeout.
async fn step<T, E: Display>(
    mailbox: &ImapMailbox,
    doing: &str,
    work: impl Future<Output = Result<T, E>>,
) -> Result<T, MailboxError> {
    step_within(
        mailbox,
        doing,
        Duration::from_secs(mailbox.timeout_secs),
        work,
    )
    .await
}

async fn step_within<T, E: Display>(
    mailbox: &ImapMailbox,
    doing: &str,
    limit: Duration,
    work: impl Future<Output = Result<T, E>>,
) -> Result<T, MailboxError> {
    match tokio::time::timeout(limit, work).await {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(err)) => Err(failed(mailbox, doing, err)),
        Err(_) => Err(failed(
            mailbox,
            doing,
            format!("no answer within {} seconds", limit.as_secs()),
        )),
    }
}

/// Connects, logs in, learns the capabilities and selects the folder (creating `move_to`).
async fn open(mailbox: &ImapMailbox) -> Result<Connected, MailboxError> {
    let client = step(mailbox, "connect", connect(mailbox)).await?;
    let login = client.login(&mailbox.username, &mailbox.password);
    let mut session = step(mailbox, &format!("log in as {}", mailbox.username), async {
        login.await.map_err(|(err, _)| err)
    })
    .await?;
    let capabilities = step(mailbox, "ask the capabilities", session.capabilities()).await?;
    let folder = mailbox_name(&mailbox.folder);
    step(
        mailbox,
        &format!("select the folder {:?}", mailbox.folder),
        session.select(&folder),
    )
    .await?;
    if mailbox.after == ImapAfter::Move {
        // Answered NO when the folder exists; a folder that really cannot be made shows when
        // the first message is moved.
        let _ = step(
            mailbox,
            "create the folder",
            session.create(mailbox_name(&mailbox.move_to)),
        )
        .await;
    }
    Ok(Connected {
        session,
        can_move: capabilities.has_str("MOVE"),
        can_idle: capabilities.has_str("IDLE"),
        uidplus: capabilities.has_str("UIDPLUS"),
    })
}

/// Takes every unseen message of the selected folder, batch by batch. Stops early when the
/// database is unavailable: the rest waits for the next poll.
async fn take_unseen(
    app: &App,
    mailbox: &ImapMailbox,
    conn: &mut Connected,
) -> Result<Polled, MailboxError> {
    forget_news(&conn.session);
    let unseen = step(
        mailbox,
        "search for unseen messages",
        conn.session.uid_search("UNSEEN"),
    )
    .await?;
    let mut uids: Vec<u32> = unseen.into_iter().collect();
    uids.sort_unstable();
    let limit = app.config.mail.max_message_bytes as u64;
    let whole = app.config.mail.oversized == Oversized::Quarantine;
    let mut polled = Polled::default();
    for chunk in uids.chunks(SIZE_QUERY_UIDS) {
        let sizes = sizes_of(mailbox, conn, chunk).await?;
        // Messages to refuse for their size: only their headers are needed.
        let (over, within): (Vec<_>, Vec<_>) = sizes
            .iter()
            .copied()
            .partition(|(_, size)| !whole && *size > limit);
        let most = (!whole).then_some(limit + 1);
        let groups = batches(&over, Some(HEADERS_READ as u64))
            .into_iter()
            .map(|batch| (batch, Some(HEADERS_READ as u64)))
            .chain(
                batches(&within, most)
                    .into_iter()
                    .map(|batch| (batch, most)),
            );
        for (batch, most) in groups {
            let sized: Vec<(u32, u64)> = sizes
                .iter()
                .filter(|(uid, _)| batch.contains(uid))
                .copied()
                .collect();
            let fetched = fetch_bodies(mailbox, conn, &sized, most).await?;
            let (taken, go_on) =
                ingest_each(app, mailbox, &fetched, &sized, most, &mut polled).await;
            mark(mailbox, conn, &taken.stored).await?;
            flag_refused(mailbox, conn, &taken.refused).await?;
            if !go_on {
                return Ok(polled);
            }
        }
    }
    Ok(polled)
}

/// The size of each message, by UID (messages gone meanwhile are not listed).
async fn sizes_of(
    mailbox: &ImapMailbox,
    conn: &mut Connected,
    uids: &[u32],
) -> Result<Vec<(u32, u64)>, MailboxError> {
    let set = uid_set(uids);
    let fetches: Vec<Fetch> = step(mailbox, "ask the message sizes", async {
        conn.session
            .uid_fetch(&set, "(UID RFC822.SIZE)")
            .await?
            .try_collect()
            .await
    })
    .await?;
    Ok(fetches
        .iter()
        .filter_map(|f| Some((f.uid?, u64::from(f.size?))))
        .filter(|(uid, _)| uids.binary_search(uid).is_ok())
        .collect())
}

/// Fetches the messages of a batch (UID and size) without marking them (`BODY.PEEK`), whole
/// or each up to `most` bytes; time is given for a slow link.
async fn fetch_bodies(
    mailbox: &ImapMailbox,
    conn: &mut Connected,
    batch: &[(u32, u64)],
    most: Option<u64>,
) -> Result<Vec<Fetch>, MailboxError> {
    let uids: Vec<u32> = batch.iter().map(|(uid, _)| *uid).collect();
    let set = uid_set(&uids);
    let query = match most {
        Some(most) => format!("(UID BODY.PEEK[]<0.{}>)", most.min(u64::from(u32::MAX))),
        None => "(UID BODY.PEEK[])".to_owned(),
    };
    let expected: u64 = batch
        .iter()
        .map(|(_, size)| fetched_size(*size, most))
        .sum();
    let within = Duration::from_secs(mailbox.timeout_secs + expected / SLOWEST_BYTES_PER_SEC);
    step_within(mailbox, "fetch messages", within, async {
        conn.session
            .uid_fetch(&set, &query)
            .await?
            .try_collect()
            .await
    })
    .await
}

/// The UIDs of a batch by what became of them.
#[derive(Debug, Default)]
struct Taken {
    /// Stored, to be marked as `after` says.
    stored: Vec<u32>,
    /// Refused for their size, to be left where they are, flagged.
    refused: Vec<u32>,
}

/// Stores each fetched message of the batch (UID and size as the server gave it; each fetched
/// whole or up to `most` bytes). Returns the UIDs stored and refused, and whether to go on (not
/// when the database is unavailable).
async fn ingest_each(
    app: &App,
    mailbox: &ImapMailbox,
    fetched: &[Fetch],
    batch: &[(u32, u64)],
    most: Option<u64>,
    polled: &mut Polled,
) -> (Taken, bool) {
    let messages: Vec<(u32, u64, &[u8])> = fetched
        .iter()
        .filter_map(|f| {
            let uid = f.uid?;
            let (_, size) = batch.iter().find(|(u, _)| *u == uid)?;
            Some((uid, *size, f.body()?))
        })
        .collect();
    polled.fetched += messages.len();
    let mut taken = Taken::default();
    for (uid, server_size, raw) in messages {
        // A message fetched only in part is as large as the server says, at least; one fetched
        // whole is what came.
        let cut = most.is_some_and(|most| raw.len() as u64 >= most);
        let size = if cut {
            server_size.max(raw.len() as u64)
        } else {
            raw.len() as u64
        };
        let arrived = ingest::Arrived {
            raw,
            size,
            source: ingest::Source::Mailbox(&mailbox.name),
        };
        match ingest::ingest_arrived(app, arrived).await {
            Ok(done) if done.is_refused() => {
                tracing::warn!(mailbox = %mailbox.name, uid, size, "IMAP message refused for its size; it stays in the folder, flagged");
                polled.refused += 1;
                taken.refused.push(uid);
            }
            Ok(done) => {
                tracing::debug!(mailbox = %mailbox.name, uid, disposition = %done.disposition, case = ?done.case, "IMAP message stored");
                polled.stored += 1;
                taken.stored.push(uid);
            }
            Err(err) => {
                tracing::warn!(mailbox = %mailbox.name, uid, error = %err, "IMAP message not stored; it stays unseen for the next poll");
                polled.failed += 1;
                polled.error.get_or_insert_with(|| err.to_string());
                if matches!(err, ActionError::Unavailable(_)) {
                    return (taken, false);
                }
            }
        }
    }
    (taken, true)
}

/// Leaves refused messages where they are, flagged `\Seen` (not taken again) and `\Flagged`
/// (for a person to see in a mail client).
async fn flag_refused(
    mailbox: &ImapMailbox,
    conn: &mut Connected,
    uids: &[u32],
) -> Result<(), MailboxError> {
    if uids.is_empty() {
        return Ok(());
    }
    add_flag(mailbox, conn, &uid_set(uids), "\\Seen \\Flagged").await
}

/// Marks stored messages as `after` says: `\Seen`; moved (flagged `\Seen` first, so the copy
/// reads as handled); or deleted.
async fn mark(
    mailbox: &ImapMailbox,
    conn: &mut Connected,
    uids: &[u32],
) -> Result<(), MailboxError> {
    if uids.is_empty() {
        return Ok(());
    }
    let set = uid_set(uids);
    match mailbox.after {
        ImapAfter::Seen => add_flag(mailbox, conn, &set, "\\Seen").await,
        ImapAfter::Move => {
            add_flag(mailbox, conn, &set, "\\Seen").await?;
            move_to(mailbox, conn, &set).await
        }
        ImapAfter::Delete => {
            add_flag(mailbox, conn, &set, "\\Deleted").await?;
            expunge(mailbox, conn, &set).await
        }
    }
}

async fn add_flag(
    mailbox: &ImapMailbox,
    conn: &mut Connected,
    set: &str,
    flag: &str,
) -> Result<(), MailboxError> {
    let query = format!("+FLAGS.SILENT ({flag})");
    step(mailbox, &format!("flag messages {flag}"), async {
        conn.session
            .uid_store(set, &query)
            .await?
            .try_collect::<Vec<_>>()
            .await
    })
    .await
    .map(drop)
}

/// `UID MOVE` where the server has it; else copy, flag `\Deleted` and expunge.
async fn move_to(
    mailbox: &ImapMailbox,
    conn: &mut Connected,
    set: &str,
) -> Result<(), MailboxError> {
    let target = mailbox_name(&mailbox.move_to);
    let doing = format!("move messages to {:?}", mailbox.move_to);
    if conn.can_move {
        return step(mailbox, &doing, conn.session.uid_mv(set, &target)).await;
    }
    step(mailbox, &doing, conn.session.uid_copy(set, &target)).await?;
    add_flag(mailbox, conn, set, "\\Deleted").await?;
    expunge(mailbox, conn, set).await
}

/// Removes the `\Deleted` messages: only these UIDs where the server has UIDPLUS, else every
/// message flagged `\Deleted` in the folder.
async fn expunge(
    mailbox: &ImapMailbox,
    conn: &mut Connected,
    set: &str,
) -> Result<(), MailboxError> {
    let uidplus = conn.uidplus;
    let session = &mut conn.session;
    step(mailbox, "expunge messages", async {
        if uidplus {
            session
                .uid_expunge(set)
                .await?
                .try_collect::<Vec<_>>()
                .await
        } else {
            session.expunge().await?.try_collect::<Vec<_>>().await
        }
    })
    .await
    .map(drop)
}

/// Forgets the server's announcements so far (a search follows that sees their messages).
fn forget_news(session: &Session<Stream>) {
    while session.unsolicited_responses.try_recv().is_ok() {}
}

/// Whether the server announced new messages, reading its announcements (`next`) to the end.
/// A full queue counts too: an announcement may have been dropped.
fn has_news(full: bool, mut next: impl FnMut() -> Option<UnsolicitedResponse>) -> bool {
    let mut new_mail = full;
    while let Some(response) = next() {
        new_mail |= matches!(
            response,
            UnsolicitedResponse::Exists(_) | UnsolicitedResponse::Recent(_)
        );
    }
    new_mail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnecting_waits_longer_up_to_five_minutes() {
        assert_eq!(reconnect_wait(1), Duration::from_secs(1));
        assert_eq!(reconnect_wait(4), Duration::from_secs(8));
        assert_eq!(reconnect_wait(40), Duration::from_secs(300));
    }
}
