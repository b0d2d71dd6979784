//! `[mail]`: the e-mail channel in — the limits a message is checked against before it is
//! parsed, what becomes of mail from unknown senders and of foreign replies, and which sender
//! authentication results are trusted.

use casebook_domain::mail_auth::AuthFailing;
use serde::{Deserialize, Serialize};

use super::ConfigError;

/// `[mail]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// Messages larger than this are refused (piped mail bounces to its sender) or, with
    /// `oversized = "quarantine"`, kept whole in the quarantine.
    pub max_message_bytes: usize,
    /// What becomes of a message over `max_message_bytes`: `refuse` or `quarantine`.
    pub oversized: Oversized,
    /// Most MIME parts in a message, at every level; more is quarantined before parsing.
    pub max_parts: usize,
    /// Deepest nesting of multiparts and attached messages; deeper is quarantined before
    /// parsing (at most 100: the parser's nested messages are dropped recursively).
    pub max_depth: usize,
    /// Most header lines of all parts together (a line over 998 bytes counts once per 998).
    pub max_header_lines: usize,
    /// Most attachments in a message (and at most `limits.max_files_per_request`); more is
    /// quarantined.
    pub max_attachments: usize,
    /// Mail from an unknown sender: `quarantine`, or `case` (a case for review in the
    /// organisation `review_organization`).
    pub unknown_senders: UnknownSenders,
    /// A reply from someone who may not see the case it names: `quarantine`, or `new_case` (a
    /// customer's mail opens a case of their own instead; never joins the other case).
    pub foreign_replies: ForeignReplies,
    /// The customer number of the organisation that collects cases from unknown senders.
    pub review_organization: String,
    /// Most messages from one sender in an hour; more are quarantined (loops, floods).
    pub max_messages_per_sender_hour: usize,
    /// Most cases one sender opens by mail in an hour; more are quarantined.
    pub max_new_cases_per_sender_hour: usize,
    /// The authserv-id of the receiving MTA whose `Authentication-Results` headers are
    /// trusted (e.g. `mx.example.com`); empty: senders are not checked.
    pub authserv_id: String,
    /// Which of its results send a message to the quarantine: `any` (`dmarc=fail`, and
    /// `spf=fail` or `dkim=fail` unless DMARC passed) or `dmarc` (only `dmarc=fail`).
    pub auth_failing: AuthFailing,
}

/// What becomes of a message larger than `mail.max_message_bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Oversized {
    /// Refused and not kept: `casebook mail ingest` exits 65 so that the MTA bounces it to its
    /// sender; a message in an IMAP mailbox stays there, flagged. The refusal is recorded.
    #[default]
    Refuse,
    /// Kept whole in the quarantine (the command reads all of it), for staff to download or
    /// discard.
    Quarantine,
}

/// What becomes of mail from a sender Casebook does not know (`mail.unknown_senders`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownSenders {
    /// Kept in the quarantine for staff.
    #[default]
    Quarantine,
    /// A case for review in the organisation `mail.review_organization`.
    Case,
}

/// What becomes of a reply from someone who may not see the case it names
/// (`mail.foreign_replies`); it never joins that case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForeignReplies {
    /// Kept in the quarantine for staff.
    #[default]
    Quarantine,
    /// A customer's mail opens a case of their own.
    NewCase,
}

impl MailConfig {
    /// Checks the limits: each at least 1, the depth at most 100.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let positive = [
            ("max_message_bytes", self.max_message_bytes),
            ("max_parts", self.max_parts),
            ("max_depth", self.max_depth),
            ("max_header_lines", self.max_header_lines),
            ("max_attachments", self.max_attachments),
        ];
        if let Some((key, _)) = positive.iter().find(|(_, value)| *value == 0) {
            return Err(ConfigError::Invalid(format!(
                "mail.{key}: must be at least 1"
            )));
        }
        if self.unknown_senders == UnknownSenders::Case
            && self.review_organization.trim().is_empty()
        {
            return Err(ConfigError::Invalid(
                "mail.review_organization: the customer number of the organisation for cases from unknown senders".into(),
            ));
        }
        if self
            .authserv_id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, ';' | '(' | ')' | '"'))
        {
            return Err(ConfigError::Invalid(
                "mail.authserv_id: one name as the MTA writes it first in Authentication-Results, e.g. \"mx.example.com\"".into(),
            ));
        }
        if self.max_depth > 100 {
            return Err(ConfigError::Invalid(
                "mail.max_depth: must be at most 100".into(),
            ));
        }
        Ok(())
    }
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            max_message_bytes: 30 * 1024 * 1024,
            oversized: Oversized::Refuse,
            max_parts: 500,
            max_depth: 20,
            max_header_lines: 5_000,
            max_attachments: 10,
            unknown_senders: UnknownSenders::Quarantine,
            foreign_replies: ForeignReplies::Quarantine,
            review_organization: String::new(),
            max_messages_per_sender_hour: 120,
            max_new_cases_per_sender_hour: 20,
            authserv_id: String::new(),
            auth_failing: AuthFailing::Any,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::{env, load_text};
    use crate::config::{Config, Overrides};

    #[test]
    fn mail_sender_authentication_is_read_and_checked() {
        let config =
            load_text("[mail]\nauthserv_id = \"mx.example.com\"\nauth_failing = \"dmarc\"\n")
                .unwrap();
        assert_eq!(config.mail.authserv_id, "mx.example.com");
        assert_eq!(config.mail.auth_failing, AuthFailing::Dmarc);
        let err = load_text("[mail]\nauth_failing = \"spf\"\n").unwrap_err();
        assert!(err.contains("auth_failing"), "{err}");
        let err = load_text("[mail]\nauthserv_id = \"mx.example.com; spf=pass\"\n").unwrap_err();
        assert!(err.contains("mail.authserv_id"), "{err}");
        let from_env = Config::load(
            None,
            env(&[("CASEBOOK_MAIL_AUTH_FAILING", "dmarc")]),
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(from_env.mail.auth_failing, AuthFailing::Dmarc);
    }

    #[test]
    fn oversized_mail_is_refused_unless_quarantined() {
        assert_eq!(Config::default().mail.oversized, Oversized::Refuse);
        let config = load_text("[mail]\noversized = \"quarantine\"\n").unwrap();
        assert_eq!(config.mail.oversized, Oversized::Quarantine);
        let err = load_text("[mail]\noversized = \"truncate\"\n").unwrap_err();
        assert!(err.contains("oversized"), "{err}");
    }
}
