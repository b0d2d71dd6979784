//! `[smtp]`: the server notifications leave through, how the connection is protected, and the
//! sender and Message-ID domain of Casebook's mail.

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// `[smtp]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    /// The SMTP server; empty keeps mail in the outbox unsent.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// `none`, `starttls` or `tls`.
    pub security: SmtpSecurity,
    /// User name for authentication (empty: none).
    pub username: String,
    /// Password for authentication.
    pub password: String,
    /// The sender of every message.
    pub from: String,
    /// The domain of the Message-IDs Casebook makes.
    pub message_id_domain: String,
    /// Seconds between two passes over the outbox.
    pub send_interval_secs: u64,
    /// Seconds before a connection or command to the server is given up.
    pub timeout_secs: u64,
    /// A PEM file of certificates trusted besides the public roots (a private CA or a
    /// self-signed server) for `starttls` and `tls`; empty: the public roots only.
    pub ca_file: String,
}

/// How the connection to the SMTP server is protected (`smtp.security`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// No encryption (only on a trusted network).
    None,
    /// A plain connection upgraded with STARTTLS, required.
    #[default]
    Starttls,
    /// TLS from the first byte.
    Tls,
}

impl SmtpConfig {
    /// Checks what the types alone do not.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if !self.ca_file.is_empty() && !std::path::Path::new(&self.ca_file).is_file() {
            return Err(ConfigError::Invalid(format!(
                "smtp.ca_file: {} does not exist or is not a file",
                self.ca_file
            )));
        }
        Ok(())
    }
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            host: String::new(),
            port: 25,
            security: SmtpSecurity::Starttls,
            username: String::new(),
            password: String::new(),
            from: "Casebook <support@casebook.invalid>".into(),
            message_id_domain: "casebook.invalid".into(),
            send_interval_secs: 10,
            timeout_secs: 30,
            ca_file: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::testing::load_text;

    #[test]
    fn the_smtp_ca_file_must_exist() {
        let err = load_text("[smtp]\nca_file = \"/nonexistent/casebook-ca.pem\"\n").unwrap_err();
        assert!(
            err.contains("smtp.ca_file") && err.contains("/nonexistent/casebook-ca.pem"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\n").unwrap();
        let config = load_text(&format!(
            "[smtp]\nca_file = {:?}\n",
            ca.display().to_string()
        ))
        .unwrap();
        assert_eq!(config.smtp.ca_file, ca.display().to_string());
    }
}
