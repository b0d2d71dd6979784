//! Configuration: one typed struct, loaded once from defaults < TOML file < `CASEBOOK_*`
//! environment variables < command-line flags, then passed down. Unknown keys are errors.
//!
//! Every key has an environment variable named after its path: `listen` is `CASEBOOK_LISTEN`,
//! `database.url` is `CASEBOOK_DATABASE_URL`, `limits.max_body_bytes` is
//! `CASEBOOK_LIMITS_MAX_BODY_BYTES`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use casebook_store::StoreOptions;
use serde::{Deserialize, Serialize};

use layers::{apply_env, merge};

mod call_home;
mod cases;
mod desk;
mod duty;
mod example;
mod imap;
mod integrations;
mod layers;
mod mail;
mod search;
mod server;
mod smtp;
mod storage;

pub use call_home::{CallHomeConfig, NotEntitled};
pub use cases::{CasesConfig, SlaConfig};
pub use desk::DeskConfig;
pub use duty::DutyConfig;
pub use example::EXAMPLE;
pub use imap::{ImapAfter, ImapConfig, ImapMailbox, ImapSecurity};
pub use integrations::IntegrationsConfig;
pub use mail::{ForeignReplies, MailConfig, Oversized, UnknownSenders};
pub use search::SearchConfig;
pub use server::{LimitsConfig, SessionsConfig, UiConfig};
pub use smtp::{SmtpConfig, SmtpSecurity};
pub use storage::{AttachmentStorage, AttachmentsConfig, DatabaseConfig, SqliteSynchronous};

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// The desk's time zone: case numbers count years in it.
    pub timezone: String,
    /// Log filter, e.g. `info` or `casebook_server=debug,info`.
    pub log: String,
    /// Database connection.
    pub database: DatabaseConfig,
    /// Request size limits.
    pub limits: LimitsConfig,
    /// Where attachment content is kept.
    pub attachments: AttachmentsConfig,
    /// Case rules.
    pub cases: CasesConfig,
    /// Sign-in sessions.
    pub sessions: SessionsConfig,
    /// The web pages.
    pub ui: UiConfig,
    /// The e-mail channel.
    pub mail: MailConfig,
    /// Sending mail.
    pub smtp: SmtpConfig,
    /// Mailboxes polled for incoming mail.
    pub imap: ImapConfig,
    /// Service levels.
    pub sla: SlaConfig,
    /// Who the desk is to its customers (mail).
    pub desk: DeskConfig,
    /// Devices that report their own faults.
    pub call_home: CallHomeConfig,
    /// The search index.
    pub search: SearchConfig,
    /// Webhooks and chat robots.
    pub integrations: IntegrationsConfig,
    /// The on-duty rota.
    pub duty: DutyConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            timezone: "Asia/Shanghai".into(),
            log: "info".into(),
            database: DatabaseConfig::default(),
            limits: LimitsConfig::default(),
            attachments: AttachmentsConfig::default(),
            cases: CasesConfig::default(),
            sessions: SessionsConfig::default(),
            ui: UiConfig::default(),
            mail: MailConfig::default(),
            smtp: SmtpConfig::default(),
            imap: ImapConfig::default(),
            sla: SlaConfig::default(),
            desk: DeskConfig::default(),
            call_home: CallHomeConfig::default(),
            integrations: IntegrationsConfig::default(),
            duty: DutyConfig::default(),
            search: SearchConfig::default(),
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file or an override is not valid.
    #[error("{0}")]
    Invalid(String),
}

/// Command-line overrides (the highest precedence).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--listen`.
    pub listen: Option<SocketAddr>,
    /// `--database-url`.
    pub database_url: Option<String>,
}

