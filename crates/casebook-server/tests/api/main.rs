//! API tests: each runs against a fresh server on SQLite and on PostgreSQL.

mod helpers;

mod article_alerts;
mod article_from_case;
mod articles;
mod audit;
mod auth;
mod bad_input;
mod calendars;
mod call_home;
mod call_home_demo;
mod call_home_events;
mod call_home_sim;
mod call_home_watch;
mod cases;
mod cli;
mod contracts;
mod crash;
mod directory;
mod faults;
mod files;
mod imports;
mod installed_base;
mod mail;
mod mail_hostile;
mod mail_imap;
mod mail_loop;
mod mail_out;
mod mail_review;
mod openapi;
mod plans;
mod search;
mod search_cli;
mod sla;
mod tenant_matrix;
mod web;
