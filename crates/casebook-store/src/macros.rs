//! The store's macros: run the same statement on whichever backend a `Db` holds.

/// `on_db!(db, c => sqlx::query_as("…").bind(x).fetch_one(c).await)` expands the body once per
/// backend with `c` bound to the concrete connection, and converts the error to `StoreError`.
macro_rules! on_db {
    ($db:expr, $c:ident => $body:expr) => {
        match $db.conn() {
            $crate::db::Conn::Sqlite($c) => $body.map_err($crate::error::StoreError::from),
            $crate::db::Conn::Postgres($c) => $body.map_err($crate::error::StoreError::from),
        }
    };
}

/// Like [`on_db!`] for statements run with `execute`: yields the number of rows affected.
macro_rules! exec_db {
    ($db:expr, $c:ident => $body:expr) => {
        match $db.conn() {
            $crate::db::Conn::Sqlite($c) => $body
                .map(|r| r.rows_affected())
                .map_err($crate::error::StoreError::from),
            $crate::db::Conn::Postgres($c) => $body
                .map(|r| r.rows_affected())
                .map_err($crate::error::StoreError::from),
        }
    };
}
