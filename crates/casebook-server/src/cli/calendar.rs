//! `casebook calendar deadline`: a deadline on a business calendar, from the shell, through the
//! same action as `GET /api/v1/calendars/{id}/deadline`.

use std::process::ExitCode;

use casebook_domain::sla::CalendarId;
use clap::{Args, Subcommand};

use crate::actions::contracts::calendars::{self, DeadlineTarget};
use crate::app::App;
use crate::policy::Principal;

/// Calendar commands.
#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Print the deadline N working minutes, or the next business day, after a start.
    Deadline(DeadlineArgs),
}

/// Arguments of `calendar deadline`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["minutes", "nbd"])))]
pub struct DeadlineArgs {
    /// The calendar id, e.g. china-5x8 or 24x7.
    #[arg(long)]
    calendar: CalendarId,
    /// The start, RFC 3339, e.g. 2026-09-30T16:50:00+08:00.
    #[arg(long)]
    start: jiff::Timestamp,
    /// Working minutes to add.
    #[arg(long)]
    minutes: Option<u32>,
    /// The end of the next business day instead.
    #[arg(long)]
    nbd: bool,
}

/// Runs a calendar command.
pub async fn run(app: std::sync::Arc<App>, command: CalendarCommand) -> anyhow::Result<ExitCode> {
    let CalendarCommand::Deadline(args) = command;
    let target = match args.minutes {
        Some(m) => DeadlineTarget::Minutes(m),
        None => DeadlineTarget::NextBusinessDay,
    };
    let who = Principal::system("cli");
    let deadline = calendars::deadline(&app, &who, &args.calendar, args.start, target)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{}", deadline.deadline);
    Ok(ExitCode::SUCCESS)
}
