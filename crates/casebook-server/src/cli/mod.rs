//! The `casebook` command line: `demo`, `serve`, `migrate`, `admin`, `calendar`, `import`,
//! `backup`, `audit`, `config`, `mail`, `call-home`, `remote`.

mod admin;
pub(crate) use admin::describe;
mod backup;
mod calendar;
mod call_home;
mod call_home_simulate;
pub mod demo;
mod import;
mod mail;
mod reindex;
mod remote;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::app::App;
use crate::config::{Config, Overrides};

/// Casebook: a technical-support and after-sales service desk.
#[derive(Debug, Parser)]
#[command(name = "casebook", version, about)]
pub struct Cli {
    /// Configuration file (TOML); see `casebook config example`.
    #[arg(long, global = true, env = "CASEBOOK_CONFIG")]
    config: Option<PathBuf>,
    /// The command.
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a server with demo data on an embedded SQLite database.
    Demo {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Directory for the demo database and attachments (created if missing).
        #[arg(long, default_value = "casebook-demo")]
        data: PathBuf,
    },
    /// Run the server with the configuration file and CASEBOOK_* variables.
    Serve {
        /// Address to listen on (overrides `listen`).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Database URL (overrides `database.url`).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate {
        /// Database URL (overrides `database.url`).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Administration: users and tokens.
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
    /// Call home: device keys, and a simulator of devices calling home.
    CallHome {
        #[command(subcommand)]
        command: call_home::CallHomeCommand,
    },
    /// Write a consistent backup while the server runs (SQLite: a database file; PostgreSQL:
    /// a pg_dump custom-format archive).
    Backup {
        /// Where to write the backup; must not exist.
        file: PathBuf,
    },
    /// Business calendars.
    Calendar {
        #[command(subcommand)]
        command: calendar::CalendarCommand,
    },
    /// Import organisations, contacts, units or contracts from a CSV or XLSX file (all rows or
    /// none; every problem is listed by row and column).
    Import {
        /// What the file holds.
        #[arg(value_enum)]
        kind: crate::actions::imports::Kind,
        /// The file (.csv in UTF-8 or GB18030, or .xlsx).
        file: PathBuf,
        /// Check every row and report, without writing anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// The e-mail channel.
    Mail {
        #[command(subcommand)]
        command: mail::MailCommand,
    },
    /// Remote diagnosis sessions: append a transcript to a running session's log.
    Remote {
        #[command(subcommand)]
        command: remote::RemoteCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Rebuild the search index from the database, with a progress bar (stop `casebook serve`
    /// on the same `[search] index_dir` first).
    Reindex,
    /// Configuration help.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check the hash chain of the whole audit log.
    Verify,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print a documented example configuration with the defaults.
    Example,
}

/// Parses the command line and runs it; errors are printed and give exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(cli_config: Option<&PathBuf>, overrides: &Overrides) -> anyhow::Result<Config> {
    Ok(Config::load(
        cli_config.map(PathBuf::as_path),
        std::env::vars(),
        overrides,
    )?)
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Config {
            command: ConfigCommand::Example,
        } => {
            print!("{}", crate::config::EXAMPLE);
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { listen, data } => {
            let config = load_config(
                cli.config.as_ref(),
                &Overrides {
                    listen: Some(listen),
                    database_url: None,
                },
            )?;
            init_logging(&config.log);
            demo::run(config, &data).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            listen,
            database_url,
        } => {
            let config = load_config(
                cli.config.as_ref(),
                &Overrides {
                    listen,
                    database_url,
                },
            )?;
            init_logging(&config.log);
            let app = App::open(config).await?;
            // The index is opened now so that a directory in use stops the start, with a reason.
            app.search.engine().await?;
            let listener = tokio::net::TcpListener::bind(app.config.listen).await?;
            tracing::info!(address = %listener.local_addr()?, database = %casebook_store::redact(app.store.url()), "casebook serving");
            crate::server::run(app, listener).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { database_url } => {
            let config = load_config(
                cli.config.as_ref(),
                &Overrides {
                    listen: None,
                    database_url,
                },
            )?;
            App::open(config).await?;
            println!("migrations applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin { command } => {
            let config = load_config(cli.config.as_ref(), &Overrides::default())?;
            admin::run(App::open(config).await?, command).await
        }
        Command::CallHome {
            command: call_home::CallHomeCommand::Simulate(args),
        } => call_home_simulate::run(args).await,
        Command::CallHome { command } => {
            let config = load_config(cli.config.as_ref(), &Overrides::default())?;
            call_home::run(App::open(config).await?, command).await
        }
        Command::Calendar { command } => {
            let config = load_config(cli.config.as_ref(), &Overrides::default())?;
            calendar::run(App::open(config).await?, command).await
        }
        Command::Import {
            kind,
            file,
            dry_run,
        } => {
            let config = load_config(cli.config.as_ref(), &Overrides::default())?;
            import::run(App::open(config).await?, kind, &file, dry_run).await
        }
        Command::Mail { command } => {
            let config = match load_config(cli.config.as_ref(), &Overrides::default()) {
                Ok(config) => config,
                // An MTA bounces a message for good on exit 1; the desk's fault must not cost the
                // sender theirs: the MTA keeps it and retries.
                Err(err) if matches!(command, mail::MailCommand::Ingest) => {
                    eprintln!("error: {err:#}; the message was not taken, try again later");
                    return Ok(ExitCode::from(mail::EX_TEMPFAIL));
                }
                Err(err) => return Err(err),
            };
            Ok(mail::run(config, command).await)
        }
        Command::Remote { command } => {
            let config = load_config(cli.config.as_ref(), &Overrides::default())?;
            remote::run(App::open(config).await?, command).await
        }
        Command::Reindex => {
            let config = load_config(cli.config.as_ref(), &Overrides::default())?;
            init_logging(&config.log);
            reindex::run(App::open(config).await?).await
        }
        Command::Backup { file } => {
            let config = load_config(cli.config.as_ref(), &Overrides::default())?;
            backup::run(App::open(config).await?, &file).await
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let config = load_config(cli.config.as_ref(), &Overrides::default())?;
            let app = App::open(config).await?;
            let who = crate::policy::Principal::system("cli");
            match crate::actions::audit::verify(&app, &who).await? {
                casebook_store::audit::Verification::Intact { entries } => {
                    println!("audit log intact: {entries} entries verified");
                    Ok(ExitCode::SUCCESS)
                }
                broken => {
                    eprintln!("audit log BROKEN: {broken:?}");
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}
