//! `[limits]`, `[sessions]` and `[ui]`: how the server meets requests — body and upload sizes,
//! sign-in sessions, and what the web pages show.

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// `[limits]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest JSON request body.
    pub max_body_bytes: usize,
    /// Largest single attachment.
    pub max_attachment_bytes: usize,
    /// Most files in one upload.
    pub max_files_per_request: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_body_bytes: 1024 * 1024,
            max_attachment_bytes: 25 * 1024 * 1024,
            max_files_per_request: 10,
        }
    }
}

impl LimitsConfig {
    /// Checks what the types alone do not.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.max_body_bytes < 1024 || self.max_attachment_bytes < 1024 {
            return Err(ConfigError::Invalid(
                "limits: sizes must be at least 1024 bytes".into(),
            ));
        }
        Ok(())
    }
}

/// `[sessions]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionsConfig {
    /// Minutes of inactivity after which a session ends.
    pub idle_minutes: u32,
    /// Send the session cookie only over HTTPS.
    pub secure_cookie: bool,
}

impl Default for SessionsConfig {
    fn default() -> Self {
        SessionsConfig {
            idle_minutes: 12 * 60,
            secure_cookie: false,
        }
    }
}

/// `[ui]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// List the demo accounts on the sign-in page (`casebook demo` turns this on).
    pub show_demo_accounts: bool,
}
