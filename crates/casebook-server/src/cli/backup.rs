//! `casebook backup FILE`: a consistent copy while the server runs. SQLite uses `VACUUM INTO`
//! (a transactionally consistent snapshot); PostgreSQL runs `pg_dump` in custom format.

use std::path::Path;
use std::process::ExitCode;

use casebook_store::{Backend, backup};

use crate::app::AppState;

pub async fn run(app: AppState, file: &Path) -> anyhow::Result<ExitCode> {
    if file.exists() {
        anyhow::bail!("{} already exists; choose a new file name", file.display());
    }
    match app.store.backend() {
        Backend::Sqlite => {
            let path = file
                .to_str()
                .ok_or_else(|| anyhow::anyhow!("the backup path must be valid UTF-8"))?;
            let mut db = app.store.read().await?;
            backup::sqlite_vacuum_into(&mut db, path).await?;
            println!(
                "SQLite backup written to {} (restore: stop the server and use it as the database file)",
                file.display()
            );
        }
        Backend::Postgres => {
            let status = tokio::process::Command::new("pg_dump")
                .arg("--format=custom")
                .arg("--file")
                .arg(file)
                .arg("--dbname")
                .arg(app.store.url())
                .status()
                .await
                .map_err(|e| {
                    anyhow::anyhow!("cannot run pg_dump (install PostgreSQL's client tools): {e}")
                })?;
            if !status.success() {
                anyhow::bail!("pg_dump failed with {status}");
            }
            println!(
                "PostgreSQL backup written to {} (restore: pg_restore --clean --dbname URL FILE)",
                file.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
