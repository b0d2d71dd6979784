//! What a message says about itself (Message-ID, sender, subject), made safe to store, and
//! the reading of a raw message within the limits of `[mail]`.

use mail_parser::{Message, MessageParser};
use sha2::{Digest, Sha256};

use crate::actions::mail::limits::{self, Exceeded};
use crate::config::Config;

/// The longest Message-ID stored as it is (it is a unique key; a longer one is hashed).
const LONGEST_MESSAGE_ID: usize = 250;
/// The longest sender address and subject stored.
const LONGEST_ADDRESS: usize = 320;
const LONGEST_SUBJECT: usize = 500;

/// What a message says about itself, ready to be stored.
pub(super) struct Envelope {
    pub(super) message_id: String,
    pub(super) from: String,
    pub(super) subject: String,
}

/// Text without control characters (PostgreSQL text holds no NUL): line breaks and tabs become
/// spaces, the rest is dropped; at most `most` characters.
fn clean(text: &str, most: usize) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\t' | '\r' | '\n' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .take(most)
        .collect()
}

fn sha256_id(bytes: &[u8]) -> String {
    format!("<{}@casebook.sha256>", hex::encode(Sha256::digest(bytes)))
}

/// The Message-ID, sender and subject of a message (or of its headers alone); a message without
/// a usable Message-ID gets one made from its content.
pub(super) fn envelope_of(msg: Option<&Message<'_>>, raw: &[u8]) -> Envelope {
    let message_id = msg
        .and_then(|m| m.message_id())
        .map(|id| clean(id.trim_matches(['<', '>']), usize::MAX))
        .filter(|id| !id.trim().is_empty())
        .map(|id| {
            if id.len() > LONGEST_MESSAGE_ID {
                sha256_id(id.as_bytes())
            } else {
                format!("<{id}>")
            }
        })
        .unwrap_or_else(|| sha256_id(raw));
    let from = msg
        .and_then(|m| m.from())
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| clean(a.trim(), LONGEST_ADDRESS).to_lowercase())
        .unwrap_or_default();
    let subject = clean(
        msg.and_then(|m| m.subject()).unwrap_or_default(),
        LONGEST_SUBJECT,
    );
    Envelope {
        message_id,
        from,
        subject,
    }
}

/// Why a message is quarantined before it is routed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Refusal {
    /// Over a limit.
    Limit(Exceeded),
    /// Not a message.
    Unreadable,
    /// The parser panicked on it (its debug assertions do on some nestings of attached
    /// messages); the message is kept for review.
    ParserFailed,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Limit(exceeded) => exceeded.fmt(f),
            Refusal::Unreadable => f.write_str("not a readable e-mail message"),
            Refusal::ParserFailed => f.write_str("the mail parser failed on it"),
        }
    }
}

/// Parses a message that stays within the limits, and says why it may not be routed if so.
pub(crate) fn read_message<'r>(
    config: &Config,
    raw: &'r [u8],
) -> (Option<Message<'r>>, Option<Refusal>) {
    let read = std::panic::catch_unwind(|| {
        limits::before_parsing(raw, &config.mail)?;
        Ok(MessageParser::default().parse(raw))
    });
    match read {
        Err(_) => (None, Some(Refusal::ParserFailed)),
        Ok(Err(exceeded)) => (None, Some(Refusal::Limit(exceeded))),
        Ok(Ok(None)) => (None, Some(Refusal::Unreadable)),
        Ok(Ok(Some(msg))) => {
            let exceeded = limits::after_parsing(&msg, config).err();
            (Some(msg), exceeded.map(Refusal::Limit))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_stored_about_a_message_has_no_control_characters() {
        let raw = b"From: Wang <Wang\0@Bank.test>\r\nSubject: a\0b\tc\r\nMessage-ID: <x\0y@bank.test>\r\n\r\nbody";
        let msg = MessageParser::default().parse(&raw[..]).unwrap();
        let envelope = envelope_of(Some(&msg), raw);
        assert_eq!(envelope.message_id, "<xy@bank.test>");
        assert_eq!(envelope.from, "wang@bank.test");
        assert_eq!(envelope.subject, "ab c");
    }

    #[test]
    fn long_or_missing_message_ids_are_made_from_content() {
        let long = format!("Message-ID: <{}@bank.test>\r\n\r\nbody", "x".repeat(300));
        let msg = MessageParser::default().parse(long.as_bytes()).unwrap();
        let id = envelope_of(Some(&msg), long.as_bytes()).message_id;
        assert!(id.ends_with("@casebook.sha256>") && id.len() < 100, "{id}");
        let none = envelope_of(None, b"garbage");
        assert_eq!(none.message_id, sha256_id(b"garbage"));
        assert_eq!((none.from.as_str(), none.subject.as_str()), ("", ""));
    }
}
