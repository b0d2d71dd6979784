//! `casebook remote log --case N --session S < transcript`: appends a terminal transcript to a
//! running remote session's log, through the same action as the API, recorded in the audit log
//! as `system:cli`. Terminal control sequences are removed; a line that starts with an RFC 3339
//! time and a space keeps that time, others get the time they are read; a line longer than a
//! log line goes in pieces; lines go in batches of 1000, each batch all or nothing.

use std::io::Read;
use std::process::ExitCode;

use casebook_domain::CaseNumber;
use casebook_domain::field::log::{LogLineDraft, MAX_LINES_PER_APPEND, transcript};
use clap::Subcommand;

use crate::actions::field::remote;
use crate::actions::field::remote_log::{self, Append};
use crate::app::AppState;
use crate::policy::Principal;

#[derive(Debug, Subcommand)]
pub enum RemoteCommand {
    /// Append a transcript read from standard input to a running session's log.
    Log {
        /// The case, e.g. 2026-00042.
        #[arg(long = "case")]
        case: CaseNumber,
        /// The session's id on that case.
        #[arg(long)]
        session: i64,
    },
}

pub async fn run(app: AppState, command: RemoteCommand) -> anyhow::Result<ExitCode> {
    let who = Principal::system("cli");
    match command {
        RemoteCommand::Log { case, session } => {
            let found = remote::get(&app, &who, session).await?;
            if found.case_number != case.to_string() {
                anyhow::bail!("remote session {session} is not on case {case}");
            }
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text)?;
            let lines = transcript(&text, true);
            if lines.is_empty() {
                anyhow::bail!("standard input held no line to log");
            }
            let mut appended = 0;
            let mut total = 0;
            for batch in lines.chunks(MAX_LINES_PER_APPEND) {
                let request = Append {
                    lines: batch
                        .iter()
                        .map(|(at, text)| LogLineDraft {
                            at: *at,
                            text: text.clone(),
                        })
                        .collect(),
                };
                let done = remote_log::append(&app, &who, session, request).await?;
                appended += done.count;
                total = done.total;
            }
            println!(
                "{appended} lines appended to remote session {session} of case {case}; the log holds {total}"
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
