//! Sender authentication through the real `casebook mail ingest`, on SQLite and PostgreSQL:
//! with `mail.authserv_id` set, a message whose trusted `Authentication-Results` say DMARC
//! failed (or SPF or DKIM failed without a DMARC pass) goes to the quarantine with the result
//! as its reason, instead of joining a case or opening one; a pass forged below the trusted
//! headers does not help, headers of other services are ignored, `mail.auth_failing = "dmarc"`
//! counts only DMARC, and without `authserv_id` nothing is checked.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use serde_json::Value;

use crate::helpers::TestApp;
use crate::mail::ingest;

on_both_backends!(failing_sender_authentication_is_quarantined);

const TRUSTED: (&str, &str) = ("CASEBOOK_MAIL_AUTHSERV_ID", "mx.vendor.test");

fn message(subject: &str, id: &str, auth_headers: &str, body: &str) -> Vec<u8> {
    format!(
        "Return-Path: <user@cn-a.test>\r\n{auth_headers}From: user@cn-a.test\r\nTo: support@vendor.test\r\nSubject: {subject}\r\nMessage-ID: <{id}@auth.test>\r\nDate: Sun, 29 Nov 2026 10:00:00 +0800\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

async fn timeline(t: &TestApp, number: &str) -> String {
    let (_, timeline) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
        .await;
    timeline.to_string()
}

async fn case_count(t: &TestApp) -> usize {
    let (_, list) = t.get(&t.admin, "/api/v1/cases").await;
    list["items"].as_array().unwrap().len()
}

fn disposition(done: &Value) -> (&str, &str) {
    (
        done["disposition"].as_str().unwrap_or_default(),
        done["reason"].as_str().unwrap_or_default(),
    )
}

async fn failing_sender_authentication_is_quarantined(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let number = t.case_of_a().await;
    let reply = format!("Re: [Case {number}]");
    let cases = case_count(&t).await;

    // DMARC failed at the trusted MTA: a forged reply is held, the case is untouched.
    let dmarc_fail = "Authentication-Results: mx.vendor.test;\r\n\tspf=pass smtp.mailfrom=cn-a.test;\r\n\tdkim=fail (signature did not verify) header.d=cn-a.test;\r\n\tdmarc=fail (p=reject dis=none) header.from=cn-a.test\r\n";
    let (code, done) = ingest(
        &t,
        &message(&reply, "dmarc-fail", dmarc_fail, "FORGED-DMARC"),
        &[TRUSTED],
    )
    .await;
    assert_eq!(code, 0, "{done}");
    let (what, why) = disposition(&done);
    assert_eq!(what, "quarantined", "{done}");
    assert!(
        why.contains("mx.vendor.test") && why.contains("dmarc=fail header.from=cn-a.test"),
        "{done}"
    );
    assert!(!timeline(&t, &number).await.contains("FORGED-DMARC"));
    // The reviewer sees why.
    let (_, held) = t.get(&t.engineer, "/api/v1/mail/quarantine").await;
    assert!(
        held[0]["reason"].as_str().unwrap().contains("dmarc=fail"),
        "{held}"
    );

    // SPF failed, and the pass below it came with the message (after another service's
    // header): still held; a new message opens no case.
    let forged_below = "Authentication-Results: mx.vendor.test; spf=fail smtp.mailfrom=cn-a.test; dkim=none\r\nReceived: from attacker.test by mx.vendor.test\r\nAuthentication-Results: attacker.test; dmarc=pass\r\nAuthentication-Results: mx.vendor.test; dmarc=pass header.from=cn-a.test\r\n";
    let (_, done) = ingest(
        &t,
        &message("新问题", "spf-fail", forged_below, "FORGED-SPF"),
        &[TRUSTED],
    )
    .await;
    let (what, why) = disposition(&done);
    assert_eq!(what, "quarantined", "{done}");
    assert!(why.contains("spf=fail"), "{done}");
    assert_eq!(case_count(&t).await, cases, "no case opened");

    // Only DMARC counts when so configured; DMARC passing outweighs SPF failing (forwarding);
    // other services' headers are ignored.
    let only_dmarc = [TRUSTED, ("CASEBOOK_MAIL_AUTH_FAILING", "dmarc")];
    for (id, headers, env) in [
        (
            "dmarc-only",
            "Authentication-Results: mx.vendor.test; spf=fail smtp.mailfrom=cn-a.test\r\n",
            &only_dmarc[..],
        ),
        (
            "forwarded",
            "Authentication-Results: mx.vendor.test; spf=fail; dkim=pass header.d=cn-a.test; dmarc=pass\r\n",
            &[TRUSTED][..],
        ),
        (
            "other-service",
            "Authentication-Results: elsewhere.test; dmarc=fail header.from=cn-a.test\r\n",
            &[TRUSTED][..],
        ),
    ] {
        let body = format!("ACCEPTED-{id}");
        let (_, done) = ingest(&t, &message(&reply, id, headers, &body), env).await;
        assert_eq!(disposition(&done).0, "threaded", "{id}: {done}");
        assert!(timeline(&t, &number).await.contains(&body), "{id}");
    }

    // Without mail.authserv_id nothing is checked.
    let (_, done) = ingest(
        &t,
        &message(&reply, "unchecked", dmarc_fail, "UNCHECKED"),
        &[],
    )
    .await;
    assert_eq!(disposition(&done).0, "threaded", "{done}");

    // A bad value is refused before anything is taken in.
    let (code, done) = ingest(
        &t,
        &message(&reply, "bad-setting", "", "BAD-SETTING"),
        &[TRUSTED, ("CASEBOOK_MAIL_AUTH_FAILING", "spf")],
    )
    .await;
    assert_ne!(code, 0, "{done}");
    assert!(!timeline(&t, &number).await.contains("BAD-SETTING"));
    assert_eq!(done, Value::Null);
}
