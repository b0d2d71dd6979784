//! `casebook call-home …`: device keys from the shell, through the same action as the API,
//! recorded in the audit log as `system:cli`; and `simulate`, a fleet of devices calling home
//! to a server (in `call_home_simulate.rs`; it needs no database).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use crate::actions::call_home::keys::{self, KeyDraft};
use crate::app::AppState;
use crate::policy::Principal;

#[derive(Debug, Subcommand)]
pub enum CallHomeCommand {
    /// Make a key for an organisation's devices (optionally one site) and write its key file
    /// (JSON: key_id, secret, organization, site), readable by its owner only.
    CreateKey {
        /// The organisation's customer number.
        #[arg(long)]
        org: String,
        /// A site code of that organisation, to bind the key to one site.
        #[arg(long)]
        site: Option<String>,
        /// What the key is for.
        #[arg(long, default_value = "")]
        label: String,
        /// Where to write the key file; must not exist.
        #[arg(long)]
        out: PathBuf,
    },
    /// Simulate a fleet of devices sending signed events to a server (inventory, heartbeats,
    /// faults, repeats, recoveries, one event storm); loopback targets only unless
    /// --allow-remote. Prints a summary; exit 0 when every event was answered and none refused
    /// (docs/call-home.md, "Simulator").
    Simulate(super::call_home_simulate::SimulateArgs),
}

pub async fn run(app: AppState, command: CallHomeCommand) -> anyhow::Result<ExitCode> {
    let who = Principal::system("cli");
    match command {
        CallHomeCommand::CreateKey {
            org,
            site,
            label,
            out,
        } => {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options
                .open(&out)
                .map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
            let draft = KeyDraft {
                organization: org,
                site,
                label,
            };
            let made = match keys::create(&app, &who, draft).await {
                Ok(made) => made,
                Err(err) => {
                    drop(file);
                    std::fs::remove_file(&out).ok();
                    return Err(err.into());
                }
            };
            file.write_all(serde_json::to_string_pretty(&made)?.as_bytes())?;
            file.write_all(b"\n")?;
            println!(
                "key {} for {} written to {}",
                made.key_id,
                made.organization,
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        CallHomeCommand::Simulate(args) => super::call_home_simulate::run(args).await,
    }
}
