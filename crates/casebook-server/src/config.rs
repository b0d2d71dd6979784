//! Configuration: one typed struct, loaded once from defaults < TOML file < `CASEBOOK_*`
//! environment variables < command-line flags, then passed down. Unknown keys are errors.
//!
//! Every key has an environment variable named after its path: `listen` is `CASEBOOK_LISTEN`,
//! `database.url` is `CASEBOOK_DATABASE_URL`, `limits.max_body_bytes` is
//! `CASEBOOK_LIMITS_MAX_BODY_BYTES`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use casebook_domain::mail_auth::AuthFailing;
use casebook_store::{SqliteSync, StoreOptions};
use serde::{Deserialize, Serialize};

mod call_home;
mod search;
pub use call_home::CallHomeConfig;
pub use search::SearchConfig;

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
}

/// `[desk]`: the name and address customers see in mail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeskConfig {
    /// The desk's name, signed under mail.
    pub name: String,
    /// The address where users reach Casebook's pages (links in mail), without a trailing `/`.
    pub public_url: String,
    /// The language of mail to people who chose none: `zh-CN` or `en`.
    pub language: String,
}

impl Default for DeskConfig {
    fn default() -> Self {
        DeskConfig {
            name: "技术支持中心 Support Center".into(),
            public_url: "http://127.0.0.1:8080".into(),
            language: "zh-CN".into(),
        }
    }
}

/// `[database]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` or `postgres://USER:PASSWORD@HOST/DB`.
    pub url: String,
    /// Pool size.
    pub max_connections: u32,
    /// Seconds a request waits for a connection before answering 503.
    pub acquire_timeout_secs: u64,
    /// Seconds SQLite waits for another process's lock.
    pub sqlite_busy_timeout_secs: u64,
    /// `full` (default) or `normal`.
    pub sqlite_synchronous: String,
}

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

/// `[attachments]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttachmentsConfig {
    /// `database` or `filesystem`.
    pub storage: String,
    /// Directory for `filesystem` storage.
    pub dir: PathBuf,
}

/// `[cases]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CasesConfig {
    /// Days after closure in which a case can be reopened.
    pub reopen_days: u32,
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

/// `[sessions]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionsConfig {
    /// Minutes of inactivity after which a session ends.
    pub idle_minutes: u32,
    /// Send the session cookie only over HTTPS.
    pub secure_cookie: bool,
}

/// `[ui]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// List the demo accounts on the sign-in page (`casebook demo` turns this on).
    pub show_demo_accounts: bool,
}

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
    pub unknown_senders: String,
    /// A reply from someone who may not see the case it names: `quarantine`, or `new_case` (a
    /// customer's mail opens a case of their own instead; never joins the other case).
    pub foreign_replies: String,
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