impl Config {
    /// Loads defaults, then `file` (if any), then `CASEBOOK_*` variables from `env`, then flags.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        let mut value = toml::Value::try_from(Config::default())
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.into(),
                source,
            })?;
            let from_file: toml::Value = toml::from_str(&text)
                .map_err(|e| ConfigError::Invalid(format!("{}: {e}", path.display())))?;
            merge(&mut value, from_file);
            // Check the file alone too, so an unknown key names the file.
            check(value.clone())
                .map_err(|e| ConfigError::Invalid(format!("{}: {e}", path.display())))?;
        }
        apply_env(&mut value, env)?;
        let mut config = check(value)?;
        if let Some(listen) = overrides.listen {
            config.listen = listen;
        }
        if let Some(url) = &overrides.database_url {
            config.database.url = url.clone();
        }
        config.validate()?;
        Ok(config)
    }

    /// Checks values that the types alone do not.
    pub fn validate(&self) -> Result<(), ConfigError> {
        jiff::tz::TimeZone::get(&self.timezone).map_err(|_| {
            ConfigError::Invalid(format!("timezone: unknown time zone '{}'", self.timezone))
        })?;
        self.desk.validate()?;
        self.limits.validate()?;
        self.mail.validate()?;
        self.smtp.validate()?;
        self.call_home.validate()?;
        self.integrations.validate()?;
        self.duty.validate()?;
        self.search.validate()?;
        self.imap.validate()
    }

    /// The desk's time zone.
    pub fn time_zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.timezone).unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// A time written into a stored text (a call-home case's description, a system note, a
    /// mail), which cannot follow each reader: in the desk's time zone, which the pages show,
    /// with its offset so that a reader elsewhere can convert it: `2026-12-07 10:40 +08:00`.
    pub fn desk_time(&self, at: jiff::Timestamp) -> String {
        at.to_zoned(self.time_zone())
            .strftime("%Y-%m-%d %H:%M %:z")
            .to_string()
    }

    /// Options for opening the store.
    pub fn store_options(&self) -> StoreOptions {
        self.database.store_options()
    }
}

fn check(value: toml::Value) -> Result<Config, ConfigError> {
    // The full text names the key (`… in `imap.mailboxes.security``), the message alone does not.
    value
        .try_into()
        .map_err(|e: toml::de::Error| ConfigError::Invalid(e.to_string().trim().replace('\n', " ")))
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for the tests of every section.

    use super::{Config, Overrides};

    /// The `(name, value)` pairs as the environment.
    pub(crate) fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Loads `text` as the configuration file, the error as text.
    pub(crate) fn load_text(text: &str) -> Result<Config, String> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("casebook.toml");
        std::fs::write(&file, text).unwrap();
        Config::load(Some(&file), env(&[]), &Overrides::default()).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::testing::env;
    use super::*;

    #[test]
    fn precedence_is_defaults_file_env_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("casebook.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\n[cases]\nreopen_days = 7\n[database]\nurl = \"sqlite://file.db\"\n").unwrap();
        let config = Config::load(
            Some(&file),
            env(&[
                ("CASEBOOK_CASES_REOPEN_DAYS", "14"),
                ("CASEBOOK_DATABASE_URL", "postgres://x@127.0.0.1/db"),
                ("CASEBOOK_TEST_POSTGRES_URL", "ignored"),
            ]),
            &Overrides {
                listen: Some("127.0.0.1:9100".parse().unwrap()),
                database_url: None,
            },
        )
        .unwrap();
        assert_eq!(config.listen.port(), 9100);
        assert_eq!(config.cases.reopen_days, 14);
        assert_eq!(config.database.url, "postgres://x@127.0.0.1/db");
        assert_eq!(config.sessions, SessionsConfig::default());
        let listed = Config::load(
            None,
            env(&[(
                "CASEBOOK_INTEGRATIONS_ALLOW_NETWORKS",
                "127.0.0.1, 10.0.0.0/8",
            )]),
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(
            listed.integrations.allow_networks,
            ["127.0.0.1", "10.0.0.0/8"]
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "[cases]\nreopen_dayz = 3\n").unwrap();
        let err = Config::load(Some(&file), env(&[]), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("reopen_dayz"), "{err}");
        let err = Config::load(
            None,
            env(&[("CASEBOOK_CASES_REOPEN_DAYS", "soon")]),
            &Overrides::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("CASEBOOK_CASES_REOPEN_DAYS"), "{err}");
        let err = Config::load(
            None,
            env(&[("CASEBOOK_TIMEZONE", "Mars/Olympus")]),
            &Overrides::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("Mars/Olympus"), "{err}");
    }
}
