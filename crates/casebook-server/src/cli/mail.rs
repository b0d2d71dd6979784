//! `casebook mail send`: one delivery pass over the outbox (exit 75 when some message failed).
//! `casebook mail poll`: one poll of each IMAP mailbox (exit 75 when a mailbox could not be read
//! or a message could not be stored, 78 when no mailbox is configured).
//! `casebook mail ingest`: one raw message on standard input, as an MTA pipe or alias delivers
//! it. Exit codes follow sysexits, which MTAs understand: 0 when the message is kept (threaded,
//! opened, quarantined, ignored or already here), 65 (`EX_DATAERR`, a permanent failure: the
//! MTA bounces the message to its sender with the command's output) when it is larger than
//! `mail.max_message_bytes` and refused, 75 (temporary failure: the MTA retries later) when the
//! message could not be kept for a reason on this side (the database cannot be reached,
//! standard input cannot be read, the configuration cannot be loaded, anything else): Postfix
//! bounces 70 and 74 for good, and the sender's mail must not pay for the desk's fault.
//!
//! A refusal prints nothing on standard output and one line on standard error that starts with
//! the enhanced status code `5.3.4` (message too big): Postfix's pipe(8) and local(8) take a
//! leading status code of the output as the bounce's status (else 65 is `5.6.0`); Exim's pipe
//! transport bounces any code but 75 and 73 and includes the output with `return_output` or
//! `return_fail_output`.

use std::process::ExitCode;

use clap::Subcommand;
use tokio::io::AsyncReadExt;

use crate::actions::{ActionError, mail::delivery, mail::imap, mail::ingest};
use crate::app::App;
use crate::config::{Config, Oversized};

/// The mail commands.
#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Read one raw RFC 5322 message from standard input and take it in.
    Ingest,
    /// Deliver the due messages of the outbox once, through `[smtp]` (the server does this by
    /// itself every `smtp.send_interval_secs`).
    Send,
    /// Take in the unseen messages of the `[imap]` mailboxes once (the server watches them by
    /// itself); prints one JSON line per mailbox.
    Poll {
        /// Only this mailbox (its `name`).
        #[arg(long)]
        mailbox: Option<String>,
    },
}

const EX_DATAERR: u8 = 65;
const EX_SOFTWARE: u8 = 70;
/// Also what `mail ingest` answers for any failure on this side.
pub(crate) const EX_TEMPFAIL: u8 = 75;
const EX_CONFIG: u8 = 78;

/// Runs a mail command.
pub async fn run(config: Config, command: MailCommand) -> ExitCode {
    match command {
        MailCommand::Ingest => ingest(config).await,
        MailCommand::Send => send(config).await,
        MailCommand::Poll { mailbox } => poll(config, mailbox.as_deref()).await,
    }
}

async fn ingest(config: Config) -> ExitCode {
    let limit = config.mail.max_message_bytes;
    let (raw, size) = match read_message(limit, config.mail.oversized).await {
        Ok(read) => read,
        Err(err) => {
            eprintln!("casebook: cannot read the message, try again later: {err}");
            return ExitCode::from(EX_TEMPFAIL);
        }
    };
    let app = match App::open(config).await {
        Ok(app) => app,
        Err(err) => {
            eprintln!("casebook: the database is unavailable, try again later: {err:#}");
            return ExitCode::from(EX_TEMPFAIL);
        }
    };
    let arrived = ingest::Arrived {
        raw: &raw,
        size,
        source: ingest::Source::Pipe,
    };
    match ingest::ingest_arrived(&app, arrived).await {
        Ok(done) if done.is_refused() => {
            // The MTA puts this into the bounce to the sender.
            eprintln!(
                "5.3.4 Message too big: {size} bytes; this support address takes messages of at most {limit} bytes (mail.max_message_bytes). Please send large files another way and a shorter message."
            );
            ExitCode::from(EX_DATAERR)
        }
        Ok(done) => {
            println!("{}", serde_json::to_string(&done).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Err(ActionError::Unavailable(detail)) => {
            eprintln!("casebook: the database is unavailable, try again later: {detail}");
            ExitCode::from(EX_TEMPFAIL)
        }
        Err(err) => {
            eprintln!("casebook: the message could not be kept, try again later: {err}");
            ExitCode::from(EX_TEMPFAIL)
        }
    }
}

/// Reads the message on standard input: all of it in quarantine mode (an oversized message is
/// kept whole), else at most one byte past the limit (enough to know it is too large, and its
/// headers) with the rest read to the end and counted, not kept, so the MTA writing it never
/// sees a broken pipe. The bytes kept and the size of the whole.
async fn read_message(limit: usize, oversized: Oversized) -> std::io::Result<(Vec<u8>, u64)> {
    let mut raw = Vec::new();
    let mut stdin = tokio::io::stdin();
    if oversized == Oversized::Quarantine {
        let size = stdin.read_to_end(&mut raw).await? as u64;
        return Ok((raw, size));
    }
    let kept = limit as u64 + 1;
    (&mut stdin).take(kept).read_to_end(&mut raw).await?;
    let rest = tokio::io::copy(&mut stdin, &mut tokio::io::sink()).await?;
    let size = raw.len() as u64 + rest;
    Ok((raw, size))
}

async fn send(config: Config) -> ExitCode {
    if config.smtp.host.is_empty() {
        eprintln!("casebook: no smtp.host is set; nothing is sent");
        return ExitCode::from(EX_CONFIG);
    }
    let app = match App::open(config).await {
        Ok(app) => app,
        Err(err) => {
            eprintln!("casebook: the database is unavailable: {err:#}");
            return ExitCode::from(EX_TEMPFAIL);
        }
    };
    let mut total = delivery::Delivery::default();
    loop {
        match delivery::send_due(&app, 100).await {
            Ok(d) => {
                total.sent += d.sent;
                total.failed += d.failed;
                if d.sent + d.failed < 100 {
                    break;
                }
            }
            Err(err) => {
                eprintln!("casebook: {err}");
                return ExitCode::from(EX_SOFTWARE);
            }
        }
    }
    println!("{}", serde_json::to_string(&total).unwrap_or_default());
    if total.failed > 0 {
        ExitCode::from(EX_TEMPFAIL)
    } else {
        ExitCode::SUCCESS
    }
}

async fn poll(config: Config, only: Option<&str>) -> ExitCode {
    let mailboxes: Vec<_> = config
        .imap
        .mailboxes
        .iter()
        .filter(|m| only.is_none_or(|name| m.name == name))
        .cloned()
        .collect();
    if mailboxes.is_empty() {
        match only {
            Some(name) => eprintln!("casebook: no IMAP mailbox named {name:?} is configured"),
            None => eprintln!("casebook: no [[imap.mailboxes]] are configured; nothing is polled"),
        }
        return ExitCode::from(EX_CONFIG);
    }
    let app = match App::open(config).await {
        Ok(app) => app,
        Err(err) => {
            eprintln!("casebook: the database is unavailable, try again later: {err:#}");
            return ExitCode::from(EX_TEMPFAIL);
        }
    };
    let mut all_done = true;
    for mailbox in &mailboxes {
        let line = match imap::poll_once(&app, mailbox).await {
            Ok(polled) => {
                all_done &= polled.failed == 0;
                serde_json::json!({"mailbox": mailbox.name, "polled": polled})
            }
            Err(err) => {
                eprintln!("casebook: {err}");
                all_done = false;
                serde_json::json!({"mailbox": mailbox.name, "error": err.to_string()})
            }
        };
        println!("{line}");
    }
    if all_done {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EX_TEMPFAIL)
    }
}
