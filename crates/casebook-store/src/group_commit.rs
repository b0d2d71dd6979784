//! Group commit for SQLite. SQLite has one writer at a time, so every write transaction of this
//! process runs on one connection. Instead of a transaction (and an fsync) per write, writers
//! that queue for the connection share one transaction: each runs inside its own SAVEPOINT, and
//! the last writer in the queue commits for all of them. A writer is acknowledged only when
//! that COMMIT has succeeded, so nothing acknowledged is ever lost; a writer that fails or is
//! dropped rolls back to its savepoint and leaves the others untouched.
//!
//! Progress does not depend on the next writer arriving: a committed member that is not told
//! the outcome within [`GROUP_WAIT`] takes the connection and commits the group itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sqlx::SqliteConnection;
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

use crate::error::{StoreError, StoreResult};

/// Most members in one group.
const MAX_MEMBERS: usize = 64;
/// Longest time a group stays open while writers keep arriving.
const MAX_GROUP_AGE: Duration = Duration::from_millis(10);
/// How long a committed member waits before committing the group itself.
const GROUP_WAIT: Duration = Duration::from_millis(20);

type Outcome = Result<(), String>;

/// The writer connection and the open group transaction.
struct State {
    conn: SqliteConnection,
    /// When the open group transaction began.
    open_since: Option<Instant>,
    /// Whether a member's savepoint is open (its holder was dropped without finishing).
    member_open: bool,
    /// Members that finished their work and wait for the group's COMMIT.
    waiting: Vec<oneshot::Sender<Outcome>>,
}

/// The shared writer of an SQLite store.
#[derive(Clone)]
pub(crate) struct Writer {
    state: Arc<Mutex<State>>,
    queued: Arc<AtomicUsize>,
    acquire_timeout: Duration,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Writer")
    }
}

/// Counts a writer waiting for the connection, also when its wait is cancelled.
struct Ticket(Arc<AtomicUsize>);

impl Ticket {
    fn new(queued: &Arc<AtomicUsize>) -> Self {
        queued.fetch_add(1, Ordering::SeqCst);
        Ticket(queued.clone())
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn exec(conn: &mut SqliteConnection, sql: &'static str) -> StoreResult<()> {
    sqlx::query(sql).execute(conn).await?;
    Ok(())
}

impl State {
    /// Undoes the savepoint of a member that was dropped without finishing. If SQLite has
    /// already rolled the whole transaction back (a full disk, an I/O error), the savepoint is
    /// gone: the group is aborted and its waiting members are told.
    async fn recover(&mut self) {
        if !self.member_open {
            return;
        }
        self.member_open = false;
        let undone = match exec(&mut self.conn, "ROLLBACK TO member").await {
            Ok(()) => exec(&mut self.conn, "RELEASE member").await,
            Err(e) => Err(e),
        };
        if let Err(e) = undone {
            self.abort_group(format!("a failed write could not be undone: {e}"))
                .await;
        }
    }

    /// Commits the group and tells every waiting member the outcome.
    async fn commit_group(&mut self) {
        if self.open_since.is_none() {
            return;
        }
        let outcome = match exec(&mut self.conn, "COMMIT").await {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = exec(&mut self.conn, "ROLLBACK").await;
                Err(format!("the group commit failed: {e}"))
            }
        };
        self.open_since = None;
        for member in self.waiting.drain(..) {
            let _ = member.send(outcome.clone());
        }
    }

    /// Ends the group if no other writer is queued to do it: commits the members that wait, or
    /// closes a transaction that has none.
    async fn settle(&mut self, queued: &AtomicUsize) {
        if queued.load(Ordering::SeqCst) > 0 || self.open_since.is_none() {
            return;
        }
        self.recover().await;
        if self.open_since.is_none() {
            return;
        }
        if self.waiting.is_empty() {
            let _ = exec(&mut self.conn, "ROLLBACK").await;
            self.open_since = None;
        } else {
            self.commit_group().await;
        }
    }

    /// Rolls the whole group back and tells its members.
    async fn abort_group(&mut self, reason: String) {
        let _ = exec(&mut self.conn, "ROLLBACK").await;
        self.open_since = None;
        self.member_open = false;
        for member in self.waiting.drain(..) {
            let _ = member.send(Err(reason.clone()));
        }
    }
}

impl Writer {
    /// Wraps a connection (already configured with WAL, foreign keys and the sync level).
    pub(crate) fn new(conn: SqliteConnection, acquire_timeout: Duration) -> Self {
        let state = State {
            conn,
            open_since: None,
            member_open: false,
            waiting: Vec::new(),
        };
        Writer {
            state: Arc::new(Mutex::new(state)),
            queued: Arc::new(AtomicUsize::new(0)),
            acquire_timeout,
        }
    }

