//! `[call_home]`: how device events are judged — the storm limit, what becomes of a fault of a
//! unit without an entitlement, and when a device that stopped sending heartbeats is silent.

use casebook_domain::call_home::StormLimits;
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use super::ConfigError;

/// `[call_home]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CallHomeConfig {
    /// More than this many faults, warnings and recoveries from one device within
    /// `storm_window_minutes` suppress it.
    pub storm_max_events: u32,
    /// The window the storm limit counts in, in minutes.
    pub storm_window_minutes: u32,
    /// How long a device in a storm stays suppressed, in minutes.
    pub storm_suppress_minutes: u32,
    /// A fault of a unit that is not entitled: `record` (kept as `not_entitled`, no case) or
    /// `case` (a case opens all the same, on the plan the check chose, for staff to decide).
    pub not_entitled: NotEntitled,
    /// The heartbeat interval of a device that never said its own, in seconds.
    pub default_heartbeat_secs: u64,
    /// A device is silent when this many of its heartbeats are missing.
    pub silent_after_missed: u32,
    /// Seconds between two checks for silent devices.
    pub sweep_interval_secs: u64,
}

/// What becomes of a fault of a unit without an entitlement (`call_home.not_entitled`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotEntitled {
    /// Kept as `not_entitled`, visible to staff; no case.
    #[default]
    Record,
    /// A case opens all the same, on the plan the check chose, for staff to decide.
    Case,
}

impl Default for CallHomeConfig {
    fn default() -> Self {
        CallHomeConfig {
            storm_max_events: 10,
            storm_window_minutes: 60,
            storm_suppress_minutes: 60,
            not_entitled: NotEntitled::Record,
            default_heartbeat_secs: 3600,
            silent_after_missed: 3,
            sweep_interval_secs: 60,
        }
    }
}

impl CallHomeConfig {
    /// The storm limit as the domain counts it.
    pub fn storm(&self) -> StormLimits {
        StormLimits {
            max_events: self.storm_max_events,
            window: SignedDuration::from_mins(i64::from(self.storm_window_minutes)),
            suppress_for: SignedDuration::from_mins(i64::from(self.storm_suppress_minutes)),
        }
    }

    /// Whether a fault of a unit without an entitlement opens a case all the same.
    pub fn opens_unentitled(&self) -> bool {
        match self.not_entitled {
            NotEntitled::Record => false,
            NotEntitled::Case => true,
        }
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let positive = [
            ("storm_max_events", u64::from(self.storm_max_events)),
            ("storm_window_minutes", u64::from(self.storm_window_minutes)),
            (
                "storm_suppress_minutes",
                u64::from(self.storm_suppress_minutes),
            ),
            ("silent_after_missed", u64::from(self.silent_after_missed)),
            ("sweep_interval_secs", self.sweep_interval_secs),
        ];
        if let Some((key, _)) = positive.iter().find(|(_, value)| *value == 0) {
            return Err(ConfigError::Invalid(format!(
                "call_home.{key}: must be at least 1"
            )));
        }
        let week = 7 * 24 * 60;
        if self.storm_window_minutes > week || self.storm_suppress_minutes > week {
            return Err(ConfigError::Invalid(
                "call_home: storm minutes must be at most a week (10080)".into(),
            ));
        }
        if !(10..=7 * 24 * 3600).contains(&self.default_heartbeat_secs) {
            return Err(ConfigError::Invalid(
                "call_home.default_heartbeat_secs: from 10 seconds to a week (604800)".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        let config = CallHomeConfig::default();
        config.validate().unwrap();
        assert_eq!(config.storm().max_events, 10);
        assert_eq!(config.storm().window, SignedDuration::from_mins(60));
        for (bad, key) in [
            (
                CallHomeConfig {
                    storm_max_events: 0,
                    ..CallHomeConfig::default()
                },
                "storm_max_events",
            ),
            (
                CallHomeConfig {
                    default_heartbeat_secs: 1,
                    ..CallHomeConfig::default()
                },
                "default_heartbeat_secs",
            ),
        ] {
            let err = bad.validate().unwrap_err().to_string();
            assert!(err.contains(key), "{err}");
        }
        // A value outside the set is refused as the configuration is read, the key named.
        let err = crate::config::testing::load_text("[call_home]\nnot_entitled = \"open\"\n")
            .unwrap_err();
        assert!(err.contains("not_entitled"), "{err}");
    }
}
