//! Helpers for turning database rows into domain values.

use casebook_domain::ValidationError;

use crate::error::{StoreError, StoreResult};

/// Parses a stored enum-like column, reporting corruption with the column's name.
pub(crate) fn parse_column<T>(
    what: &str,
    raw: &str,
    parse: impl Fn(&str) -> Result<T, ValidationError>,
) -> StoreResult<T> {
    parse(raw).map_err(|e| StoreError::corrupt(what, e))
}

/// Tables whose rows a write transaction can lock before reading them for an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// `organizations`.
    Organizations,
    /// `contacts`.
    Contacts,
    /// `products`.
    Products,
    /// `users`.
    Users,
    /// `cases`.
    Cases,
    /// `sites`.
    Sites,
    /// `units`.
    Units,
    /// `contracts`.
    Contracts,
}

/// Locks one row for the rest of the transaction, so that concurrent read-modify-write updates
/// of the same record run one after the other. SQLite writers are serialised already.
pub async fn lock_row(db: &mut crate::Db, table: Table, id: i64) -> StoreResult<()> {
    if db.backend() == crate::Backend::Sqlite {
        return Ok(());
    }
    let sql = match table {
        Table::Organizations => "SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE",
        Table::Contacts => "SELECT 1 FROM contacts WHERE id = $1 FOR UPDATE",
        Table::Products => "SELECT 1 FROM products WHERE id = $1 FOR UPDATE",
        Table::Users => "SELECT 1 FROM users WHERE id = $1 FOR UPDATE",
        Table::Cases => "SELECT 1 FROM cases WHERE id = $1 FOR UPDATE",
        Table::Sites => "SELECT 1 FROM sites WHERE id = $1 FOR UPDATE",
        Table::Units => "SELECT 1 FROM units WHERE id = $1 FOR UPDATE",
        Table::Contracts => "SELECT 1 FROM contracts WHERE id = $1 FOR UPDATE",
    };
    exec_db!(db, c => sqlx::query(sql).bind(id).execute(c).await)?;
    Ok(())
}
