//! Consistent online backup of an SQLite database (`VACUUM INTO`). PostgreSQL installations are
//! backed up with `pg_dump`, which the CLI runs.

use crate::db::{Backend, Db};
use crate::error::{StoreError, StoreResult};

/// Writes a consistent copy of the SQLite database to `path` while the server keeps running.
pub async fn sqlite_vacuum_into(db: &mut Db, path: &str) -> StoreResult<()> {
    if db.backend() != Backend::Sqlite {
        return Err(StoreError::Config(
            "VACUUM INTO is for SQLite; use pg_dump for PostgreSQL".into(),
        ));
    }
    exec_db!(db, c => sqlx::query("VACUUM INTO $1").bind(path).execute(c).await)?;
    Ok(())
}
