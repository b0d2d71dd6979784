//! Addresses that only look like another (full-width letters, letters of another script, an
//! invisible character in front) and single-line text with bidirectional overrides or
//! zero-width characters, through the API: the same address is the same address, a look-alike
//! is refused naming the field, and what is stored has nothing invisible in it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;

use crate::helpers::{TestApp, assert_error};

on_both_backends!(
    lookalike_addresses_are_refused_or_recognised,
    single_lines_drop_invisible_characters,
);

/// The code of the one refused field, which must be `email`.
fn email_refusal(status: StatusCode, body: &Value) -> String {
    let details = assert_error(
        status,
        body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "email", "{body}");
    details["fields"][0]["code"].as_str().unwrap().to_owned()
}

async fn lookalike_addresses_are_refused_or_recognised(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let user = |email: &str| json!({"email": email, "name": "Spoof", "role": "customer_user", "organization_id": t.a.org_id});
    let contact =
        |org: i64, email: &str| json!({"organization_id": org, "name": "Spoof", "email": email});
    // Organisation A's user is user@cn-a.test, its contact contact@cn-a.test.
    // Cyrillic ѕ (U+0455), е (U+0435), о (U+043E) and с (U+0441): refused, for users and for
    // contacts of any organisation, whichever of the two came first.
    for spoof in ["u\u{455}er@cn-a.test", "us\u{435}r@cn-a.test"] {
        let (status, body) = t.post(&t.admin, "/api/v1/users", user(spoof)).await;
        assert_eq!(email_refusal(status, &body), "lookalike", "{spoof}");
        let (status, body) = t
            .post(
                &t.coordinator,
                "/api/v1/contacts",
                contact(t.b.org_id, spoof),
            )
            .await;
        assert_eq!(email_refusal(status, &body), "lookalike", "{spoof}");
    }
    let (status, body) = t
        .post(
            &t.coordinator,
            "/api/v1/contacts",
            contact(t.b.org_id, "\u{441}\u{43e}ntact@cn-a.test"),
        )
        .await;
    assert_eq!(email_refusal(status, &body), "lookalike");
    // Changing a contact's address to a look-alike is refused too, and changes nothing.
    let path = format!("/api/v1/contacts/{}", t.b.contact_id);
    let (_, before) = t.get(&t.coordinator, &path).await;
    let (status, body) = t
        .patch(
            &t.coordinator,
            &path,
            json!({"email": "\u{455}upport@cn-a.test"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "no look-alike yet: {body}");
    let (status, body) = t
        .patch(
            &t.coordinator,
            &path,
            json!({"email": "user@cn-\u{430}.test"}),
        )
        .await;
    assert_eq!(email_refusal(status, &body), "lookalike");
    let (_, after) = t.get(&t.coordinator, &path).await;
    assert_eq!(after["email"], "\u{455}upport@cn-a.test");
    assert_ne!(after["email"], before["email"]);
    // The first-come look-alike blocks the real address from then on: staff see the refusal
    // and find the impostor.
    let (status, body) = t
        .post(&t.admin, "/api/v1/users", user("support@cn-a.test"))
        .await;
    assert_eq!(email_refusal(status, &body), "lookalike");

    // Full-width letters and a zero-width space are the same address: a duplicate.
    for same in [
        "ｕｓｅｒ＠ｃｎ－ａ．ｔｅｓｔ",
        "\u{200b}user@cn-a.test",
        "USER@CN-A.TEST\u{feff}",
    ] {
        let (status, body) = t.post(&t.admin, "/api/v1/users", user(same)).await;
        assert_eq!(email_refusal(status, &body), "duplicate", "{same}: {body}");
    }
    // Stored in its plain form: another organisation may have a contact with the same address,
    // and the address it gets is the ASCII one.
    let (status, created) = t
        .post(
            &t.coordinator,
            "/api/v1/contacts",
            contact(t.b.org_id, "ｕｓｅｒ＠ｃｎ－ａ．ｔｅｓｔ"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["email"], "user@cn-a.test");
    // An address in one script throughout, like no other, is welcome.
    let (status, created) = t
        .post(&t.admin, "/api/v1/users", user("李伟@例子.中国"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
}

async fn single_lines_drop_invisible_characters(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    // U+202E between "invoice" and "fdp.exe" makes it read as "invoiceexe.pdf".
    let (status, case) = t
        .post(
            &t.a.user_token,
            "/api/v1/cases",
            json!({"title": "invoice\u{202e}fdp.exe", "description": "d", "severity": 3}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    assert_eq!(case["title"], "invoicefdp.exe");
    let number = case["number"].as_str().unwrap();
    let (status, changed) = t
        .patch(
            &t.engineer,
            &format!("/api/v1/cases/{number}"),
            json!({"title": "\u{2067}\u{200b}存储\u{200d}告警\u{2069}"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["title"], "存储告警");
    // Names of organisations and contacts alike.
    let (status, org) = t
        .post(
            &t.coordinator,
            "/api/v1/organizations",
            json!({"customer_number": "CN-Z", "name": "\u{200b}华信\u{202d}科技"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    assert_eq!(org["name"], "华信科技");
    // A title of nothing but invisible characters is empty.
    let (status, body) = t
        .post(
            &t.a.user_token,
            "/api/v1/cases",
            json!({"title": "\u{202e}\u{200b}", "description": "d", "severity": 3}),
        )
        .await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "title", "{body}");
}
