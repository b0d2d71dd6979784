//! The keys devices and site gateways sign call-home requests with, and the check of a signed
//! request. A key is bound to one organisation and optionally one site; staff make, rotate
//! (the old key keeps working for a grace period) and revoke keys, and the secret is shown once.
//!
//! A request carries `X-Casebook-Key` (the key's public id), `X-Casebook-Timestamp` (Unix
//! seconds, within ±5 minutes of the server's clock), `X-Casebook-Nonce` (16–64 characters of
//! `A-Z a-z 0-9 - _`, never used twice with a key) and `X-Casebook-Signature: v1=<hex>`, the
//! HMAC-SHA256 with the secret of the lines `v1`, the timestamp, the nonce, the method, the
//! path, and the hex SHA-256 of the body, joined by `\n` (docs/call-home.md has a worked
//! example, checked by a test below).

use casebook_domain::ids::{OrganizationId, SiteId};
use casebook_domain::policy::Permission;
use casebook_store::call_home::{self, DeviceKey, NewKey};
use casebook_store::{AuditEntry, organizations, sites};
use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, require};

/// How far a request's timestamp may be from the server's clock.
pub const CLOCK_WINDOW: SignedDuration = SignedDuration::from_mins(5);

/// Why a signed request was refused; each has a stable code and is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// A header is missing or malformed.
    MissingHeaders,
    /// No key has this id.
    UnknownKey,
    /// The key was revoked or has expired.
    KeyRevoked,
    /// The timestamp is more than five minutes off.
    TimestampOutOfWindow,
    /// The signature does not match.
    BadSignature,
    /// The nonce was used before with this key.
    Replayed,
}

impl Refused {
    /// The error code.
    pub fn code(self) -> &'static str {
        match self {
            Refused::MissingHeaders => "signature_headers_missing",
            Refused::UnknownKey => "key_unknown",
            Refused::KeyRevoked => "key_revoked",
            Refused::TimestampOutOfWindow => "timestamp_out_of_window",
            Refused::BadSignature => "signature_invalid",
            Refused::Replayed => "nonce_replayed",
        }
    }

    /// What is wrong, for the device's maintainer.
    pub fn message(self) -> &'static str {
        match self {
            Refused::MissingHeaders => {
                "send X-Casebook-Key, X-Casebook-Timestamp, X-Casebook-Nonce and X-Casebook-Signature (see docs/call-home.md)"
            }
            Refused::UnknownKey => "no key has this id",
            Refused::KeyRevoked => "this key was revoked or has expired; ask for a new one",
            Refused::TimestampOutOfWindow => {
                "the timestamp is more than 5 minutes from the server's clock; check the device's clock"
            }
            Refused::BadSignature => "the signature does not match the request",
            Refused::Replayed => "this nonce was used before with this key",
        }
    }
}

/// The signature headers of a request, as received.
#[derive(Debug, Clone, Default)]
pub struct SignedHeaders<'a> {
    /// `X-Casebook-Key`.
    pub key: Option<&'a str>,
    /// `X-Casebook-Timestamp`.
    pub timestamp: Option<&'a str>,
    /// `X-Casebook-Nonce`.
    pub nonce: Option<&'a str>,
    /// `X-Casebook-Signature`.
    pub signature: Option<&'a str>,
}

/// The text that is signed.
pub fn string_to_sign(
    timestamp: i64,
    nonce: &str,
    method: &str,
    path: &str,
    body: &[u8],
) -> String {
    let digest = hex::encode(Sha256::digest(body));
    format!("v1\n{timestamp}\n{nonce}\n{method}\n{path}\n{digest}")
}

/// The signature header value of a request (`v1=<hex>`).
pub fn sign(
    secret: &str,
    timestamp: i64,
    nonce: &str,
    method: &str,
    path: &str,
    body: &[u8],
) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(string_to_sign(timestamp, nonce, method, path, body).as_bytes());
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

fn nonce_ok(nonce: &str) -> bool {
    (16..=64).contains(&nonce.len())
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A refused request: why, and the public id of the key it named when that key exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Why.
    pub refused: Refused,
    /// The key it named, if known (counted per key).
    pub key: Option<String>,
}

impl Refusal {
    fn new(refused: Refused, key: Option<&DeviceKey>) -> Self {
        Refusal {
            refused,
            key: key.map(|k| k.public_id.clone()),
        }
    }
}

/// Checks a signed request and takes its nonce in `db` (the caller's write transaction, so a
/// request refused later leaves its nonce unused). The key is returned for the events.
pub async fn authenticate(
    db: &mut casebook_store::Db,
    headers: &SignedHeaders<'_>,
    method: &str,
    path: &str,
    body: &[u8],
    now: Timestamp,
) -> ActionResult<Result<DeviceKey, Refused>> {
    let key = match check(db, headers, method, path, body, now).await? {
        Ok(key) => key,
        Err(refusal) => return Ok(Err(refusal.refused)),
    };
    let nonce = headers.nonce.unwrap_or_default();
    Ok(take_nonce(db, &key, nonce, now)
        .await?
        .map_err(|r| r.refused))
}

