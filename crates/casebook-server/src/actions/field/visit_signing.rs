//! The customer signs a completed visit, once: on the engineer's screen (a drawn signature,
//! re-encoded or refused when it is not plain strokes, and the typed name) or, when they
//! cannot, with a one-time code mailed to the case's contact (six digits, 30 minutes, five
//! tries in all, a new one at most once a minute; kept as a hash, the mail's text forgotten once
//! sent). Signing makes the service report (服务报告单) in the signer's language, keeps
//! it on the case as a public attachment whose SHA-256 goes into the audit chain, and mails it
//! to the customers of the case. A signed visit cannot be signed again, on any route.

use base64::Engine;
use casebook_domain::field::signature::{
    CODE_MINUTES, MAX_CODE_TRIES, SignMethod, SignOff, check_png, clean_svg, code_digits,
};
use casebook_domain::field::visit::{Visit, VisitState};
use casebook_domain::policy::Visibility;
use casebook_domain::{FieldError, Timestamp};
use casebook_store::visits::{self as store, NewSignature};
use casebook_store::{AuditEntry, Db};
use jiff::SignedDuration;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::service_report::{self, SignedBy};
use super::visits::{conflict, from_state, recorded, staff_step};
use crate::actions::cases::attachments::{Upload, attach};
use crate::actions::notify::case_mail::{self, Recipient};
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::i18n::Lang;
use crate::policy::Principal;

/// Where a one-time code went.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodeSent {
    /// The address, partly hidden (`zh***@example.com`).
    pub sent_to: String,
    /// Until when the code works.
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
}

/// How long after sending a code another may be sent.
const RESEND_SECS: i64 = 60;

fn masked(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let shown: String = local.chars().take(2).collect();
            format!("{shown}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

fn code_hash(visit: i64, code: &str) -> String {
    hex::encode(Sha256::digest(format!("visit-sign:{visit}:{code}")))
}

/// Refuses a visit that is not completed or is signed already.
fn signable(visit: &Visit) -> ActionResult<()> {
    from_state(visit, VisitState::Completed, "signed")?;
    if visit.signed.is_some() {
        return Err(conflict(
            "visit_signed",
            "the visit is signed; its service report cannot change",
        ));
    }
    Ok(())
}

async fn signer(
    app: &App,
    db: &mut Db,
    case: &casebook_domain::case::Case,
) -> ActionResult<Recipient> {
    case_mail::signer_of(app, db, case).await?.ok_or_else(|| {
        conflict(
            "visit_no_contact",
            "the case has no customer with a mail address; ask them to sign on the screen",
        )
    })
}

/// Mails a one-time code to the case's contact (staff), replacing an earlier one.
pub async fn send_code(app: &App, who: &Principal, id: i64) -> ActionResult<CodeSent> {
    let now = app.clock.now();
    let (mut db, case, visit) = staff_step(app, who, id, None).await?;
    signable(&visit)?;
    if let Some(sent) = store::code_sent_at(&mut db, id).await?
        && now < sent + SignedDuration::from_secs(RESEND_SECS)
    {
        return Err(conflict(
            "sign_code_wait",
            format!(
                "a code was sent less than {RESEND_SECS} seconds ago; wait before sending another"
            ),
        ));
    }
    let to = signer(app, &mut db, &case).await?;
    let code = format!("{:06}", rand::random_range(0..1_000_000u32));
    let expires_at = now + SignedDuration::from_mins(CODE_MINUTES);
    store::put_code(
        &mut db,
        id,
        &code_hash(id, &code),
        &to.address,
        expires_at,
        now,
    )
    .await?;
    let engineer = who.name.clone();
    let extra = json!({"visit": {"id": id, "code": code, "minutes": CODE_MINUTES,
        "engineer": engineer, "site": visit.site.as_ref().map(|s| s.name.clone()).unwrap_or_default()}});
    let event = format!("visit-code:{id}:{}", now.as_millisecond());
    case_mail::tell_one(
        app,
        &mut db,
        &case,
        "visit_sign_code",
        &to,
        extra,
        (&event, None),
        now,
    )
    .await?;
    let sent_to = masked(&to.address);
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "visit.sign_code",
        "visit",
        id,
        None,
        Some(&json!({"sent_to": sent_to, "expires_at": expires_at})),
    ));
    db.commit().await?;
    Ok(CodeSent {
        sent_to,
        expires_at,
    })
}

/// The drawing as kept: a re-encoded SVG, or a checked PNG as a data URL.
fn drawing(raw: &str) -> Result<String, FieldError> {
    let raw = raw.trim();
    let Some(rest) = raw.strip_prefix("data:") else {
        return clean_svg(raw);
    };
    let (meta, data) = rest
        .split_once(',')
        .ok_or_else(|| FieldError::new("signature", "invalid", "a data URL"))?;
    let media = meta.split(';').next().unwrap_or_default();
    let bytes = if meta.ends_with(";base64") {
        base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .map_err(|_| FieldError::new("signature", "invalid", "base64 content"))?
    } else {
        percent_encoding::percent_decode_str(data).collect()
    };
    match media {
        "image/svg+xml" => clean_svg(&String::from_utf8_lossy(&bytes)),
        "image/png" => {
            check_png(&bytes)?;
            Ok(format!(
                "data:image/png;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(&bytes)
            ))
        }
        _ => Err(FieldError::new(
            "signature",
            "unsupported",
            "an SVG or PNG drawing",
        )),
    }
}

