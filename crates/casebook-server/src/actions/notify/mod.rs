//! What Casebook tells people, queued in the transaction of the change that caused it: mail
//! about cases to customers and staff (rendered from the templates, with signed reply and link
//! tokens) and in-app notifications. The case core calls this layer; it calls no channel.

pub mod case_mail;
pub mod in_app;
pub mod templates;
pub mod tokens;
