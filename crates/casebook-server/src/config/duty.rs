//! `[duty]`: the on-duty rota — the business calendar that decides working days for shifts and
//! what "outside business hours" means for a severity-1 case, and how long the duty engineer
//! has to acknowledge a page before the duty manager is told.

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// The on-duty rota.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DutyConfig {
    /// The id of a business calendar (built-in `china-5x8` or one administrators made).
    pub calendar: String,
    /// Minutes the duty engineer has to acknowledge a page before it escalates.
    pub ack_minutes: u32,
}

impl Default for DutyConfig {
    fn default() -> Self {
        DutyConfig {
            calendar: "china-5x8".into(),
            ack_minutes: 15,
        }
    }
}

impl DutyConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self
            .calendar
            .parse::<casebook_domain::sla::definition::CalendarId>()
            .is_err()
        {
            return Err(ConfigError::Invalid(format!(
                "duty.calendar: {:?} is not a calendar id",
                self.calendar
            )));
        }
        if !(1..=24 * 60).contains(&self.ack_minutes) {
            return Err(ConfigError::Invalid(
                "duty.ack_minutes: from 1 to 1440".into(),
            ));
        }
        Ok(())
    }
}
