//! Sign-in throttling: after too many failed sign-ins for one e-mail address within a window,
//! further attempts are refused until the window ends, whatever the password. Kept per process
//! (several servers each allow the limit); it slows guessing, the Argon2id cost does the rest.

use std::collections::HashMap;
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

/// Failed attempts allowed per e-mail address within one window.
pub const MAX_FAILURES: u32 = 10;
/// The window.
pub const WINDOW: SignedDuration = SignedDuration::from_mins(15);
/// Entries kept at most; older windows are dropped first when full.
const MAX_KEYS: usize = 100_000;

/// Failure counts per e-mail address.
#[derive(Debug, Default)]
pub struct SignInThrottle {
    failures: Mutex<HashMap<String, (u32, Timestamp)>>,
}

fn key(email: &str) -> String {
    email.trim().to_lowercase()
}

impl SignInThrottle {
    /// Seconds until `email` may try again, if it is throttled now.
    pub fn blocked_for(&self, email: &str, now: Timestamp) -> Option<i64> {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let (count, since) = map.get(&key(email))?;
        let ends = *since + WINDOW;
        (*count >= MAX_FAILURES && ends > now).then(|| now.duration_until(ends).as_secs().max(1))
    }

    /// Counts a failed attempt.
    pub fn failed(&self, email: &str, now: Timestamp) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_KEYS {
            map.retain(|_, (_, since)| *since + WINDOW > now);
        }
        let entry = map.entry(key(email)).or_insert((0, now));
        if entry.1 + WINDOW <= now {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    /// Forgets the failures of an address after a successful sign-in.
    pub fn succeeded(&self, email: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&key(email));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_until_the_window_ends() {
        let t = SignInThrottle::default();
        let now: Timestamp = "2026-11-29T08:00:00Z".parse().unwrap();
        for _ in 0..MAX_FAILURES - 1 {
            t.failed("A@x.cn", now);
        }
        assert_eq!(t.blocked_for("a@x.cn", now), None);
        t.failed("a@x.cn", now);
        assert_eq!(t.blocked_for(" a@X.cn", now), Some(WINDOW.as_secs()));
        assert_eq!(t.blocked_for("b@x.cn", now), None);
        assert_eq!(t.blocked_for("a@x.cn", now + WINDOW), None);
        t.failed("a@x.cn", now + WINDOW);
        assert_eq!(t.blocked_for("a@x.cn", now + WINDOW), None);
        t.succeeded("a@x.cn");
        assert_eq!(t.blocked_for("a@x.cn", now), None);
    }
}
