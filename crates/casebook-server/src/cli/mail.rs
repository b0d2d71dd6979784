//! `casebook mail ingest`: one raw message on standard input, as an MTA pipe or alias delivers
//! it. Exit codes follow sysexits, which MTAs understand: 0 when the message is kept (threaded,
//! opened, quarantined, ignored or already here), 75 (temporary failure: the MTA retries later)
//! when the database cannot be reached, 74 when standard input cannot be read, 70 otherwise.

use std::process::ExitCode;

use clap::Subcommand;
use tokio::io::AsyncReadExt;

use crate::actions::{ActionError, mail_in};
use crate::app::App;
use crate::config::Config;

/// The mail commands.
#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Read one raw RFC 5322 message from standard input and take it in.
    Ingest,
}

const EX_SOFTWARE: u8 = 70;
const EX_IOERR: u8 = 74;
const EX_TEMPFAIL: u8 = 75;

/// Runs a mail command.
pub async fn run(config: Config, command: MailCommand) -> ExitCode {
    match command {
        MailCommand::Ingest => ingest(config).await,
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
