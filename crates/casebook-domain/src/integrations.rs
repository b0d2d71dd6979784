//! Where events go (集成): a subscription's target — a webhook or a DingTalk (钉钉), WeCom
//! (企业微信) or Feishu (飞书) group robot — its URL as checked when an administrator saves it,
//! the wait before each retry, and (`address.rs`) which network addresses a target may reach.

pub mod address;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::attributes::Named;
use crate::error::FieldError;

/// What kind of receiver a subscription sends to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// Any HTTP(S) endpoint, sent the event's JSON signed with HMAC-SHA256.
    Webhook,
    /// A DingTalk custom robot (keyword or signed secret).
    Dingtalk,
    /// A WeCom group robot (the key is in its URL).
    Wecom,
    /// A Feishu custom bot (optionally a signed secret).
    Feishu,
}

impl Named for TargetKind {
    const WHAT: &'static str = "target kind";
    const ALL: &'static [Self] = &[Self::Webhook, Self::Dingtalk, Self::Wecom, Self::Feishu];
    fn as_str(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::Dingtalk => "dingtalk",
            Self::Wecom => "wecom",
            Self::Feishu => "feishu",
        }
    }
}

impl TargetKind {
    /// Whether messages to it are chat messages (robots), not the event's JSON.
    pub fn is_robot(self) -> bool {
        self != Self::Webhook
    }
}

/// The longest URL accepted.
pub const MAX_URL: usize = 2000;

/// A target URL's parts, checked: `http` or `https`, a host, no user name or password, no
/// fragment, no control characters or spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetUrl {
    /// Whether it is `https`.
    pub https: bool,
    /// The host as written (a name, an IPv4 address, or an IPv6 address without brackets).
    pub host: String,
    /// The port, explicit or the scheme's.
    pub port: u16,
}

fn url_error(message: impl Into<String>) -> FieldError {
    FieldError::new("url", "invalid", message)
}

impl TargetUrl {
    /// Parses and checks a target URL.
    pub fn parse(raw: &str) -> Result<TargetUrl, FieldError> {
        if raw.is_empty() {
            return Err(FieldError::new(
                "url",
                "required",
                "a target URL is required",
            ));
        }
        if raw.len() > MAX_URL {
            return Err(FieldError::new(
                "url",
                "too_long",
                format!("at most {MAX_URL} characters"),
            ));
        }
        if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(url_error("no spaces or control characters in a URL"));
        }
        let (https, rest) = if let Some(rest) = raw.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = raw.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(url_error("the URL must start with https:// or http://"));
        };
        if raw.contains('#') {
            return Err(url_error("no fragment (#…) in a target URL"));
        }
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err(url_error("no user name or password in a target URL"));
        }
        let default_port = if https { 443 } else { 80 };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| url_error("an IPv6 address must be closed with ]"))?;
            let port = match after {
                "" => default_port,
                p => parse_port(p.strip_prefix(':').ok_or_else(|| url_error("bad port"))?)?,
            };
            if host.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(url_error(format!("{host} is not an IPv6 address")));
            }
            (host.to_owned(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host.to_owned(), parse_port(port)?),
                None => (authority.to_owned(), default_port),
            }
        };
        if host.is_empty() {
            return Err(url_error("the URL has no host"));
        }
        let host = host.to_ascii_lowercase();
        let name_ok = host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'));
        if !name_ok {
            return Err(url_error(
                "write the host in ASCII (an internationalised name as its xn-- form)",
            ));
        }
        Ok(TargetUrl { https, host, port })
    }
}

fn parse_port(raw: &str) -> Result<u16, FieldError> {
    raw.parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| url_error(format!("{raw:?} is not a port (1–65535)")))
}

/// A target URL as people read it: a robot's token is its secret, so every query value (DingTalk
/// `access_token`, WeCom `key`) and a Feishu hook's last path segment are shown as `****`.
/// Webhook URLs are shown as saved (their secret is separate).
pub fn redact_url(kind: TargetKind, url: &str) -> String {
    if !kind.is_robot() {
        return url.to_owned();
    }
    let (path, query) = match url.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (url, None),
    };
    let mut shown = match (kind, path.rsplit_once('/')) {
        (TargetKind::Feishu, Some((head, last))) if !last.is_empty() => format!("{head}/****"),
        _ => path.to_owned(),
    };
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) => format!("{k}=****"),
                None => pair.to_owned(),
            })
            .collect();
        shown.push('?');
        shown.push_str(&pairs.join("&"));
    }
    shown
}

/// The wait before the next attempt after `failures` failed attempts in a row: 10 seconds,
/// doubling, at most an hour.
pub fn backoff_secs(failures: u32) -> i64 {
    (10i64 << failures.min(9)).min(3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_field_by_field() {
        let ok = TargetUrl::parse("https://oapi.dingtalk.com/robot/send?access_token=abc").unwrap();
        assert_eq!(
            (ok.https, ok.host.as_str(), ok.port),
            (true, "oapi.dingtalk.com", 443)
        );
        let local = TargetUrl::parse("http://127.0.0.1:8080/hook").unwrap();
        assert_eq!((local.host.as_str(), local.port), ("127.0.0.1", 8080));
        let v6 = TargetUrl::parse("http://[::ffff:127.0.0.1]/x").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::ffff:127.0.0.1", 80));
        for bad in [
            "",
            "ftp://x.test/",
            "https://user:pw@x.test/",
            "https:///path",
            "https://x.test:0/",
            "https://x.test:99999/",
            "https://x.test/a b",
            "https://x.test/#frag",
            "https://[::1/",
            "https://例子.测试/",
        ] {
            assert!(TargetUrl::parse(bad).is_err(), "{bad} was accepted");
        }
        assert_eq!(
            TargetUrl::parse(&format!("https://x.test/{}", "a".repeat(MAX_URL)))
                .unwrap_err()
                .code,
            "too_long"
        );
    }

    #[test]
    fn robot_tokens_are_hidden_and_webhooks_shown() {
        assert_eq!(
            redact_url(
                TargetKind::Dingtalk,
                "https://oapi.dingtalk.com/robot/send?access_token=abc"
            ),
            "https://oapi.dingtalk.com/robot/send?access_token=****"
        );
        assert_eq!(
            redact_url(
                TargetKind::Wecom,
                "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1&debug=1"
            ),
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=****&debug=****"
        );
        assert_eq!(
            redact_url(
                TargetKind::Feishu,
                "https://open.feishu.cn/open-apis/bot/v2/hook/0f8c-77"
            ),
            "https://open.feishu.cn/open-apis/bot/v2/hook/****"
        );
        assert_eq!(
            redact_url(TargetKind::Webhook, "https://crm.test/h?x=1"),
            "https://crm.test/h?x=1"
        );
    }

    #[test]
    fn backoff_doubles_to_an_hour() {
        assert_eq!(backoff_secs(0), 10);
        assert_eq!(backoff_secs(1), 20);
        assert_eq!(backoff_secs(5), 320);
        assert_eq!(backoff_secs(9), 3600);
        assert_eq!(backoff_secs(40), 3600);
    }
}
