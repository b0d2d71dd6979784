//! `[imap]`: the mailboxes Casebook polls for incoming mail, how each is reached, and what
//! becomes of a message once it is stored.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// `[imap]`: the mailboxes Casebook polls for incoming mail (none by default).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImapConfig {
    /// Each mailbox, a `[[imap.mailboxes]]` table.
    pub mailboxes: Vec<ImapMailbox>,
}

impl ImapConfig {
    /// Checks each mailbox and that no two share a name.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let mailboxes = &self.mailboxes;
        for (index, mailbox) in mailboxes.iter().enumerate() {
            mailbox.validate(index)?;
            if mailboxes[..index].iter().any(|m| m.name == mailbox.name) {
                return Err(ConfigError::Invalid(format!(
                    "imap.mailboxes[{index}]: the name {:?} is used twice",
                    mailbox.name
                )));
            }
        }
        Ok(())
    }
}

/// One IMAP mailbox whose unseen messages become cases, replies or quarantined mail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImapMailbox {
    /// A short name for logs and `casebook mail poll --mailbox`.
    pub name: String,
    /// The IMAP server.
    pub host: String,
    /// Its port (993 for `tls`, 143 for `starttls` and `none`).
    pub port: u16,
    /// How the connection is protected.
    pub security: ImapSecurity,
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
    /// The folder read.
    pub folder: String,
    /// What becomes of a message once it is stored.
    pub after: ImapAfter,
    /// The folder messages are moved to when `after = "move"` (created when missing).
    pub move_to: String,
    /// Seconds between two polls (also the longest IDLE wait).
    pub poll_interval_secs: u64,
    /// Wait with IDLE between polls when the server offers it, so new mail arrives at once.
    pub idle: bool,
    /// Seconds before a connection or command is given up.
    pub timeout_secs: u64,
    /// A PEM file of certificates trusted besides the public roots (a private CA or a
    /// self-signed server).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
}

/// How an IMAP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImapSecurity {
    /// TLS from the first byte (port 993).
    Tls,
    /// A plain connection upgraded with STARTTLS before logging in.
    Starttls,
    /// No encryption (only on a trusted network).
    None,
}

/// What becomes of a message after Casebook has stored it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImapAfter {
    /// Flagged `\Seen` and left in the folder.
    Seen,
    /// Moved to `move_to`.
    Move,
    /// Deleted from the server.
    Delete,
}

impl Default for ImapMailbox {
    fn default() -> Self {
        ImapMailbox {
            name: String::new(),
            host: String::new(),
            port: 993,
            security: ImapSecurity::Tls,
            username: String::new(),
            password: String::new(),
            folder: "INBOX".into(),
            after: ImapAfter::Seen,
            move_to: String::new(),
            poll_interval_secs: 60,
            idle: true,
            timeout_secs: 30,
            ca_file: None,
        }
    }
}

impl ImapMailbox {
    /// Checks what the types alone do not; `index` names the mailbox in the message.
    fn validate(&self, index: usize) -> Result<(), ConfigError> {
        let problem = if self.name.trim().is_empty() {
            Some("name is empty")
        } else if self.host.trim().is_empty() {
            Some("host is empty")
        } else if self.port == 0 {
            Some("port must not be 0")
        } else if self.username.is_empty() {
            Some("username is empty")
        } else if self.folder.trim().is_empty() {
            Some("folder is empty")
        } else if self.after == ImapAfter::Move && self.move_to.trim().is_empty() {
            Some("after = \"move\" needs move_to, the folder to move messages to")
        } else if self.after == ImapAfter::Move && self.move_to == self.folder {
            Some("move_to must differ from folder")
        } else if self.poll_interval_secs == 0 || self.timeout_secs == 0 {
            Some("poll_interval_secs and timeout_secs must be at least 1")
        } else {
            None
        };
        match problem {
            Some(problem) => Err(ConfigError::Invalid(format!(
                "imap.mailboxes[{index}] ({:?}): {problem}",
                self.name
            ))),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::load_text;

    #[test]
    fn imap_mailboxes_are_read_and_checked() {
        let config = load_text(
            "[[imap.mailboxes]]\nname = \"support\"\nhost = \"imap.example.com\"\nusername = \"s\"\nafter = \"move\"\nmove_to = \"Done\"\n",
        )
        .unwrap();
        let mailbox = &config.imap.mailboxes[0];
        assert_eq!(
            (mailbox.port, mailbox.security, mailbox.folder.as_str()),
            (993, ImapSecurity::Tls, "INBOX")
        );
        assert_eq!(
            (mailbox.after, mailbox.move_to.as_str()),
            (ImapAfter::Move, "Done")
        );

        let base = "[[imap.mailboxes]]\nname = \"support\"\nusername = \"s\"\n";
        let cases = [
            ("host = \"\"\n", "host is empty"),
            (
                "host = \"h\"\nsecurity = \"tsl\"\n",
                "imap.mailboxes.security",
            ),
            ("host = \"h\"\nafter = \"move\"\n", "needs move_to"),
            (
                "host = \"h\"\nafter = \"archive\"\n",
                "unknown variant `archive`",
            ),
            ("host = \"h\"\nfolder = \"INBOX\"\nidel = true\n", "idel"),
        ];
        for (extra, expected) in cases {
            let err = load_text(&format!("{base}{extra}")).unwrap_err();
            assert!(err.contains(expected), "{extra}: {err}");
        }
        let twice = format!("{base}host = \"h\"\n{base}host = \"h\"\n");
        assert!(load_text(&twice).unwrap_err().contains("used twice"));
    }
}