/// Checks a signed request (headers, key, clock window, signature) without taking its nonce:
/// a read connection will do, so a forged request never waits for the writer.
pub async fn check(
    db: &mut casebook_store::Db,
    headers: &SignedHeaders<'_>,
    method: &str,
    path: &str,
    body: &[u8],
    now: Timestamp,
) -> ActionResult<Result<DeviceKey, Refusal>> {
    let refused = |r: Refused, key: Option<&DeviceKey>| Ok(Err(Refusal::new(r, key)));
    let (Some(key_id), Some(timestamp), Some(nonce), Some(signature)) = (
        headers.key,
        headers.timestamp,
        headers.nonce,
        headers.signature,
    ) else {
        return refused(Refused::MissingHeaders, None);
    };
    let Ok(timestamp) = timestamp.trim().parse::<i64>() else {
        return refused(Refused::MissingHeaders, None);
    };
    if !nonce_ok(nonce) {
        return refused(Refused::MissingHeaders, None);
    }
    let Some(key) = call_home::key_by_public_id(db, key_id.trim()).await? else {
        return refused(Refused::UnknownKey, None);
    };
    if key.revoked_at.is_some() || key.expires_at.is_some_and(|at| at <= now) {
        return refused(Refused::KeyRevoked, Some(&key));
    }
    let Ok(sent) = Timestamp::from_second(timestamp) else {
        return refused(Refused::TimestampOutOfWindow, Some(&key));
    };
    if sent.duration_since(now).abs() > CLOCK_WINDOW {
        return refused(Refused::TimestampOutOfWindow, Some(&key));
    }
    // The MAC's own comparison takes the same time wherever a forged signature differs.
    let sent_mac = signature
        .trim()
        .strip_prefix("v1=")
        .and_then(|h| hex::decode(h).ok());
    let mut mac = Hmac::<Sha256>::new_from_slice(key.secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(string_to_sign(timestamp, nonce, method, path, body).as_bytes());
    if sent_mac.is_none_or(|m| mac.verify_slice(&m).is_err()) {
        return refused(Refused::BadSignature, Some(&key));
    }
    Ok(Ok(key))
}

/// Takes a checked request's nonce in the caller's write transaction, with the key read again
/// there (a key revoked since the check refuses the request).
pub async fn take_nonce(
    db: &mut casebook_store::Db,
    checked: &DeviceKey,
    nonce: &str,
    now: Timestamp,
) -> ActionResult<Result<DeviceKey, Refusal>> {
    let Some(key) = call_home::key(db, checked.id).await? else {
        return Ok(Err(Refusal::new(Refused::UnknownKey, None)));
    };
    if key.revoked_at.is_some() || key.expires_at.is_some_and(|at| at <= now) {
        return Ok(Err(Refusal::new(Refused::KeyRevoked, Some(&key))));
    }
    if !call_home::take_nonce(db, key.id, nonce, now).await? {
        return Ok(Err(Refusal::new(Refused::Replayed, Some(&key))));
    }
    Ok(Ok(key))
}

/// A key as staff see it (never its secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KeyInfo {
    /// Row id.
    pub id: i64,
    /// The id devices send.
    pub key_id: String,
    /// The organisation.
    #[schema(value_type = i64)]
    pub organization_id: OrganizationId,
    /// The site, if bound to one.
    #[schema(value_type = Option<i64>)]
    pub site_id: Option<SiteId>,
    /// What it is for.
    pub label: String,
    /// When made.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When it stops working (rotated keys).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Timestamp>,
    /// When it was revoked.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
    /// When it last signed an accepted request.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Timestamp>,
}

impl From<DeviceKey> for KeyInfo {
    fn from(k: DeviceKey) -> Self {
        KeyInfo {
            id: k.id,
            key_id: k.public_id,
            organization_id: k.organization_id,
            site_id: k.site_id,
            label: k.label,
            created_at: k.created_at,
            expires_at: k.expires_at,
            revoked_at: k.revoked_at,
            last_used_at: k.last_used_at,
        }
    }
}

/// A key just made: the only time its secret is shown. Also the key file of
/// `casebook call-home create-key`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewKeyFile {
    /// The id devices send in `X-Casebook-Key`.
    pub key_id: String,
    /// The secret devices sign with; keep it on the device only.
    pub secret: String,
    /// The customer number of the organisation.
    pub organization: String,
    /// The site code, if bound to a site.
    pub site: Option<String>,
}

/// What a new key is for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyDraft {
    /// The organisation's customer number.
    pub organization: String,
    /// A site code of that organisation, to bind the key to one site.
    #[serde(default)]
    pub site: Option<String>,
    /// What it is for (e.g. "gateway, Shanghai data centre").
    #[serde(default)]
    pub label: String,
}

