//! The connection to an IMAP server: TCP, then TLS from the first byte or after STARTTLS (rustls
//! with the public roots and the certificates of `ca_file`), up to the greeting.

use std::sync::Arc;

use async_imap::Client;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::config::{ImapMailbox, ImapSecurity};

/// The connection under a session: plain TCP or TLS.
pub(super) trait Io: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Io for T {}
pub(super) type Stream = Box<dyn Io>;

/// A client past the greeting (and STARTTLS), ready to log in.
pub(super) async fn connect(mailbox: &ImapMailbox) -> Result<Client<Stream>, String> {
    let address = (mailbox.host.as_str(), mailbox.port);
    let tcp = TcpStream::connect(address)
        .await
        .map_err(|e| format!("{}:{}: {e}", mailbox.host, mailbox.port))?;
    match mailbox.security {
        ImapSecurity::None => greeted(Box::new(tcp)).await,
        ImapSecurity::Tls => greeted(Box::new(tls(mailbox, tcp).await?)).await,
        ImapSecurity::Starttls => {
            let mut client = greeted(Box::new(tcp)).await?;
            client
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .map_err(|e| format!("STARTTLS refused: {e}"))?;
            // No greeting follows STARTTLS.
            Ok(Client::new(Box::new(
                tls(mailbox, client.into_inner()).await?,
            )))
        }
    }
}

async fn greeted(stream: Stream) -> Result<Client<Stream>, String> {
    let mut client = Client::new(stream);
    match client.read_response().await {
        Ok(Some(_greeting)) => Ok(client),
        Ok(None) => Err("the server closed the connection before greeting".into()),
        Err(e) => Err(e.to_string()),
    }
}

async fn tls<S: AsyncRead + AsyncWrite + Unpin>(
    mailbox: &ImapMailbox,
    stream: S,
) -> Result<tokio_rustls::client::TlsStream<S>, String> {
    let config = tls_config(mailbox)?;
    let name = ServerName::try_from(mailbox.host.clone())
        .map_err(|e| format!("{:?} is not a host name for TLS: {e}", mailbox.host))?;
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, stream)
        .await
        .map_err(|e| format!("TLS with {}: {e}", mailbox.host))
}

/// TLS trusting the public roots and the certificates of `ca_file`.
fn tls_config(mailbox: &ImapMailbox) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = &mailbox.ca_file {
        let shown = path.display();
        for cert in CertificateDer::pem_file_iter(path).map_err(|e| format!("{shown}: {e}"))? {
            let cert = cert.map_err(|e| format!("{shown}: {e}"))?;
            roots.add(cert).map_err(|e| format!("{shown}: {e}"))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
