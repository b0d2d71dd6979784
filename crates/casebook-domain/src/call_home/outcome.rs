//! What became of a call-home event, stored in `call_home_events.outcome`, answered to the
//! device and filtered by in the console, by its stable snake_case name.

use serde::{Deserialize, Serialize};

use crate::attributes::Named;
use crate::error::ValidationError;

/// What became of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventOutcome {
    /// It opened a case.
    CaseOpened,
    /// One more occurrence of an open case's fault.
    Correlated,
    /// A recovery noted on the fault's case.
    Recovered,
    /// Kept, nothing else.
    Recorded,
    /// A rule ignores its code.
    Ignored,
    /// The device was in an event storm.
    Suppressed,
    /// No contract covers the unit on the call-home channel.
    NotEntitled,
    /// No unit with this serial number in the key's organisation.
    UnknownDevice,
}

impl Named for EventOutcome {
    const WHAT: &'static str = "event outcome";
    /// Every outcome, in the order the console's filter offers them.
    const ALL: &'static [Self] = &[
        Self::NotEntitled,
        Self::UnknownDevice,
        Self::Suppressed,
        Self::CaseOpened,
        Self::Correlated,
        Self::Recovered,
        Self::Recorded,
        Self::Ignored,
    ];
    fn as_str(self) -> &'static str {
        match self {
            Self::CaseOpened => "case_opened",
            Self::Correlated => "correlated",
            Self::Recovered => "recovered",
            Self::Recorded => "recorded",
            Self::Ignored => "ignored",
            Self::Suppressed => "suppressed",
            Self::NotEntitled => "not_entitled",
            Self::UnknownDevice => "unknown_device",
        }
    }
}

impl EventOutcome {
    /// Every outcome, in the order the console's filter offers them.
    pub const ALL: [EventOutcome; 8] = [
        Self::NotEntitled,
        Self::UnknownDevice,
        Self::Suppressed,
        Self::CaseOpened,
        Self::Correlated,
        Self::Recovered,
        Self::Recorded,
        Self::Ignored,
    ];

    /// Its stable name, as stored and sent to devices.
    pub fn as_str(self) -> &'static str {
        <Self as Named>::as_str(self)
    }

    /// The outcome of a name (around blanks); anything else is refused.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        <Self as Named>::parse(raw.trim())
    }
}

impl std::fmt::Display for EventOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for EventOutcome {
    type Err = ValidationError;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        <Self as Named>::parse(raw)
    }
}

impl PartialEq<&str> for EventOutcome {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_json() {
        for o in EventOutcome::ALL {
            assert_eq!(o.as_str().parse::<EventOutcome>().unwrap(), o);
            assert_eq!(
                serde_json::to_value(o).unwrap(),
                serde_json::json!(o.as_str())
            );
        }
        assert_eq!(EventOutcome::ALL.as_slice(), <EventOutcome as Named>::ALL);
    }
}
