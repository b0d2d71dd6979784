//! The documented example printed by `casebook config example`; a test keeps it equal to the
//! defaults and naming every key.

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
# The support hotline shown to customers in the portal, e.g. "400-800-1234 (7×24)"; empty: none.
hotline = ""

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

[integrations]
# Webhooks and chat robots may only reach public addresses. Networks listed here are allowed
# although they are loopback, private or link-local, e.g. ["10.20.0.0/16"] for an internal CRM
# (as an environment variable, comma-separated: CASEBOOK_INTEGRATIONS_ALLOW_NETWORKS=10.20.0.0/16).
allow_networks = []
# Seconds a delivery may take, connecting included.
timeout_secs = 10
# Bytes of a response that are read and kept in the delivery log.
max_response_bytes = 65536
# Failed attempts in a row after which a subscription is switched off (administrators are told).
max_failures = 15
# Milliseconds between two looks for due deliveries (a change on this server wakes it at once).
poll_millis = 1000

[duty]
# The business calendar deciding which dates are working days for shifts, and what "outside
# business hours" means for a severity-1 case that pages the duty engineer.
calendar = "china-5x8"
# Minutes the duty engineer has to acknowledge a page before the duty manager is told.
ack_minutes = 15
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

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
}
