//! `[desk]`: who the desk is to its customers — the name signed under mail, the address of its
//! pages in links, and the language of mail to people who chose none.

use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::i18n::Lang;

/// `[desk]`: the name and address customers see in mail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeskConfig {
    /// The desk's name, signed under mail.
    pub name: String,
    /// The address where users reach Casebook's pages (links in mail), without a trailing `/`.
    pub public_url: String,
    /// The language of mail to people who chose none: `zh-CN` or `en`.
    pub language: Lang,
    /// The support hotline the portal shows customers (e.g. a 7×24 number); empty: none.
    pub hotline: String,
}

impl Default for DeskConfig {
    fn default() -> Self {
        DeskConfig {
            name: "技术支持中心 Support Center".into(),
            public_url: "http://127.0.0.1:8080".into(),
            language: Lang::Zh,
            hotline: String::new(),
        }
    }
}

impl DeskConfig {
    /// Checks what the types alone do not.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://"))
            || self.public_url.ends_with('/')
        {
            return Err(ConfigError::Invalid(
                "desk.public_url: an http:// or https:// address without a trailing '/'".into(),
            ));
        }
        Ok(())
    }
}
