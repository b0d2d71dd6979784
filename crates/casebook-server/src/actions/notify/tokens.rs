//! Signed tokens in the mail Casebook sends. A reply token (`[ref:2026-00042.1f2e…]`) at the
//! end of every mail about a case lets a reply find its case even when the subject lost its tag
//! and the mail client dropped the references. A link token lets a customer accept or reject a
//! proposed solution straight from the mail, without a password: it names the case, the user,
//! the answer and an expiry. A survey token lets the contact answer a satisfaction survey once,
//! until it expires. A remote session token lets an authorised contact approve or decline one
//! session request until its window closes. All are HMAC-SHA256 with the installation's key, which is made on
//! first use and kept in the database, so every server of an installation accepts them.

use casebook_domain::CaseNumber;
use casebook_domain::ids::{Id, UserId};
use casebook_store::Db;
use casebook_store::mail_templates;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use sha2::Sha256;

use crate::actions::ActionResult;
use crate::app::App;

/// The key's name in the secrets table.
const KEY_NAME: &str = "mail_signing_key";
/// Hex digits of a reply token's signature (64 bits).
const REPLY_SIG: usize = 16;
/// Hex digits of a link's signature (128 bits).
const LINK_SIG: usize = 32;

/// The installation's signing key, in a write transaction (made by the first caller). A key
/// read from committed data is kept by the application: it never changes once made.
pub async fn key(app: &App, db: &mut Db) -> ActionResult<Vec<u8>> {
    if let Some(known) = app.mail_key.get() {
        return Ok(known.clone());
    }
    if let Some(stored) = mail_templates::get_secret(db, KEY_NAME).await? {
        return Ok(stored.into_bytes());
    }
    let candidate = hex::encode(rand::random::<[u8; 32]>());
    let stored = mail_templates::secret(db, KEY_NAME, &candidate).await?;
    Ok(stored.into_bytes())
}

/// The installation's signing key, read outside a transaction (made on first use).
pub async fn signing_key(app: &App) -> ActionResult<Vec<u8>> {
    if let Some(known) = app.mail_key.get() {
        return Ok(known.clone());
    }
    let mut db = app.store.read().await?;
    if let Some(stored) = mail_templates::get_secret(&mut db, KEY_NAME).await? {
        // Committed, so it is the installation's for good.
        return Ok(app.mail_key.get_or_init(|| stored.into_bytes()).clone());
    }
    drop(db);
    let mut db = app.store.write().await?;
    let made = key(app, &mut db).await?;
    db.commit().await?;
    Ok(app.mail_key.get_or_init(|| made).clone())
}

fn sign(key: &[u8], message: &str, digits: usize) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())[..digits].to_owned()
}

/// Compares two signatures in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The reply token of a case, as written in mail: `[ref:2026-00042.<signature>]`.
pub fn reply_token(key: &[u8], number: CaseNumber) -> String {
    format!(
        "[ref:{number}.{}]",
        sign(key, &format!("reply:{number}"), REPLY_SIG)
    )
}

/// The case of the first valid reply token in a text (a forged or altered token names none).
pub fn case_in_reply_token(key: &[u8], text: &str) -> Option<CaseNumber> {
    text.match_indices("[ref:").take(20).find_map(|(at, _)| {
        let rest = &text[at + 5..];
        let inner = &rest[..rest.find(']')?];
        let (number, sig) = inner.split_once('.')?;
        let number: CaseNumber = number.trim().parse().ok()?;
        let expected = sign(key, &format!("reply:{number}"), REPLY_SIG);
        same(sig.trim(), &expected).then_some(number)
    })
}

/// The Message-ID of a mail about a case: keyed, so nobody can predict the Message-ID of a mail
/// Casebook will send and plant it ahead to steer replies to it.
pub fn message_id(key: &[u8], dedupe_key: &str, domain: &str) -> String {
    format!(
        "<{}@{domain}>",
        sign(key, &format!("message-id:{dedupe_key}"), LINK_SIG)
    )
}

/// What a link in a mail does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkAction {
    /// The proposed solution worked: close the case.
    Accept,
    /// It did not: back to work.
    Reject,
}

impl LinkAction {
    /// Its word in the token and the page.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkAction::Accept => "accept",
            LinkAction::Reject => "reject",
        }
    }
}

/// What a valid link token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The case.
    pub case: CaseNumber,
    /// The customer user it was sent to.
    pub user: UserId,
    /// Accept or reject.
    pub action: LinkAction,
    /// The status change that proposed the solution: the link answers that proposal only.
    pub proposal: i64,
    /// Until when it works.
    pub expires: Timestamp,
}