    /// Runs `f` on the connection outside any group (migrations, maintenance).
    pub(crate) async fn exclusive<T>(
        &self,
        f: impl AsyncFnOnce(&mut SqliteConnection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut state = self.state.lock().await;
        state.recover().await;
        state.commit_group().await;
        f(&mut state.conn).await
    }

    /// Joins (or opens) the group transaction and opens this member's savepoint.
    pub(crate) async fn begin(&self) -> StoreResult<Member> {
        let ticket = Ticket::new(&self.queued);
        let mut state = tokio::time::timeout(self.acquire_timeout, self.state.clone().lock_owned())
            .await
            .map_err(|_| {
                StoreError::Unavailable("too many writes are waiting for the database".into())
            })?;
        drop(ticket);
        state.recover().await;
        if state.open_since.is_none() {
            exec(&mut state.conn, "BEGIN IMMEDIATE").await?;
            state.open_since = Some(Instant::now());
        }
        if let Err(e) = exec(&mut state.conn, "SAVEPOINT member").await {
            state.settle(&self.queued).await;
            return Err(e);
        }
        state.member_open = true;
        Ok(Member {
            state: Some(state),
            writer: self.clone(),
        })
    }
}

/// One writer's part of a group transaction.
pub(crate) struct Member {
    state: Option<OwnedMutexGuard<State>>,
    writer: Writer,
}

impl Member {
    /// The writer connection.
    pub(crate) fn conn(&mut self) -> &mut SqliteConnection {
        &mut self
            .state
            .as_mut()
            .expect("a member holds the writer until it finishes")
            .conn
    }

    /// Keeps this member's work and returns once the group containing it is committed.
    pub(crate) async fn commit(mut self) -> StoreResult<()> {
        let mut state = self.state.take().expect("a member commits once");
        if let Err(e) = exec(&mut state.conn, "RELEASE member").await {
            // The member's work cannot be kept; undo it and let the group go on.
            state.recover().await;
            state.settle(&self.writer.queued).await;
            return Err(e);
        }
        state.member_open = false;
        let (tell, mut outcome) = oneshot::channel();
        state.waiting.push(tell);
        let full = state.waiting.len() >= MAX_MEMBERS
            || state
                .open_since
                .is_some_and(|t| t.elapsed() >= MAX_GROUP_AGE);
        if full || self.writer.queued.load(Ordering::SeqCst) == 0 {
            state.commit_group().await;
        }
        drop(state);
        loop {
            match tokio::time::timeout(GROUP_WAIT, &mut outcome).await {
                Ok(Ok(result)) => return result.map_err(StoreError::Unavailable),
                Ok(Err(_)) => {
                    return Err(StoreError::Unavailable(
                        "the group commit was abandoned".into(),
                    ));
                }
                Err(_) => {
                    // Nobody committed the group in time: do it ourselves.
                    let mut state = self.writer.state.lock().await;
                    state.recover().await;
                    state.commit_group().await;
                }
            }
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        let Some(mut state) = self.state.take() else {
            return;
        };
        let queued = self.writer.queued.clone();
        // Undo this member's savepoint now if a runtime is there; otherwise the next writer does.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                state.recover().await;
                state.settle(&queued).await;
            });
        }
    }
}
