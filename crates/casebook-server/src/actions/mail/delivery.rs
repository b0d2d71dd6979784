//! Mail going out: the outbox is written in the transaction of the change that causes a message
//! (mail to customers about their cases, an SLA warning, a renewal reminder); this sender delivers it through SMTP. A pass holds the
//! messages it takes for a few minutes, so two servers never send one at the same time; a
//! message that fails is tried again later with a growing wait (1, 2, 4 … minutes, at most six
//! hours). Each message's Message-ID comes from its unique key, so a message sent again after a
//! crash (sent, but not yet marked) carries the same Message-ID and receivers drop the copy.

use std::time::Duration;

use casebook_store::notifications::{self, OutgoingMail};
use casebook_store::timeline;
use jiff::SignedDuration;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::config::{SmtpConfig, SmtpSecurity};

/// Mail that carries a secret (a one-time code): its text is not kept once it is sent.
const SECRET_KINDS: [&str; 1] = ["visit_sign_code"];

/// How long a pass holds the messages it took.
const HOLD: SignedDuration = SignedDuration::from_mins(5);

/// What a pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// Messages the server accepted.
    pub sent: usize,
    /// Messages that failed this time (they are tried again later).
    pub failed: usize,
}

/// The Message-ID of an outbox message: the same for every attempt.
pub fn message_id(dedupe_key: &str, domain: &str) -> String {
    format!(
        "<{}@{domain}>",
        &hex::encode(Sha256::digest(dedupe_key.as_bytes()))[..32]
    )
}

/// The wait before the next attempt after `attempts` failures.
pub fn backoff(attempts: i64) -> SignedDuration {
    let minutes = 1i64 << attempts.clamp(0, 9);
    SignedDuration::from_mins(minutes.min(360))
}

/// Header text with no line breaks or other control characters (no header injection).
fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn transport(smtp: &SmtpConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let tls = || tls_parameters(smtp);
    let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host);
    let builder = match smtp.security {
        SmtpSecurity::None => builder,
        SmtpSecurity::Starttls => builder.tls(Tls::Required(tls()?)),
        SmtpSecurity::Tls => builder.tls(Tls::Wrapper(tls()?)),
    };
    let mut builder = builder
        .port(smtp.port)
        .timeout(Some(Duration::from_secs(smtp.timeout_secs)));
    if !smtp.username.is_empty() {
        builder = builder.credentials(Credentials::new(
            smtp.username.clone(),
            smtp.password.clone(),
        ));
    }
    Ok(builder.build())
}

/// TLS for `smtp.host`, trusting the public roots and the certificates of `smtp.ca_file`.
fn tls_parameters(smtp: &SmtpConfig) -> Result<TlsParameters, String> {
    let mut builder = TlsParameters::builder(smtp.host.clone());
    if !smtp.ca_file.is_empty() {
        let path = &smtp.ca_file;
        let pem = std::fs::read(path).map_err(|e| format!("smtp.ca_file {path}: {e}"))?;
        let found = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("smtp.ca_file {path}: {e}"))?;
        if found.is_empty() {
            return Err(format!("smtp.ca_file {path}: no PEM certificate in it"));
        }
        let certificate =
            Certificate::from_pem(&pem).map_err(|e| format!("smtp.ca_file {path}: {e}"))?;
        builder = builder.add_root_certificate(certificate);
    }
    builder
        .build()
        .map_err(|e| format!("TLS for {}: {e}", smtp.host))
}

/// `Auto-Submitted` (RFC 3834): mail that is not a person's reply says so, so that
/// out-of-office responders and other desks do not answer it.
#[derive(Debug, Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// A file sent with a mail: its name, media type and content.
type File = (String, String, Vec<u8>);