/// A link token: `2026-00042.17.accept.981.1767225600.<signature>` (URL-safe).
pub fn link_token(key: &[u8], link: &Link) -> String {
    let body = format!(
        "{}.{}.{}.{}.{}",
        link.case,
        link.user.get(),
        link.action.as_str(),
        link.proposal,
        link.expires.as_second()
    );
    let sig = sign(key, &format!("link:{body}"), LINK_SIG);
    format!("{body}.{sig}")
}

/// Why a link token is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// Not a token Casebook made (or altered).
    Invalid,
    /// Its time is over.
    Expired,
}

/// Reads a link token made by [`link_token`] with the same key.
pub fn read_link(key: &[u8], token: &str, now: Timestamp) -> Result<Link, LinkError> {
    let (body, sig) = token.rsplit_once('.').ok_or(LinkError::Invalid)?;
    if !same(sig, &sign(key, &format!("link:{body}"), LINK_SIG)) {
        return Err(LinkError::Invalid);
    }
    let mut parts = body.split('.');
    let (Some(case), Some(user), Some(action), Some(proposal), Some(expires), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(LinkError::Invalid);
    };
    let action = match action {
        "accept" => LinkAction::Accept,
        "reject" => LinkAction::Reject,
        _ => return Err(LinkError::Invalid),
    };
    let link = Link {
        case: case.parse().map_err(|_| LinkError::Invalid)?,
        user: Id::new(user.parse().map_err(|_| LinkError::Invalid)?),
        action,
        proposal: proposal.parse().map_err(|_| LinkError::Invalid)?,
        expires: expires
            .parse()
            .ok()
            .and_then(|s| Timestamp::from_second(s).ok())
            .ok_or(LinkError::Invalid)?,
    };
    if link.expires < now {
        return Err(LinkError::Expired);
    }
    Ok(link)
}

/// A survey link token: `<survey id>.<expiry, epoch seconds>.<signature>` (URL-safe). It lets
/// whoever holds the mail answer that survey once, without signing in, until it expires.
pub fn survey_token(key: &[u8], survey: i64, expires: Timestamp) -> String {
    id_token(key, "survey", &survey.to_string(), expires)
}

/// Reads a survey link token made by [`survey_token`] with the same key: the survey's id.
pub fn read_survey_token(key: &[u8], token: &str, now: Timestamp) -> Result<i64, LinkError> {
    read_id_token(key, "survey", token, now)?
        .parse()
        .map_err(|_| LinkError::Invalid)
}

/// A duty page's acknowledgement link token: `<page>.<user>.<expiry>.<signature>`. Whoever
/// holds the mail acknowledges that page as the user it was sent to (the engineer paged, or the
/// manager it escalated to), without signing in, until it expires.
pub fn page_token(key: &[u8], page: i64, user: UserId, expires: Timestamp) -> String {
    id_token(key, "duty-page", &format!("{page}.{}", user.get()), expires)
}

/// Reads a page token made by [`page_token`] with the same key: the page and the user.
pub fn read_page_token(
    key: &[u8],
    token: &str,
    now: Timestamp,
) -> Result<(i64, UserId), LinkError> {
    let ids = read_id_token(key, "duty-page", token, now)?;
    let (page, user) = ids.split_once('.').ok_or(LinkError::Invalid)?;
    let page = page.parse().map_err(|_| LinkError::Invalid)?;
    let user = user.parse().map_err(|_| LinkError::Invalid)?;
    Ok((page, Id::new(user)))
}

/// A remote session's approval link token: `<session>.<user>.<expiry>.<signature>`. Whoever
/// holds the mail answers that session's request (approve or decline) as the authorised contact
/// it was sent to, without signing in, until its window closes; it is good for nothing else.
pub fn remote_token(key: &[u8], session: i64, user: UserId, expires: Timestamp) -> String {
    id_token(
        key,
        "remote-session",
        &format!("{session}.{}", user.get()),
        expires,
    )
}

/// Reads a remote session token made by [`remote_token`] with the same key: session and user.
pub fn read_remote_token(
    key: &[u8],
    token: &str,
    now: Timestamp,
) -> Result<(i64, UserId), LinkError> {
    let ids = read_id_token(key, "remote-session", token, now)?;
    let (session, user) = ids.split_once('.').ok_or(LinkError::Invalid)?;
    let session = session.parse().map_err(|_| LinkError::Invalid)?;
    let user = user.parse().map_err(|_| LinkError::Invalid)?;
    Ok((session, Id::new(user)))
}

fn id_token(key: &[u8], purpose: &str, id: &str, expires: Timestamp) -> String {
    let body = format!("{id}.{}", expires.as_second());
    let sig = sign(key, &format!("{purpose}:{body}"), LINK_SIG);
    format!("{body}.{sig}")
}

