//! Attachment previews over HTTP, on SQLite and PostgreSQL: a long log as numbered lines with a
//! search and pages, a GBK log read as Chinese, an image shown inline with the safe headers, a
//! binary file offered for download only, and a customer never previewing an internal file.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use encoding_rs::GB18030;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use super::{PASSWORD, WebClient, user_with_password};
use crate::helpers::TestApp;

on_both_backends!(attachments_are_previewed);

/// Uploads one file as `token` (with `visibility`); its attachment id.
async fn upload(
    t: &TestApp,
    token: &str,
    number: &str,
    name: &str,
    mime: &str,
    content: Vec<u8>,
    visibility: &str,
) -> i64 {
    let form = Form::new().text("visibility", visibility.to_owned()).part(
        "file",
        Part::bytes(content)
            .file_name(name.to_owned())
            .mime_str(mime)
            .unwrap(),
    );
    let response = t
        .client
        .post(t.url(&format!("/api/v1/cases/{number}/attachments")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let event: Value = response.json().await.unwrap();
    event["attachments"][0]["id"].as_i64().unwrap()
}

async fn attachments_are_previewed(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let number = t.case_of_a().await;
    let log: String = (1..=1203)
        .map(|n| match n % 400 {
            0 => format!(
                "2026-12-07 10:{:02}:00 ERROR disk <b>{n}</b> offline\n",
                n % 60
            ),
            _ => format!("2026-12-07 10:{:02}:00 INFO heartbeat {n}\n", n % 60),
        })
        .collect();
    let log_id = upload(
        &t,
        &t.engineer,
        &number,
        "array.log",
        "text/plain",
        log.into_bytes(),
        "public",
    )
    .await;
    let gbk = GB18030
        .encode("2026-12-07 控制器 B 故障切换\n")
        .0
        .into_owned();
    let gbk_id = upload(
        &t,
        &t.engineer,
        &number,
        "gbk.log",
        "application/octet-stream",
        gbk,
        "public",
    )
    .await;
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let png_id = upload(
        &t,
        &t.engineer,
        &number,
        "shot.png",
        "image/png",
        png,
        "public",
    )
    .await;
    let bin_id = upload(
        &t,
        &t.engineer,
        &number,
        "core.bin",
        "application/octet-stream",
        b"\x7fELF\0\0".to_vec(),
        "public",
    )
    .await;
    let secret_id = upload(
        &t,
        &t.engineer,
        &number,
        "internal.log",
        "text/plain",
        b"secret\n".to_vec(),
        "internal",
    )
    .await;

    user_with_password(&t, "prev-eng@vendor.test", "预览工程师", "engineer", None).await;
    let staff = WebClient::new(&t);
    staff.sign_in("prev-eng@vendor.test", PASSWORD).await;
    let base = format!("/console/cases/{number}/attachments");

    // The case page links each file's preview.
    let (_, case_page) = staff.get(&format!("/console/cases/{number}")).await;
    assert!(
        case_page.contains(&format!("href=\"{base}/{log_id}\"")),
        "a preview link"
    );

    // A long log: numbered lines, a search that lists and marks the matching lines, pages.
    let (status, page) = staff.get(&format!("{base}/{log_id}?q=error")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("id=\"L1\"") && page.contains("id=\"L500\""),
        "numbered lines"
    );
    assert!(!page.contains("id=\"L501\""), "500 lines a page");
    assert!(page.contains("<mark>ERROR</mark>"), "the words marked");
    let doc = scraper::Html::parse_document(&page);
    let row = scraper::Selector::parse("#L400 td.code").unwrap();
    let text: String = doc.select(&row).next().unwrap().text().collect();
    assert!(text.contains("<b>400</b>"), "the text as written: {text}");
    let bold = scraper::Selector::parse("#log b").unwrap();
    assert!(doc.select(&bold).next().is_none(), "the text escaped");
    assert!(page.contains("#L1200"), "the matching lines listed");
    let (_, third) = staff.get(&format!("{base}/{log_id}?page=3&q=error")).await;
    assert!(third.contains("id=\"L1001\"") && third.contains("id=\"L1203\""));
    assert!(!third.contains("id=\"L1000\""));
    let (_, beyond) = staff.get(&format!("{base}/{log_id}?page=99")).await;
    assert!(
        beyond.contains("id=\"L1203\""),
        "a page past the end shows the last"
    );

    // A GBK log reads as Chinese.
    let (_, gbk_page) = staff.get(&format!("{base}/{gbk_id}")).await;
    assert!(gbk_page.contains("控制器 B 故障切换"), "{gbk_page}");

    // An image inline, from its inline address with the safe headers; a log is not inline.
    let (_, png_page) = staff.get(&format!("{base}/{png_id}")).await;
    let inline = format!("/api/v1/cases/{number}/attachments/{png_id}/inline");
    assert!(
        png_page.contains(&format!("src=\"{inline}\"")),
        "{png_page}"
    );
    let response = staff.get_response(&inline).await;
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "image/png");
    assert!(header("content-disposition").starts_with("inline;"));
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert!(header("content-security-policy").contains("sandbox"));
    assert_eq!(header("x-frame-options"), "SAMEORIGIN");
    let response = staff
        .get_response(&format!(
            "/api/v1/cases/{number}/attachments/{log_id}/inline"
        ))
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let download = staff
        .get_response(&format!("/api/v1/cases/{number}/attachments/{png_id}"))
        .await;
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );

    // A binary file: download only.
    let (_, bin_page) = staff.get(&format!("{base}/{bin_id}")).await;
    assert!(bin_page.contains("id=\"download\"") && !bin_page.contains("id=\"log\""));

    // The customer previews the public files on the portal, never the internal one.
    user_with_password(
        &t,
        "prev-cust@cn-a.test",
        "预览客户",
        "customer_admin",
        Some(t.a.org_id),
    )
    .await;
    let customer = WebClient::new(&t);
    customer.sign_in("prev-cust@cn-a.test", PASSWORD).await;
    let portal = format!("/portal/cases/{number}/attachments");
    let (status, _) = customer.get(&format!("{portal}/{log_id}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, page) = customer.get(&format!("{portal}/{secret_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!page.contains("secret"));
    let (status, _) = customer.get(&format!("{base}/{log_id}")).await;
    assert_ne!(status, StatusCode::OK, "not the console's preview");
}