/// Checks a typed one-time code; every try is counted first (and kept by the caller when the
/// code is wrong), so at most five are ever compared.
async fn check_code(db: &mut Db, id: i64, typed: &str, now: Timestamp) -> ActionResult<String> {
    let Some((hash, recipient)) = store::code_try(db, id, MAX_CODE_TRIES, now).await? else {
        return Err(match store::code(db, id).await? {
            None => conflict(
                "sign_code_missing",
                "no code was sent for this visit; send one first",
            ),
            Some((_, _, expires_at, _)) if expires_at <= now => {
                conflict("sign_code_expired", "the code expired; send a new one")
            }
            Some(_) => conflict("sign_code_spent", "too many wrong codes; send a new one"),
        });
    };
    match code_digits(typed) {
        Some(digits) if code_hash(id, &digits) == hash => Ok(recipient),
        _ => Err(ActionError::field(
            "code",
            "wrong",
            "not the code that was sent",
        )),
    }
}

/// The customer signs a completed visit (on the engineer's device, staff signed in): the
/// service report is made, kept and mailed.
pub async fn sign(
    app: &App,
    who: &Principal,
    id: i64,
    mut request: SignOff,
) -> ActionResult<Visit> {
    let now = app.clock.now();
    let method = request.check().map_err(ActionError::Validation)?;
    let (mut db, case, visit) = staff_step(app, who, id, request.version).await?;
    signable(&visit)?;
    let (kept, code_sent_to) = match method {
        SignMethod::Drawn => {
            let raw = request.signature.as_deref().unwrap_or_default();
            let kept = drawing(raw).map_err(|e| ActionError::Validation(vec![e]))?;
            (Some(kept), None)
        }
        SignMethod::Code => {
            let typed = request.code.as_deref().unwrap_or_default();
            match check_code(&mut db, id, typed, now).await {
                Ok(recipient) => (None, Some(recipient)),
                Err(e @ ActionError::Validation(_)) => {
                    // The try counted stays counted.
                    db.commit().await?;
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
        }
    };
    let signed = NewSignature {
        visit: id,
        signer_name: &request.signer_name,
        method: method.as_str(),
        signature: kept.as_deref(),
    };
    if !store::sign(&mut db, &signed, now).await? {
        return Err(conflict("visit_signed", "the visit was signed meanwhile"));
    }
    let to = case_mail::signer_of(app, &mut db, &case).await?;
    let lang = match &to {
        Some(r) => r.lang,
        None => Lang::from_tag(app.config.desk.language.tag()).unwrap_or(Lang::Zh),
    };
    let by = SignedBy {
        name: &request.signer_name,
        at: now,
        method,
        drawing: kept.as_deref(),
        code_sent_to: code_sent_to.as_deref(),
    };
    let tz = app.config.time_zone();
    let html = service_report::render((lang, &tz, &app.config.desk.name), &case, &visit, &by)?;
    let upload = Upload {
        file_name: format!("service-report-{}-{id}.html", visit.case_number),
        content_type: "text/html".into(),
        content: bytes::Bytes::from(html),
    };
    let event = attach(
        app,
        &mut db,
        who,
        case.id,
        Visibility::Public,
        &[upload],
        now,
    )
    .await?;
    let file = event
        .attachments
        .first()
        .ok_or_else(|| ActionError::Internal("the service report was not stored".into()))?;
    store::set_report(&mut db, id, file.id.get(), &file.sha256).await?;
    store::drop_code(&mut db, id).await?;
    for customer in case_mail::customers_of(app, &mut db, &case).await? {
        let extra =
            json!({"visit": {"id": id, "signer": request.signer_name, "file": file.file_name}});
        let event = format!("visit-report:{id}");
        case_mail::tell_one(
            app,
            &mut db,
            &case,
            "service_report",
            &customer,
            extra,
            (&event, Some(file.id.get())),
            now,
        )
        .await?;
    }
    let said = json!({"signer": request.signer_name, "method": method.as_str(),
        "report": {"number": service_report::number(&visit), "file": file.file_name, "sha256": file.sha256}});
    recorded(db, who, &case, id, ("visit.sign", "sign"), Some(said), now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawings_are_kept_clean() {
        let svg = r#"<svg viewBox="0 0 10 10"><path d="M1 1 L5 5"/></svg>"#;
        assert!(drawing(svg).is_ok_and(|s| s.contains("M1 1 L5 5")));
        let url = format!(
            "data:image/svg+xml;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(svg)
        );
        assert!(drawing(&url).is_ok());
        let bad = "data:image/svg+xml,%3Csvg%20onload%3D%22x()%22%3E%3Cpath%20d%3D%22M1%201%22%2F%3E%3C%2Fsvg%3E";
        assert_eq!(drawing(bad).map_err(|e| e.code), Err("unsafe"));
        assert_eq!(
            drawing("data:text/html,<b>").map_err(|e| e.code),
            Err("unsupported")
        );
        assert_eq!(masked("zhang.wei@example.com"), "zh***@example.com");
    }
}
