//! Requests Casebook makes to other systems (webhooks and chat robots), made safe: every address
//! a target's name resolves to is checked when the connection is made (so a name that later
//! resolves elsewhere — DNS rebinding — gains nothing), an address written in the URL is checked
//! before the request, redirects are not followed, proxies from the environment are ignored,
//! each request has a timeout and only the first bytes of an answer are read. TLS is rustls with
//! the public roots. Also the bell that wakes the sender when a change queued deliveries.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use casebook_domain::integrations::address::{self, Network};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::config::IntegrationsConfig;

/// Resolves names and keeps only the addresses a target may reach.
#[derive(Debug)]
struct CheckedResolver {
    allowed: Arc<Vec<Network>>,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allowed = self.allowed.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| format!("cannot resolve {host}: {e}"))?
                .collect();
            let mut refusal = None;
            let kept: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| match address::check(a.ip(), &allowed) {
                    Ok(()) => true,
                    Err(why) => {
                        refusal.get_or_insert(why);
                        false
                    }
                })
                .collect();
            if kept.is_empty() {
                let why = refusal.unwrap_or_else(|| format!("{host} has no address"));
                return Err(format!("refused: {host} resolves to {why}").into());
            }
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

/// What an outgoing request gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status, when an answer came.
    pub status: Option<u16>,
    /// The first bytes of the answer's body, as text (lossy).
    pub body: String,
    /// Why it failed: no answer, a refused address, a redirect, or a status outside 2xx.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
}

/// The client for webhooks and robots, built once from `[integrations]`.
#[derive(Debug)]
pub struct Outbound {
    client: reqwest::Client,
    allowed: Arc<Vec<Network>>,
    max_body: usize,
    /// Rung after a commit that queued deliveries; the sender waits on it.
    pub wake: Arc<tokio::sync::Notify>,
}

/// Makes ring the process's TLS crypto provider (once; later calls do nothing). Every HTTP
/// client of the process needs one: the outbound client, the call-home simulator, tests.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn tls() -> rustls::ClientConfig {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

impl Outbound {
    /// Builds the client.
    pub fn new(config: &IntegrationsConfig) -> Self {
        install_crypto();
        let allowed = Arc::new(config.networks());
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls())
            .dns_resolver(Arc::new(CheckedResolver {
                allowed: allowed.clone(),
            }))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(config.timeout_secs))
            .connect_timeout(Duration::from_secs(config.timeout_secs.min(5)))
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("Casebook/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the outbound client's settings are valid");
        Outbound {
            client,
            allowed,
            max_body: config.max_response_bytes,
            wake: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Whether a URL may be sent to as far as can be told without connecting: its scheme, and
    /// an address written in it. Names are checked when they are resolved.
    pub fn check_url(&self, url: &str) -> Result<reqwest::Url, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("only http and https targets".into());
        }
        let host = parsed.host_str().ok_or("the URL has no host")?;
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = literal.parse::<IpAddr>() {
            address::check(ip, &self.allowed).map_err(|why| format!("refused: {why}"))?;
        }
        Ok(parsed)
    }

    /// POSTs a JSON body with extra headers and reads at most the configured bytes of the answer.
    pub async fn post(&self, url: &str, headers: &[(&str, String)], body: Vec<u8>) -> Answer {
        let started = Instant::now();
        let elapsed = |s: Instant| i64::try_from(s.elapsed().as_millis()).unwrap_or(i64::MAX);
        let failed = |error: String| Answer {
            status: None,
            body: String::new(),
            error: Some(error),
            duration_ms: elapsed(started),
        };
        let url = match self.check_url(url) {
            Ok(url) => url,
            Err(why) => return failed(why),
        };
        let mut request = self
            .client
            .post(url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let mut response = match request.send().await {
            Ok(r) => r,
            Err(e) => return failed(describe(&e)),
        };
        let status = response.status();
        let mut kept = Vec::new();
        while kept.len() < self.max_body {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = self.max_body - kept.len();
                    kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                Ok(None) => break,
                Err(e) => return failed(describe(&e)),
            }
        }
        let error = if status.is_redirection() {
            Some(format!(
                "HTTP {} (redirects are not followed)",
                status.as_u16()
            ))
        } else if !status.is_success() {
            Some(format!("HTTP {}", status.as_u16()))
        } else {
            None
        };
        Answer {
            status: Some(status.as_u16()),
            body: String::from_utf8_lossy(&kept).into_owned(),
            error,
            duration_ms: elapsed(started),
        }
    }
}

/// An error with its causes (reqwest hides the resolver's refusal in the source chain).
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
