//! What became of an inbound message: its disposition, stored in `mail_messages.disposition`
//! and shown to staff and to `casebook mail ingest` by its stable snake_case name.

use serde::{Deserialize, Serialize};

use crate::attributes::Named;
use crate::error::ValidationError;

/// What became of a message, when it arrived and after the review of the quarantine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailDisposition {
    /// It joined a case as a reply.
    Threaded,
    /// It opened a case.
    Opened,
    /// It waits in the quarantine for staff.
    Quarantined,
    /// It was written by a machine (auto-reply, bounce, list): recorded, nothing else.
    Ignored,
    /// A reviewer has taken it out of the quarantine and is deciding.
    Reviewing,
    /// A reviewer added it to the case it names.
    Released,
    /// A reviewer discarded it.
    Discarded,
    /// It was here already (same Message-ID); never stored as a disposition.
    Duplicate,
    /// It was refused for its size and not kept; never stored as a disposition (the refusal
    /// is recorded on its own).
    Refused,
}

impl Named for MailDisposition {
    const WHAT: &'static str = "mail disposition";
    const ALL: &'static [Self] = &[
        Self::Threaded,
        Self::Opened,
        Self::Quarantined,
        Self::Ignored,
        Self::Reviewing,
        Self::Released,
        Self::Discarded,
        Self::Duplicate,
        Self::Refused,
    ];
    fn as_str(self) -> &'static str {
        match self {
            Self::Threaded => "threaded",
            Self::Opened => "opened",
            Self::Quarantined => "quarantined",
            Self::Ignored => "ignored",
            Self::Reviewing => "reviewing",
            Self::Released => "released",
            Self::Discarded => "discarded",
            Self::Duplicate => "duplicate",
            Self::Refused => "refused",
        }
    }
}

impl MailDisposition {
    /// Its stable name, as stored and shown.
    pub fn as_str(self) -> &'static str {
        <Self as Named>::as_str(self)
    }
}

impl std::fmt::Display for MailDisposition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for MailDisposition {
    type Err = ValidationError;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        <Self as Named>::parse(raw)
    }
}

impl PartialEq<&str> for MailDisposition {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for MailDisposition {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_json() {
        for d in <MailDisposition as Named>::ALL {
            assert_eq!(d.as_str().parse::<MailDisposition>().unwrap(), *d);
            assert_eq!(
                serde_json::to_value(d).unwrap(),
                serde_json::json!(d.as_str())
            );
        }
        assert!("processing".parse::<MailDisposition>().is_err());
    }
}