/// Makes a key for an organisation (and optionally one of its sites).
pub async fn create(app: &App, who: &Principal, draft: KeyDraft) -> ActionResult<NewKeyFile> {
    require(who, Permission::ManageDirectory)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let org = organizations::find_by_customer_number(&mut db, draft.organization.trim())
        .await?
        .ok_or_else(|| {
            ActionError::field("organization", "not_found", "no such customer number")
        })?;
    let site = match draft
        .site
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(code) => {
            let site = sites::find_by_code(&mut db, &code.to_uppercase()).await?;
            match site.filter(|s| s.organization_id == org.id) {
                Some(site) => Some(site),
                None => {
                    return Err(ActionError::field(
                        "site",
                        "not_found",
                        format!("{} has no site {code}", org.customer_number),
                    ));
                }
            }
        }
        None => None,
    };
    let label: String = draft.label.trim().chars().take(200).collect();
    let public_id = format!("chk_{}", hex::encode(rand::random::<[u8; 8]>()));
    let secret = format!("chs_{}", hex::encode(rand::random::<[u8; 32]>()));
    let new = NewKey {
        public_id: &public_id,
        secret: &secret,
        organization_id: org.id,
        site_id: site.as_ref().map(|s| s.id),
        label: &label,
        created_by: who.user_id(),
    };
    let id = call_home::insert_key(&mut db, &new, now).await?;
    let about = serde_json::json!({"key_id": public_id, "organization": org.customer_number,
        "site": site.as_ref().map(|s| &s.code), "label": label});
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "call_home.key.create",
        "call_home_key",
        id,
        None,
        Some(&about),
    ));
    db.commit().await?;
    Ok(NewKeyFile {
        key_id: public_id,
        secret,
        organization: org.customer_number.to_string(),
        site: site.map(|s| s.code.to_string()),
    })
}

/// The keys, newest first (of one organisation, or all).
pub async fn list(
    app: &App,
    who: &Principal,
    organization: Option<OrganizationId>,
) -> ActionResult<Vec<KeyInfo>> {
    require(who, Permission::ManageDirectory)?;
    let mut db = app.store.read().await?;
    let keys = call_home::keys(&mut db, organization).await?;
    Ok(keys.into_iter().map(Into::into).collect())
}

/// Ends a key: at once (`grace` none: revoked), or after a grace period (rotation, with a new
/// key made for the same organisation and site, returned).
pub async fn end(
    app: &App,
    who: &Principal,
    id: i64,
    grace: Option<SignedDuration>,
) -> ActionResult<Option<NewKeyFile>> {
    require(who, Permission::ManageDirectory)?;
    let now = app.clock.now();
    let mut db = app.store.read().await?;
    let key = call_home::key(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("call-home key"))?;
    let org = organizations::get(&mut db, key.organization_id)
        .await?
        .ok_or(ActionError::NotFound("organisation"))?;
    let site = match key.site_id {
        Some(site) => sites::get(&mut db, site).await?.map(|s| s.code.to_string()),
        None => None,
    };
    drop(db);
    if key.revoked_at.is_some() {
        return Err(ActionError::Conflict {
            code: "key_ended",
            message: "this key was revoked already".into(),
        });
    }
    let replacement = match grace {
        Some(_) => Some(
            create(
                app,
                who,
                KeyDraft {
                    organization: org.customer_number.to_string(),
                    site,
                    label: key.label.clone(),
                },
            )
            .await?,
        ),
        None => None,
    };
    let mut db = app.store.write().await?;
    let ends = grace.map(|g| now + g);
    if !call_home::end_key(&mut db, id, ends, who.user_id(), now).await? {
        return Err(ActionError::Conflict {
            code: "key_ended",
            message: "this key was revoked already".into(),
        });
    }
    let about = serde_json::json!({"key_id": key.public_id, "expires_at": ends,
        "replaced_by": replacement.as_ref().map(|r| &r.key_id)});
    let action = if grace.is_some() {
        "call_home.key.rotate"
    } else {
        "call_home.key.revoke"
    };
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        action,
        "call_home_key",
        id,
        None,
        Some(&about),
    ));
    db.commit().await?;
    Ok(replacement)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of docs/call-home.md.
    #[test]
    fn the_documented_example_signs_as_documented() {
        let body = br#"{"idempotency_key":"SN-8812-20261129-0001","type":"fault","site":"SH-DC1","serial_number":"SN-8812","code":"E1234","severity":"major","message":"Controller B failover","occurred_at":"2026-11-29T08:00:00Z"}"#;
        let text = string_to_sign(
            1_795_939_200,
            "3f9a1c0e5b7d2468ace0",
            "POST",
            "/api/v1/call-home/events",
            body,
        );
        let doc = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/call-home.md"
        ))
        .expect("docs/call-home.md");
        assert!(
            doc.contains(&text),
            "the string to sign in the document:\n{text}"
        );
        let signature = sign(
            "chs_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            1_795_939_200,
            "3f9a1c0e5b7d2468ace0",
            "POST",
            "/api/v1/call-home/events",
            body,
        );
        assert!(
            doc.contains(&signature),
            "the signature in the document: {signature}"
        );
        assert!(doc.contains(std::str::from_utf8(body).unwrap()));
    }

    #[test]
    fn nonces_are_checked() {
        assert!(nonce_ok("3f9a1c0e5b7d2468"));
        assert!(!nonce_ok("short"));
        assert!(!nonce_ok("3f9a1c0e5b7d2468 space"));
        assert!(!nonce_ok(&"a".repeat(65)));
    }
}