/// The ids of a token made by [`id_token`] for `purpose`, as written (`42` or `42.7`).
fn read_id_token(
    key: &[u8],
    purpose: &str,
    token: &str,
    now: Timestamp,
) -> Result<String, LinkError> {
    let (body, sig) = token.rsplit_once('.').ok_or(LinkError::Invalid)?;
    if !same(sig, &sign(key, &format!("{purpose}:{body}"), LINK_SIG)) {
        return Err(LinkError::Invalid);
    }
    let (id, expires) = body.rsplit_once('.').ok_or(LinkError::Invalid)?;
    let id = id.to_owned();
    let expires = expires
        .parse()
        .ok()
        .and_then(|s| Timestamp::from_second(s).ok())
        .ok_or(LinkError::Invalid)?;
    if expires <= now {
        return Err(LinkError::Expired);
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(text: &str) -> CaseNumber {
        text.parse().expect("a case number")
    }

    #[test]
    fn a_reply_token_names_its_case_and_a_forged_one_nothing() {
        let key = b"key-one";
        let token = reply_token(key, number("2026-00042"));
        let mail = format!("Thanks!\n\n> earlier text\n> {token}\n");
        assert_eq!(case_in_reply_token(key, &mail), Some(number("2026-00042")));
        assert_eq!(case_in_reply_token(b"another key", &mail), None);
        let forged = token.replace("2026-00042", "2026-00043");
        assert_eq!(case_in_reply_token(key, &forged), None);
        assert_eq!(case_in_reply_token(key, "[ref:2026-00042.]"), None);
        assert_eq!(case_in_reply_token(key, "[ref:"), None);
    }

    #[test]
    fn message_ids_are_keyed() {
        let id = message_id(b"key-one", "case:1:staff_reply:7:a@b.test", "d.test");
        assert_eq!(
            id,
            message_id(b"key-one", "case:1:staff_reply:7:a@b.test", "d.test")
        );
        assert_ne!(
            id,
            message_id(b"key-two", "case:1:staff_reply:7:a@b.test", "d.test")
        );
        assert!(id.starts_with('<') && id.ends_with("@d.test>"));
    }

    #[test]
    fn a_link_token_round_trips_and_refuses_changes_and_age() {
        let key = b"key-one";
        let now = Timestamp::from_second(1_800_000_000).expect("a time");
        let link = Link {
            case: number("2026-00042"),
            user: Id::new(17),
            action: LinkAction::Accept,
            proposal: 981,
            expires: Timestamp::from_second(1_800_086_400).expect("a time"),
        };
        let token = link_token(key, &link);
        assert_eq!(read_link(key, &token, now), Ok(link.clone()));
        let other = token.replace(".accept.", ".reject.");
        assert_eq!(read_link(key, &other, now), Err(LinkError::Invalid));
        assert_eq!(read_link(b"k2", &token, now), Err(LinkError::Invalid));
        let later = Timestamp::from_second(1_900_000_000).expect("a time");
        assert_eq!(read_link(key, &token, later), Err(LinkError::Expired));
        assert_eq!(read_link(key, "junk", now), Err(LinkError::Invalid));
    }

    #[test]
    fn a_survey_token_names_its_survey_until_it_expires() {
        let key = b"key-one";
        let now = Timestamp::from_second(1_800_000_000).expect("a time");
        let expires = Timestamp::from_second(1_800_086_400).expect("a time");
        let token = survey_token(key, 42, expires);
        assert_eq!(read_survey_token(key, &token, now), Ok(42));
        let forged = token.replacen("42.", "43.", 1);
        assert_eq!(
            read_survey_token(key, &forged, now),
            Err(LinkError::Invalid)
        );
        assert_eq!(
            read_survey_token(b"k2", &token, now),
            Err(LinkError::Invalid)
        );
        assert_eq!(
            read_survey_token(key, &token, expires),
            Err(LinkError::Expired)
        );
        assert_eq!(read_survey_token(key, "1.2", now), Err(LinkError::Invalid));
        let page = page_token(key, 42, Id::new(7), expires);
        assert_eq!(read_page_token(key, &page, now), Ok((42, Id::new(7))));
        assert_eq!(
            read_page_token(key, &token, now),
            Err(LinkError::Invalid),
            "a survey token is no page token"
        );
        let remote = remote_token(key, 42, Id::new(7), expires);
        assert_eq!(read_remote_token(key, &remote, now), Ok((42, Id::new(7))));
        assert_eq!(
            read_remote_token(key, &page, now),
            Err(LinkError::Invalid),
            "a page token is no remote session token"
        );
        assert_eq!(
            read_remote_token(key, &remote, expires),
            Err(LinkError::Expired)
        );
    }
}
