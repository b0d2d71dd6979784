//! The call-home state a server process holds between requests: the turns that keep the batches
//! of one key in order, and the refusals counted in memory until the background loop adds them
//! to the database (so a flood of forged requests never waits for the writer).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use casebook_domain::Timestamp;
use casebook_store::call_home_watch::RefusalCount;

/// One turn per key: the batches of a key wait for each other, not for other keys. And at most
/// half the database connections' worth of batches at once: a batch holds its write connection
/// while opening a case reads on another, so more batches than that could take every
/// connection and wait for each other until the pool gives up.
#[derive(Debug)]
pub struct KeyTurns {
    turns: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
    batches: Arc<tokio::sync::Semaphore>,
}

/// A batch's turn: its key's, and one of the places for batches.
pub struct Turn {
    _key: tokio::sync::OwnedMutexGuard<()>,
    _place: tokio::sync::OwnedSemaphorePermit,
}

impl KeyTurns {
    /// Turns for a pool of `connections` database connections.
    pub fn new(connections: u32) -> Self {
        let places = usize::try_from(connections / 2).unwrap_or(1).max(1);
        KeyTurns {
            turns: Mutex::default(),
            batches: Arc::new(tokio::sync::Semaphore::new(places)),
        }
    }

    /// Waits for the key's turn and a place; the turn ends when it is dropped.
    pub async fn take(&self, key: i64) -> Turn {
        let turn = {
            let mut turns = self.turns.lock().unwrap_or_else(|e| e.into_inner());
            // Forget the turns nobody holds or waits for.
            if turns.len() > 1024 {
                turns.retain(|_, t| Arc::strong_count(t) > 1);
            }
            turns.entry(key).or_default().clone()
        };
        let key = turn.lock_owned().await;
        let place = self
            .batches
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        Turn {
            _key: key,
            _place: place,
        }
    }
}

/// Day, code and key of a count.
type CountKey = (String, String, String);
type Pending = HashMap<CountKey, (i64, Timestamp)>;

/// Refusals counted by this process and not yet in the database.
#[derive(Debug, Default)]
pub struct RefusalCounter {
    pending: Mutex<Pending>,
}

fn add(pending: &mut Pending, key: CountKey, count: i64, at: Timestamp) {
    let entry = pending.entry(key).or_insert((0, at));
    entry.0 += count;
    entry.1 = entry.1.max(at);
}

impl RefusalCounter {
    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts one refusal with `code` of a request that named `key` (if it exists).
    pub fn count(&self, code: &str, key: Option<&str>, now: Timestamp) {
        let day = now.strftime("%Y-%m-%d").to_string();
        let key = (day, code.to_owned(), key.unwrap_or_default().to_owned());
        add(&mut self.pending(), key, 1, now);
    }

    pub(crate) fn take(&self) -> Vec<RefusalCount> {
        self.pending().drain().map(row).collect()
    }

    pub(crate) fn put_back(&self, counts: Vec<RefusalCount>) {
        let mut pending = self.pending();
        for r in counts {
            add(&mut pending, (r.day, r.code, r.key_id), r.count, r.last_at);
        }
    }

    pub(crate) fn snapshot(&self) -> Vec<RefusalCount> {
        self.pending()
            .iter()
            .map(|(k, v)| row((k.clone(), *v)))
            .collect()
    }
}

fn row(((day, code, key_id), (count, last_at)): (CountKey, (i64, Timestamp))) -> RefusalCount {
    RefusalCount {
        day,
        code,
        key_id,
        count,
        last_at,
    }
}