impl MailConfig {
    /// Checks the limits: each at least 1, the depth at most 100.
    fn validate(&self) -> Result<(), ConfigError> {
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
        if !matches!(self.unknown_senders.as_str(), "quarantine" | "case") {
            return Err(ConfigError::Invalid(
                "mail.unknown_senders: must be 'quarantine' or 'case'".into(),
            ));
        }
        if !matches!(self.foreign_replies.as_str(), "quarantine" | "new_case") {
            return Err(ConfigError::Invalid(
                "mail.foreign_replies: must be 'quarantine' or 'new_case'".into(),
            ));
        }
        if self.unknown_senders == "case" && self.review_organization.trim().is_empty() {
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

/// `[smtp]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    /// The SMTP server; empty keeps mail in the outbox unsent.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// `none`, `starttls` or `tls`.
    pub security: String,
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

impl SmtpConfig {
    /// Checks what the types alone do not.
    fn validate(&self) -> Result<(), ConfigError> {
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
            security: "starttls".into(),
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

/// `[imap]`: the mailboxes Casebook polls for incoming mail (none by default).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImapConfig {
    /// Each mailbox, a `[[imap.mailboxes]]` table.
    pub mailboxes: Vec<ImapMailbox>,
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

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            max_message_bytes: 30 * 1024 * 1024,
            oversized: Oversized::Refuse,
            max_parts: 500,
            max_depth: 20,
            max_header_lines: 5_000,
            max_attachments: 10,
            unknown_senders: "quarantine".into(),
            foreign_replies: "quarantine".into(),
            review_organization: String::new(),
            max_messages_per_sender_hour: 120,
            max_new_cases_per_sender_hour: 20,
            authserv_id: String::new(),
            auth_failing: AuthFailing::Any,
        }
    }
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
            search: SearchConfig::default(),
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: "sqlite://casebook.db".into(),
            max_connections: 16,
            acquire_timeout_secs: 5,
            sqlite_busy_timeout_secs: 5,
            sqlite_synchronous: "full".into(),
        }
    }
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

impl Default for AttachmentsConfig {
    fn default() -> Self {
        AttachmentsConfig {
            storage: "database".into(),
            dir: PathBuf::from("attachments"),
        }
    }
}

impl Default for CasesConfig {
    fn default() -> Self {
        CasesConfig { reopen_days: 30 }
    }
}

impl Default for SessionsConfig {
    fn default() -> Self {
        SessionsConfig {
            idle_minutes: 12 * 60,
            secure_cookie: false,
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
        if !matches!(self.database.sqlite_synchronous.as_str(), "full" | "normal") {
            return Err(ConfigError::Invalid(
                "database.sqlite_synchronous: must be 'full' or 'normal'".into(),
            ));
        }
        if !matches!(self.attachments.storage.as_str(), "database" | "filesystem") {
            return Err(ConfigError::Invalid(
                "attachments.storage: must be 'database' or 'filesystem'".into(),
            ));
        }
        if !matches!(self.desk.language.as_str(), "zh-CN" | "en") {
            return Err(ConfigError::Invalid(
                "desk.language: must be 'zh-CN' or 'en'".into(),
            ));
        }
        if !(self.desk.public_url.starts_with("http://")
            || self.desk.public_url.starts_with("https://"))
            || self.desk.public_url.ends_with('/')
        {
            return Err(ConfigError::Invalid(
                "desk.public_url: an http:// or https:// address without a trailing '/'".into(),
            ));
        }
        if self.limits.max_body_bytes < 1024 || self.limits.max_attachment_bytes < 1024 {
            return Err(ConfigError::Invalid(
                "limits: sizes must be at least 1024 bytes".into(),
            ));
        }
        self.mail.validate()?;
        self.smtp.validate()?;
        self.call_home.validate()?;
        self.search.validate()?;
        self.validate_imap()
    }

    fn validate_imap(&self) -> Result<(), ConfigError> {
        let mailboxes = &self.imap.mailboxes;
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

    /// The desk's time zone.
    pub fn time_zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.timezone).unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// Options for opening the store.
    pub fn store_options(&self) -> StoreOptions {
        let mut options = StoreOptions::new(self.database.url.clone());
        options.max_connections = self.database.max_connections;
        options.acquire_timeout = Duration::from_secs(self.database.acquire_timeout_secs);
        options.sqlite_busy_timeout = Duration::from_secs(self.database.sqlite_busy_timeout_secs);
        options.sqlite_sync = if self.database.sqlite_synchronous == "normal" {
            SqliteSync::Normal
        } else {
            SqliteSync::Full
        };
        options
    }
}

fn check(value: toml::Value) -> Result<Config, ConfigError> {
    // The full text names the key (`… in `imap.mailboxes.security``), the message alone does not.
    value
        .try_into()
        .map_err(|e: toml::de::Error| ConfigError::Invalid(e.to_string().trim().replace('\n', " ")))
}

fn merge(base: &mut toml::Value, over: toml::Value) {
    match (base, over) {
        (toml::Value::Table(base), toml::Value::Table(over)) => {
            for (key, value) in over {
                match base.get_mut(&key) {
                    Some(existing) if existing.is_table() && value.is_table() => {
                        merge(existing, value)
                    }
                    _ => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, over) => *base = over,
    }
}

fn apply_env(
    value: &mut toml::Value,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    let env: Vec<(String, String)> = env
        .into_iter()
        .filter(|(k, _)| k.starts_with("CASEBOOK_"))
        .collect();
    let toml::Value::Table(root) = value else {
        return Ok(());
    };
    for (key, slot) in root.iter_mut() {
        let name = format!("CASEBOOK_{}", key.to_uppercase());
        match slot {
            toml::Value::Table(section) => {
                for (sub, leaf) in section.iter_mut() {
                    let name = format!("{name}_{}", sub.to_uppercase());
                    if let Some((_, raw)) = env.iter().find(|(k, _)| *k == name) {
                        *leaf = parse_like(leaf, raw)
                            .map_err(|e| ConfigError::Invalid(format!("{name}: {e}")))?;
                    }
                }
            }
            leaf => {
                if let Some((_, raw)) = env.iter().find(|(k, _)| *k == name) {
                    *leaf = parse_like(leaf, raw)
                        .map_err(|e| ConfigError::Invalid(format!("{name}: {e}")))?;
                }
            }
        }
    }
    Ok(())
}

fn parse_like(current: &toml::Value, raw: &str) -> Result<toml::Value, String> {
    match current {
        toml::Value::Integer(_) => raw
            .trim()
            .parse::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| format!("'{raw}' is not a whole number")),
        toml::Value::Boolean(_) => match raw.trim() {
            "true" | "1" | "yes" => Ok(toml::Value::Boolean(true)),
            "false" | "0" | "no" => Ok(toml::Value::Boolean(false)),
            _ => Err(format!("'{raw}' is not true or false")),
        },
        _ => Ok(toml::Value::String(raw.to_owned())),
    }
}

/// The documented example printed by `casebook config example` (a test keeps it current).
pub const EXAMPLE: &str = r#"# Casebook configuration. Every key is optional; shown are the defaults.
# Each key can also be set by an environment variable named after its path, e.g.
# CASEBOOK_LISTEN, CASEBOOK_DATABASE_URL, CASEBOOK_LIMITS_MAX_BODY_BYTES.
# Precedence: defaults < this file < environment < command-line flags.

# Address and port the server listens on.
listen = "127.0.0.1:8080"
# The desk's IANA time zone; case numbers count years in it.
timezone = "Asia/Shanghai"
# Log filter (tracing's EnvFilter syntax).
log = "info"

[database]
# sqlite://PATH (embedded, one file) or postgres://USER:PASSWORD@HOST:PORT/DATABASE
url = "sqlite://casebook.db"
# Connections in the pool.
max_connections = 16
# Seconds a request waits for a free connection before it is answered with 503.
acquire_timeout_secs = 5
# Seconds SQLite waits for a lock held by another process (e.g. a CLI command).
sqlite_busy_timeout_secs = 5
# "full": every commit is on disk before it is acknowledged. "normal": faster, but the last
# commits can be lost if the machine loses power (not if only the process crashes).
sqlite_synchronous = "full"

[limits]
# Largest JSON request body, in bytes (larger: 413).
max_body_bytes = 1048576
# Largest single attachment, in bytes (larger: 413).
max_attachment_bytes = 26214400
# Most files in one upload.
max_files_per_request = 10

[attachments]
# "database" keeps file content in the database; "filesystem" in `dir`, named by content hash.
storage = "database"
dir = "attachments"

[cases]
# Days after closure in which the customer or staff can reopen a case.
reopen_days = 30

[sessions]
# Minutes of inactivity after which a sign-in session ends.
idle_minutes = 720
# Send the session cookie only over HTTPS (turn on behind a TLS proxy).
secure_cookie = false

[ui]
# List the demo accounts and their password on the sign-in page (only for `casebook demo`).
show_demo_accounts = false

[mail]
# Messages larger than this (in bytes) are over the limit; keep it at or below the MTA's own
# limit (Postfix message_size_limit, Exim message_size_limit).
max_message_bytes = 31457280
# What becomes of them: "refuse" (not kept: `casebook mail ingest` exits 65 with the reason, so
# the MTA bounces the message to its sender; an IMAP message stays in its mailbox, flagged;
# staff see the refusal) or "quarantine" (kept whole in the quarantine, exit 0).
oversized = "refuse"
# Limits checked before a message is parsed; a message over one is quarantined with the
# limit's name. MIME parts at every level:
max_parts = 500
# Nesting of multiparts and attached messages (at most 100):
max_depth = 20
# Header lines of all parts together (a line over 998 bytes counts once per 998 bytes):
max_header_lines = 5000
# Attachments in one message (and at most limits.max_files_per_request):
max_attachments = 10
# Mail from an unknown sender: "quarantine", or "case" (a case for review in the organisation
# with the customer number review_organization).
unknown_senders = "quarantine"
# A reply from someone who may not see the case it names never joins it: "quarantine", or
# "new_case" (a customer's mail opens a case of their own).
foreign_replies = "quarantine"
review_organization = ""
# Per sender and hour: messages (more are quarantined: loops, floods) and cases opened by mail.
max_messages_per_sender_hour = 120
max_new_cases_per_sender_hour = 20
# Sender authentication (docs/mail.md): the authserv-id of the receiving MTA whose
# Authentication-Results headers are trusted (the first word it writes in them, e.g.
# "mx.example.com"; headers naming any other service are ignored). Empty: not checked.
authserv_id = ""
# Which of its results send a message to the quarantine: "any" (dmarc=fail, and spf=fail or
# dkim=fail unless DMARC passed) or "dmarc" (only dmarc=fail).
auth_failing = "any"

[smtp]
# The SMTP server notifications leave through; empty keeps them in the outbox unsent.
host = ""
port = 25
# "none", "starttls" or "tls".
security = "starttls"
username = ""
password = ""
# The sender of every message.
from = "Casebook <support@casebook.invalid>"
# The domain of the Message-IDs Casebook makes.
message_id_domain = "casebook.invalid"
# Seconds between two passes over the outbox; seconds before the server is given up.
send_interval_secs = 10
timeout_secs = 30
# A PEM file of certificates to trust besides the public roots, for "starttls" and "tls": a
# private CA or a self-signed server (e.g. "/etc/casebook/smtp-ca.pem"). Empty: public roots only.
ca_file = ""

[imap]
# Mailboxes whose unseen messages Casebook takes in (as `casebook mail ingest` does): each is
# stored first, then flagged \Seen, moved or deleted. None by default. One table per mailbox:
#
# [[imap.mailboxes]]
# name = "support"                  # for logs and `casebook mail poll --mailbox`
# host = "imap.example.com"
# port = 993
# security = "tls"                  # "tls", "starttls" or "none"
# username = "support@example.com"
# password = "secret"
# folder = "INBOX"
# after = "seen"                    # "seen", "move" (to move_to) or "delete"
# move_to = "Casebook/Processed"    # created when missing
# poll_interval_secs = 60           # also the longest IDLE wait
# idle = true                       # wait with IDLE when the server offers it
# timeout_secs = 30
# ca_file = "/etc/casebook/imap-ca.pem"   # optional: trust a private CA or self-signed server
mailboxes = []

[desk]
# The name signed under mail to customers.
name = "技术支持中心 Support Center"
# Where users reach Casebook's pages: links in mail start with it (no trailing "/").
public_url = "http://127.0.0.1:8080"
# The language of mail to people who chose none: "zh-CN" or "en".
language = "zh-CN"

[sla]
# Seconds between two sweeps for due SLA warnings and escalations (each fires once, also with
# several servers on one database).
sweep_interval_secs = 30

[call_home]
# A device that sends more than storm_max_events faults, warnings and recoveries within
# storm_window_minutes is suppressed for storm_suppress_minutes (its events are kept, nothing
# more happens), with one note on its case.
storm_max_events = 10
storm_window_minutes = 60
storm_suppress_minutes = 60
# A fault of a unit without an entitlement: "record" (kept as not_entitled, visible to staff,
# no case) or "case" (a case opens all the same, on the plan the check chose).
not_entitled = "record"
# The heartbeat interval of a device that never said its own, in seconds.
default_heartbeat_secs = 3600
# A device is flagged silent (staff are told) when this many heartbeats are missing.
silent_after_missed = 3
# Seconds between two checks for silent devices.
sweep_interval_secs = 60

[search]
# This process's search index, a cache of the database rebuilt when missing (`casebook reindex`
# rebuilds it by hand). Each `casebook serve` needs its own directory.
index_dir = "search-index"
# Milliseconds between two looks at the change feed: a change is searchable about this long
# after it was committed, in every process.
refresh_millis = 500
# Days the change feed is kept; an index older than that is rebuilt when the server starts.
keep_changes_days = 7
# Memory for the index writer, in megabytes.
writer_memory_mb = 32
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_example_is_the_defaults() {
        let parsed: Config = toml::from_str(EXAMPLE).expect("the example parses");
        assert_eq!(parsed, Config::default());
        let keys = toml::Value::try_from(Config::default()).unwrap();
        for (section, value) in keys.as_table().unwrap() {
            assert!(
                EXAMPLE.contains(&format!("{section} ="))
                    || EXAMPLE.contains(&format!("[{section}]")),
                "{section} missing"
            );
            if let Some(table) = value.as_table() {
                for key in table.keys() {
                    assert!(
                        EXAMPLE.contains(&format!("\n{key} =")),
                        "{section}.{key} missing from the example"
                    );
                }
            }
        }
    }

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

    fn load_text(text: &str) -> Result<Config, String> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("casebook.toml");
        std::fs::write(&file, text).unwrap();
        Config::load(Some(&file), env(&[]), &Overrides::default()).map_err(|e| e.to_string())
    }

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
