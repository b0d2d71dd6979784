//! `[integrations]`: webhooks and chat robots — which private networks their targets may reach,
//! how long a request may take, how much of an answer is read, when a failing subscription is
//! switched off, and how often the sender looks for due deliveries.

use casebook_domain::integrations::address::Network;
use serde::{Deserialize, Serialize};

use super::ConfigError;

/// Webhooks and chat robots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntegrationsConfig {
    /// Networks targets may reach although they are not public (loopback, private, link-local
    /// …), e.g. `["10.20.0.0/16"]` for a CRM inside the company. Empty: only public addresses.
    pub allow_networks: Vec<String>,
    /// Seconds a delivery may take, connecting included.
    pub timeout_secs: u64,
    /// Bytes of a response kept (the rest is not read).
    pub max_response_bytes: usize,
    /// Failed attempts in a row after which a subscription is switched off (administrators are told).
    pub max_failures: u32,
    /// Milliseconds between two looks for due deliveries when nothing woke the sender.
    pub poll_millis: u64,
}

impl Default for IntegrationsConfig {
    fn default() -> Self {
        IntegrationsConfig {
            allow_networks: Vec::new(),
            timeout_secs: 10,
            max_response_bytes: 65536,
            max_failures: 15,
            poll_millis: 1000,
        }
    }
}

impl IntegrationsConfig {
    /// The allowed networks, parsed.
    pub fn networks(&self) -> Vec<Network> {
        self.allow_networks
            .iter()
            .filter_map(|n| Network::parse(n).ok())
            .collect()
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        for (i, raw) in self.allow_networks.iter().enumerate() {
            Network::parse(raw).map_err(|e| {
                ConfigError::Invalid(format!("integrations.allow_networks[{i}]: {e}"))
            })?;
        }
        if !(1..=120).contains(&self.timeout_secs) {
            return Err(ConfigError::Invalid(
                "integrations.timeout_secs: from 1 to 120".into(),
            ));
        }
        if !(1024..=16 * 1024 * 1024).contains(&self.max_response_bytes) {
            return Err(ConfigError::Invalid(
                "integrations.max_response_bytes: from 1024 to 16777216".into(),
            ));
        }
        if !(1..=1000).contains(&self.max_failures) {
            return Err(ConfigError::Invalid(
                "integrations.max_failures: from 1 to 1000".into(),
            ));
        }
        if !(10..=60_000).contains(&self.poll_millis) {
            return Err(ConfigError::Invalid(
                "integrations.poll_millis: from 10 to 60000".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_a_bad_network_is_named() {
        IntegrationsConfig::default().validate().unwrap();
        let bad = IntegrationsConfig {
            allow_networks: vec!["127.0.0.1".into(), "intranet".into()],
            ..IntegrationsConfig::default()
        };
        let message = bad.validate().unwrap_err().to_string();
        assert!(message.contains("allow_networks[1]"), "{message}");
        let ok = IntegrationsConfig {
            allow_networks: vec!["127.0.0.1/32".into(), "::1".into()],
            ..IntegrationsConfig::default()
        };
        ok.validate().unwrap();
        assert_eq!(ok.networks().len(), 2);
        let slow = IntegrationsConfig {
            timeout_secs: 0,
            ..IntegrationsConfig::default()
        };
        assert!(slow.validate().is_err());
    }
}
