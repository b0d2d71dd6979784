//! Casebook's server: everything with IO.
//!
//! - [`actions`]: the use cases (open a case, comment, sign in…), one function each, called by
//!   the HTTP API, the CLI and the demo loader alike.
//! - [`policy`]: the one place that applies the domain's access rules to a request.
//! - [`http`]: thin handlers (parse, call one action, render), the OpenAPI document and the one
//!   mapping from errors to HTTP responses.
//! - [`web`]: the server-rendered pages: the engineers' console and the customer portal.
//! - [`cli`]: the `casebook` command line.

pub mod actions;
pub mod app;
pub mod auth;
pub mod blobs;
pub mod calendar_cache;
pub mod cli;
pub mod clock;
pub mod config;
pub mod edge;
pub mod error;
pub mod http;
pub mod i18n;
pub mod markdown;
pub mod policy;
pub mod router;
pub mod search;
pub mod server;
pub mod web;
