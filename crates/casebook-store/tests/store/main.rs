//! Integration tests of the store, each on a fresh SQLite and a fresh PostgreSQL database.

mod articles;
mod audit;
mod calendars;
mod cases;
mod concurrency;
mod directory;
mod migrations;
mod support;
