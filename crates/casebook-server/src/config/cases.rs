//! `[cases]` and `[sla]`: case rules — how long a closed case can be reopened, and how often
//! due SLA warnings and escalations are looked for.

use serde::{Deserialize, Serialize};

/// `[cases]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CasesConfig {
    /// Days after closure in which a case can be reopened.
    pub reopen_days: u32,
}

impl Default for CasesConfig {
    fn default() -> Self {
        CasesConfig { reopen_days: 30 }
    }
}

/// `[sla]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlaConfig {
    /// Seconds between two sweeps for due SLA warnings and escalations.
    pub sweep_interval_secs: u64,
}

impl Default for SlaConfig {
    fn default() -> Self {
        SlaConfig {
            sweep_interval_secs: 30,
        }
    }
}
