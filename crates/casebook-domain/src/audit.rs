//! The audit chain: every audit entry carries the SHA-256 of the previous entry's hash and its own
//! canonical content, so removing, reordering or editing any entry breaks the chain at that point.

use jiff::Timestamp;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The content of one audit entry, as hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When the change was committed (millisecond precision).
    pub at: Timestamp,
    /// The acting user, if a user acted.
    pub actor_user: Option<i64>,
    /// A readable label of the actor, e.g. an e-mail address or `system:cli`.
    pub actor_label: String,
    /// What happened, e.g. `case.create`.
    pub action: String,
    /// The kind of object, e.g. `case`.
    pub object_type: String,
    /// The object's id or number.
    pub object_id: String,
    /// The object before the change, as JSON, if it existed.
    pub before: Option<String>,
    /// The object after the change, as JSON, if it still exists.
    pub after: Option<String>,
}

fn put(hasher: &mut Sha256, field: Option<&[u8]>) {
    match field {
        None => hasher.update([0u8]),
        Some(bytes) => {
            hasher.update([1u8]);
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        }
    }
}

/// The hash of an entry that follows `prev_hash` (lower-case hex).
pub fn chain_hash(prev_hash: &str, record: &AuditRecord) -> String {
    let mut h = Sha256::new();
    put(&mut h, Some(prev_hash.as_bytes()));
    put(&mut h, Some(&record.seq.to_le_bytes()));
    put(&mut h, Some(&record.at.as_millisecond().to_le_bytes()));
    put(
        &mut h,
        record
            .actor_user
            .map(i64::to_le_bytes)
            .as_ref()
            .map(|b| b.as_slice()),
    );
    put(&mut h, Some(record.actor_label.as_bytes()));
    put(&mut h, Some(record.action.as_bytes()));
    put(&mut h, Some(record.object_type.as_bytes()));
    put(&mut h, Some(record.object_id.as_bytes()));
    put(&mut h, record.before.as_deref().map(str::as_bytes));
    put(&mut h, record.after.as_deref().map(str::as_bytes));
    hex::encode(h.finalize())
}

/// Where and why a chain does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// An entry is missing or the chain skips a number.
    #[error("entry {found} follows entry {expected_previous}: entries are missing")]
    Gap {
        /// The last good sequence number.
        expected_previous: i64,
        /// The sequence number found next.
        found: i64,
    },
    /// The stored `prev_hash` is not the previous entry's hash.
    #[error("entry {seq} does not link to the entry before it")]
    BrokenLink {
        /// The entry.
        seq: i64,
    },
    /// The entry's content does not match its hash: it was edited.
    #[error("entry {seq} was altered: its content does not match its hash")]
    Altered {
        /// The entry.
        seq: i64,
    },
}

/// Verifies entries one after another; feed them in sequence order.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    last_seq: i64,
    last_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            last_seq: 0,
            last_hash: GENESIS_HASH.to_owned(),
        }
    }
}

impl ChainVerifier {
    /// Checks the next entry with its stored `prev_hash` and `hash`.
    pub fn check(
        &mut self,
        record: &AuditRecord,
        prev_hash: &str,
        hash: &str,
    ) -> Result<(), ChainBreak> {
        if record.seq != self.last_seq + 1 {
            return Err(ChainBreak::Gap {
                expected_previous: self.last_seq,
                found: record.seq,
            });
        }
        if prev_hash != self.last_hash {
            return Err(ChainBreak::BrokenLink { seq: record.seq });
        }
        if chain_hash(prev_hash, record) != hash {
            return Err(ChainBreak::Altered { seq: record.seq });
        }
        self.last_seq = record.seq;
        self.last_hash = hash.to_owned();
        Ok(())
    }

    /// How many entries were verified.
    pub fn verified(&self) -> i64 {
        self.last_seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: i64, after: &str) -> AuditRecord {
        AuditRecord {
            seq,
            at: Timestamp::from_millisecond(1_700_000_000_000 + seq).unwrap(),
            actor_user: Some(7),
            actor_label: "li.wei@example.com".into(),
            action: "case.update".into(),
            object_type: "case".into(),
            object_id: "2026-00001".into(),
            before: None,
            after: Some(after.into()),
        }
    }

    fn chain(n: i64) -> Vec<(AuditRecord, String, String)> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let r = record(seq, &format!("{{\"v\":{seq}}}"));
                let h = chain_hash(&prev, &r);
                let out = (r, prev.clone(), h.clone());
                prev = h;
                out
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        let mut v = ChainVerifier::default();
        for (r, p, h) in chain(5) {
            v.check(&r, &p, &h).unwrap();
        }
        assert_eq!(v.verified(), 5);
    }

    #[test]
    fn edits_gaps_and_relinks_are_found() {
        let mut entries = chain(4);
        entries[2].0.after = Some("{\"v\":999}".into());
        let mut v = ChainVerifier::default();
        let errs: Vec<_> = entries
            .iter()
            .filter_map(|(r, p, h)| v.check(r, p, h).err())
            .collect();
        assert_eq!(errs[0], ChainBreak::Altered { seq: 3 });

        let mut entries = chain(4);
        entries.remove(1);
        let mut v = ChainVerifier::default();
        let errs: Vec<_> = entries
            .iter()
            .filter_map(|(r, p, h)| v.check(r, p, h).err())
            .collect();
        assert_eq!(
            errs[0],
            ChainBreak::Gap {
                expected_previous: 1,
                found: 3
            }
        );
    }

    #[test]
    fn none_and_empty_hash_differently() {
        let mut a = record(1, "x");
        a.before = None;
        let mut b = a.clone();
        b.before = Some(String::new());
        assert_ne!(chain_hash(GENESIS_HASH, &a), chain_hash(GENESIS_HASH, &b));
    }
}
