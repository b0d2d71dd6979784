//! `casebook mail send`: one delivery pass over the outbox (exit 75 when some message failed).
//! `casebook mail ingest`: one raw message on standard input, as an MTA pipe or alias delivers
//! it. Exit codes follow sysexits, which MTAs understand: 0 when the message is kept (threaded,
//! opened, quarantined, ignored or already here), 75 (temporary failure: the MTA retries later)
//! when the database cannot be reached, 74 when standard input cannot be read, 70 otherwise.

use std::process::ExitCode;

use clap::Subcommand;
use tokio::io::AsyncReadExt;

use crate::actions::{ActionError, mail_in, mail_out};
use crate::app::App;
use crate::config::Config;

/// The mail commands.
#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Read one raw RFC 5322 message from standard input and take it in.
    Ingest,
    /// Deliver the due messages of the outbox once, through `[smtp]` (the server does this by
    /// itself every `smtp.send_interval_secs`).
    Send,
}

const EX_SOFTWARE: u8 = 70;
const EX_IOERR: u8 = 74;
const EX_TEMPFAIL: u8 = 75;

/// Runs a mail command.
pub async fn run(config: Config, command: MailCommand) -> ExitCode {
    match command {
        MailCommand::Ingest => ingest(config).await,
        MailCommand::Send => send(config).await,
    }
}

async fn ingest(config: Config) -> ExitCode {
    // Read at most one byte past the limit: enough to know the message is too large.
    let limit = config.mail.max_message_bytes as u64 + 1;
    let mut raw = Vec::new();
    if let Err(err) = tokio::io::stdin().take(limit).read_to_end(&mut raw).await {
        eprintln!("casebook: cannot read the message: {err}");
        return ExitCode::from(EX_IOERR);
    }
    let app = match App::open(config).await {
        Ok(app) => app,
        Err(err) => {
            eprintln!("casebook: the database is unavailable, try again later: {err:#}");
            return ExitCode::from(EX_TEMPFAIL);
        }
    };
    match mail_in::ingest(&app, &raw).await {
        Ok(done) => {
            println!("{}", serde_json::to_string(&done).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Err(ActionError::Unavailable(detail)) => {
            eprintln!("casebook: the database is unavailable, try again later: {detail}");
            ExitCode::from(EX_TEMPFAIL)
        }
        Err(err) => {
            eprintln!("casebook: {err}");
            ExitCode::from(EX_SOFTWARE)
        }
    }
}

async fn send(config: Config) -> ExitCode {
    if config.smtp.host.is_empty() {
        eprintln!("casebook: no smtp.host is set; nothing is sent");
        return ExitCode::from(78);
    }
    let app = match App::open(config).await {
        Ok(app) => app,
        Err(err) => {
            eprintln!("casebook: the database is unavailable: {err:#}");
            return ExitCode::from(EX_TEMPFAIL);
        }
    };
    let mut total = mail_out::Delivery::default();
    loop {
        match mail_out::send_due(&app, 100).await {
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
