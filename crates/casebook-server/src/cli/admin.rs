//! `casebook admin …`: create users and API tokens from the shell, through the same actions as
//! the API, recorded in the audit log as `system:cli`.

use std::io::Read;
use std::process::ExitCode;

use casebook_domain::Named;
use casebook_domain::policy::Role;
use casebook_domain::text::{Email, Name, Password};
use casebook_domain::users::UserDraft;
use casebook_store::organizations;
use clap::Subcommand;

use crate::actions::{accounts::tokens, accounts::users};
use crate::app::AppState;
use crate::policy::Principal;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a user. Customer roles need --org.
    CreateUser {
        /// Sign-in e-mail.
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// coordinator, engineer, manager, admin, customer_user or customer_admin.
        #[arg(long)]
        role: String,
        /// Customer number of the organisation (customer roles).
        #[arg(long)]
        org: Option<String>,
        /// Read the password from standard input (first line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Create an API token for a user; the token is printed once.
    CreateToken {
        /// The user's e-mail.
        #[arg(long)]
        email: String,
        /// What the token is for.
        #[arg(long)]
        name: String,
    },
}

pub async fn run(app: AppState, command: AdminCommand) -> anyhow::Result<ExitCode> {
    let who = Principal::system("cli");
    match command {
        AdminCommand::CreateUser {
            email,
            name,
            role,
            org,
            password_stdin,
        } => {
            let role = <Role as Named>::parse(&role)?;
            let organization_id = match org {
                Some(number) => {
                    let mut db = app.store.read().await?;
                    let org = organizations::find_by_customer_number(&mut db, &number)
                        .await?
                        .ok_or_else(|| {
                            anyhow::anyhow!("no organisation with customer number {number}")
                        })?;
                    Some(org.id)
                }
                None => None,
            };
            let password = if password_stdin {
                let mut input = String::new();
                std::io::stdin().read_to_string(&mut input)?;
                let line = input.lines().next().unwrap_or_default().to_owned();
                Some(Password::parse(&line).map_err(|e| anyhow::anyhow!("password: {e}"))?)
            } else {
                None
            };
            let draft = UserDraft {
                email: Email::parse(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?,
                name: Name::parse(&name).map_err(|e| anyhow::anyhow!("--name: {e}"))?,
                role,
                organization_id,
                contact_id: None,
                password,
            };
            let user = users::create(&app, &who, draft).await.map_err(describe)?;
            println!(
                "created user {} ({}, {}) with id {}",
                user.email, user.name, user.role, user.id
            );
        }
        AdminCommand::CreateToken { email, name } => {
            let user = users::find_by_email(&app, &email).await.map_err(describe)?;
            let issued = tokens::create(&app, &who, user.id, &name)
                .await
                .map_err(describe)?;
            println!("{}", issued.secret);
            eprintln!(
                "token {} for {} created; it is shown only this once",
                issued.token.id, user.email
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// An action error with its field details, for the terminal.
pub(crate) fn describe(err: crate::actions::ActionError) -> anyhow::Error {
    match err {
        crate::actions::ActionError::Validation(fields) => {
            let lines: Vec<String> = fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect();
            anyhow::anyhow!("{}", lines.join("; "))
        }
        other => anyhow::anyhow!("{other}"),
    }
}