fn build(smtp: &SmtpConfig, mail: &OutgoingMail, file: Option<File>) -> Result<Message, String> {
    let from: Mailbox = smtp.from.parse().map_err(|e| format!("smtp.from: {e}"))?;
    let to: Mailbox = one_line(&mail.recipient)
        .parse()
        .map_err(|e| format!("recipient {:?}: {e}", mail.recipient))?;
    let id = mail
        .message_id
        .clone()
        .unwrap_or_else(|| message_id(&mail.dedupe_key, &smtp.message_id_domain));
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(one_line(&mail.subject))
        .message_id(Some(one_line(&id)));
    if let Some(parent) = &mail.in_reply_to {
        builder = builder
            .in_reply_to(one_line(parent))
            .references(one_line(parent));
    }
    // A staff reply is a person's answer; everything else is generated.
    if mail.kind != "staff_reply" {
        builder = builder.header(AutoSubmitted);
    }
    match file {
        None => builder
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|e| e.to_string()),
        Some((name, media, content)) => {
            let media = ContentType::parse(&media).unwrap_or(ContentType::TEXT_PLAIN);
            builder
                .multipart(
                    MultiPart::mixed()
                        .singlepart(SinglePart::plain(mail.body.clone()))
                        .singlepart(Attachment::new(name).body(content, media)),
                )
                .map_err(|e| e.to_string())
        }
    }
}

/// The file a mail carries, read from the attachments' storage.
async fn file_of(app: &App, mail: &OutgoingMail) -> ActionResult<Option<File>> {
    let Some(id) = mail.attachment else {
        return Ok(None);
    };
    let mut db = app.store.read().await?;
    let Some((name, media, sha256, storage)) = timeline::attachment_file(&mut db, id).await? else {
        return Ok(None);
    };
    let content = app.blobs.get(&mut db, storage, &sha256).await?;
    Ok(Some((name, media, content)))
}

/// Delivers up to `limit` due messages of the outbox; nothing when no SMTP server is set.
pub async fn send_due(app: &App, limit: i64) -> ActionResult<Delivery> {
    let smtp = &app.config.smtp;
    if smtp.host.is_empty() {
        return Ok(Delivery::default());
    }
    let transport = transport(smtp).map_err(ActionError::Internal)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let due = notifications::claim_due_mail(&mut db, now, now + HOLD, limit).await?;
    db.commit().await?;
    let mut done = Delivery::default();
    for mail in due {
        // A file that cannot be read fails this message only, like any other failure.
        let built = match file_of(app, &mail).await {
            Ok(file) => build(smtp, &mail, file),
            Err(err) => Err(format!("its attachment: {err}")),
        };
        let result = match built {
            Ok(message) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(err) => Err(err),
        };
        let now = app.clock.now();
        let mut db = app.store.write().await?;
        match result {
            Ok(()) => {
                notifications::mail_sent(&mut db, mail.id, now).await?;
                if SECRET_KINDS.contains(&mail.kind.as_str()) {
                    notifications::forget_body(&mut db, mail.id).await?;
                }
                done.sent += 1;
            }
            Err(err) => {
                tracing::warn!(id = mail.id, error = %err, "mail delivery failed; it will be tried again");
                notifications::mail_failed(&mut db, mail.id, &err, now + backoff(mail.attempts))
                    .await?;
                done.failed += 1;
            }
        }
        db.commit().await?;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_stable_and_backoff_grows_to_a_cap() {
        assert_eq!(message_id("k1", "d.test"), message_id("k1", "d.test"));
        assert_ne!(message_id("k1", "d.test"), message_id("k2", "d.test"));
        assert!(message_id("k1", "d.test").ends_with("@d.test>"));
        assert_eq!(backoff(0), SignedDuration::from_mins(1));
        assert_eq!(backoff(3), SignedDuration::from_mins(8));
        assert_eq!(backoff(40), SignedDuration::from_mins(360));
    }

    #[test]
    fn header_text_has_no_line_breaks() {
        assert_eq!(
            one_line("SLA warning\r\nBcc: victim@x.test"),
            "SLA warning Bcc: victim@x.test"
        );
    }
}
