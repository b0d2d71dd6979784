//! The console's call-home pages over HTTP, on SQLite and PostgreSQL: the device, site, events,
//! rules and keys pages and the case page of a device's case render valid HTML in both
//! languages, a device's message is shown escaped, events kept without a case (not entitled)
//! are listed for staff, customers never reach the pages, the rule form adds, edits (a stale
//! version refused) and deletes, and a key's secret is shown once. Events are sent signed, as a
//! device sends them (`call_home::Device`).

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use scraper::{Html, Selector};
use serde_json::{Value, json};

use super::html::assert_valid;
use super::{PASSWORD, WebClient, hidden, user_with_password};
use crate::call_home_events::Device;
use crate::helpers::TestApp;

on_both_backends!(
    call_home_pages_show_devices_sites_events_and_cases,
    customers_never_reach_call_home_pages,
    the_rule_form_adds_edits_and_deletes,
    a_key_secret_is_shown_once,
);

const SCRIPT: &str = "<script>alert(1)</script>";

fn event(key: &str, serial: &str, kind: &str) -> Value {
    json!({"idempotency_key": key, "type": kind, "serial_number": serial, "code": "E1234",
        "severity": "major", "message": format!("控制器 B 故障切换 {SCRIPT}"),
        "occurred_at": "2026-11-29T08:00:00Z"})
}

/// What the pages show: a site with a covered unit (SN-8812) and an uncovered one (SN-0001).
struct Fleet {
    site: i64,
    covered: i64,
    case: String,
}

async fn fleet(t: &TestApp) -> Fleet {
    let (_, product) = t
        .post(
            &t.coordinator,
            "/api/v1/products",
            json!({"name": "HX-9000", "vendor": "Huaxin"}),
        )
        .await;
    let (status, site) = t
        .post(
            &t.coordinator,
            "/api/v1/sites",
            json!({"organization_id": t.a.org_id, "code": "SH-DC1", "name": "上海数据中心"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{site}");
    let unit = |serial: &str| {
        json!({"organization_id": t.a.org_id, "site_id": site["id"], "serial_number": serial,
            "product_id": product["id"], "product_version": "5.3"})
    };
    let (status, covered) = t
        .post(&t.coordinator, "/api/v1/units", unit("SN-8812"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{covered}");
    t.post(&t.coordinator, "/api/v1/units", unit("SN-0001"))
        .await;
    let (status, contract) = t
        .post(
            &t.coordinator,
            "/api/v1/contracts",
            json!({"contract_number": "HT-CALL-1", "organization_id": t.a.org_id, "plan": "standard",
                "starts_on": "2026-01-01", "ends_on": "2027-12-31", "units": [covered["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{contract}");
    let device = Device::of(t, "CN-A").await;
    let (_, opened) = device.post(event("e-1", "SN-8812", "fault")).await;
    assert_eq!(opened["results"][0]["outcome"], "case_opened", "{opened}");
    let (_, again) = device.post(event("e-2", "SN-8812", "fault")).await;
    assert_eq!(again["results"][0]["outcome"], "correlated", "{again}");
    let (_, refused) = device.post(event("e-3", "SN-0001", "fault")).await;
    assert_eq!(refused["results"][0]["outcome"], "not_entitled");
    let (_, beat) = device
        .post(
            json!({"idempotency_key": "hb-1", "type": "heartbeat", "serial_number": "SN-8812",
            "heartbeat_interval_secs": 300, "occurred_at": "2026-11-29T09:00:00Z"}),
        )
        .await;
    assert_eq!(beat["results"][0]["outcome"], "recorded", "{beat}");
    let (_, inv) = device
        .post(json!({"idempotency_key": "inv-1", "type": "inventory", "serial_number": "SN-8812",
            "version": "5.4.1", "occurred_at": "2026-11-29T09:00:00Z", "configuration": {"raid": "6"}}))
        .await;
    assert_eq!(inv["results"][0]["outcome"], "recorded", "{inv}");
    Fleet {
        site: site["id"].as_i64().unwrap(),
        covered: covered["id"].as_i64().unwrap(),
        case: opened["results"][0]["case"].as_str().unwrap().to_owned(),
    }
}

/// Whether `text` (holding markup) is on the page as text: escaped, not as elements.
fn shows_escaped(page: &str, text: &str) -> bool {
    let doc = Html::parse_document(page);
    let scripts = doc.select(&Selector::parse("script").unwrap()).count();
    let bold = doc.select(&Selector::parse("main b").unwrap()).count();
    !page.contains(text)
        && scripts == 1
        && bold == 0
        && doc.root_element().text().collect::<String>().contains(text)
}

async fn staff_web(t: &TestApp) -> WebClient {
    user_with_password(t, "admin2@vendor.test", "管理员", "admin", None).await;
    let web = WebClient::new(t);
    web.sign_in("admin2@vendor.test", PASSWORD).await;
    web
}

/// The text of the `<dd>` after the `<dt>` that says `term`.
fn field(page: &str, term: &str) -> Option<String> {
    let doc = Html::parse_document(page);
    let dt = Selector::parse("dt").unwrap();
    doc.select(&dt)
        .find(|e| e.text().collect::<String>().trim() == term)
        .and_then(|e| e.next_siblings().find_map(scraper::ElementRef::wrap))
        .map(|dd| dd.text().collect::<String>().trim().to_owned())
}

async fn call_home_pages_show_devices_sites_events_and_cases(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let f = fleet(&t).await;
    let web = staff_web(&t).await;
    let (_, rules) = t
        .post(
            &t.engineer,
            "/api/v1/call-home/rules",
            json!({"event_code": "W*", "action": "ignore"}),
        )
        .await;
    let (org, unit, site, number) = (t.a.org_id, f.covered, f.site, &f.case);
    let pages = [
        "/console/call-home".to_owned(),
        "/console/call-home?outcome=not_entitled".into(),
        format!("/console/call-home?outcome=case_opened&organization={org}"),
        "/console/call-home/rules".into(),
        "/console/call-home/rules/new".into(),
        format!("/console/call-home/rules/{}/edit", rules["id"]),
        "/console/call-home/keys".into(),
        format!("/console/devices/{unit}"),
        format!("/console/sites/{site}"),
        format!("/console/units/{unit}"),
        format!("/console/cases/{number}"),
    ];
    for lang in ["zh-CN", "en"] {
        web.choose_language(&pages[0], lang).await;
        for path in &pages {
            let (status, page) = web.get(path).await;
            assert_eq!(status, StatusCode::OK, "{path} ({lang}): {page}");
            assert!(page.contains(&format!("<html lang=\"{lang}\">")));
            assert_valid(&format!("{path} ({lang})"), &page);
            for prefix in ["field-", "nav-", "call-home-", "status-", "severity-"] {
                assert!(
                    !page.contains(&format!(">{prefix}")),
                    "{path} ({lang}) shows an untranslated {prefix} key"
                );
            }
            if !path.contains("/rules") && !path.contains("/keys") && !path.contains("/units/") {
                assert!(
                    shows_escaped(&page, SCRIPT),
                    "{path} ({lang}) shows the device's message escaped"
                );
            }
        }
    }

    // The device: state from its heartbeat and inventory, its events and its case.
    let (_, page) = web.get(&format!("/console/devices/{unit}")).await;
    assert_eq!(field(&page, "Version").as_deref(), Some("5.4.1"));
    assert_eq!(field(&page, "Expected interval").as_deref(), Some("300 s"));
    assert_eq!(field(&page, "Heartbeat").as_deref(), Some("Heard from"));
    let doc = Html::parse_document(&page);
    let pre = doc.select(&Selector::parse("pre").unwrap()).next();
    let configuration = pre.map(|p| p.text().collect::<String>());
    assert!(
        configuration.is_some_and(|c| c.contains("\"raid\": \"6\"")),
        "the configuration of the last inventory: {page}"
    );
    assert!(page.contains(&format!("href=\"/console/cases/{number}\"")));
    assert!(!page.contains("SN-0001"), "only this device's events");
    let (status, _) = web.get(&format!("/console/devices/{unit}?cursor=zz")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a forged cursor");
    // The unit page links to it and to the site; the site lists both units and the open case.
    let (_, page) = web.get(&format!("/console/units/{unit}")).await;
    assert!(page.contains(&format!("href=\"/console/devices/{unit}\"")));
    assert!(page.contains(&format!("href=\"/console/sites/{site}\"")));
    let (_, page) = web.get(&format!("/console/sites/{site}")).await;
    assert!(page.contains("SN-8812") && page.contains("SN-0001"));
    assert!(page.contains(&format!("href=\"/console/cases/{number}\"")));
    assert!(page.contains(&format!("href=\"/console/sites/{site}/edit\"")));

    // Staff find the events kept without a case, by outcome and organisation.
    let (_, page) = web.get("/console/call-home?outcome=not_entitled").await;
    assert!(
        page.contains("SN-0001") && !page.contains("SN-8812"),
        "{page}"
    );
    assert!(page.contains("Not entitled (no case)"));
    let b = t.b.org_id;
    let (_, page) = web
        .get(&format!("/console/call-home?organization={b}"))
        .await;
    assert!(!page.contains("SN-0001") && !page.contains("SN-8812"));
    let (status, _) = web.get("/console/call-home?outcome=entitled").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Heartbeats are left out of the list unless asked for, with a link that shows them.
    let heartbeat_cell = "<td>Heartbeat</td>";
    let (_, page) = web.get("/console/call-home").await;
    assert!(!page.contains(heartbeat_cell), "{page}");
    assert!(
        page.contains("heartbeats=1\">Show heartbeats</a>"),
        "{page}"
    );
    let (_, page) = web.get("/console/call-home?heartbeats=1").await;
    assert!(page.contains(heartbeat_cell), "{page}");

    // The case page shows the fault with its occurrences and the device's events, marked.
    let (_, page) = web.get(&format!("/console/cases/{number}")).await;
    assert_eq!(field(&page, "Fault").as_deref(), Some("E1234 · Call home"));
    assert_eq!(field(&page, "Occurrences").as_deref(), Some("2"));
    assert_eq!(page.matches("class=\"event event-device\"").count(), 2);
    assert!(page.contains("Device event"));
}

async fn customers_never_reach_call_home_pages(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let f = fleet(&t).await;
    user_with_password(
        &t,
        "wang@cn-a.test",
        "王小明",
        "customer_admin",
        Some(t.a.org_id),
    )
    .await;
    let customer = WebClient::new(&t);
    customer.sign_in("wang@cn-a.test", PASSWORD).await;
    let csrf = customer.csrf("/portal").await;
    for path in [
        "/console/call-home".to_owned(),
        "/console/call-home/rules".into(),
        "/console/call-home/rules/new".into(),
        "/console/call-home/keys".into(),
        format!("/console/devices/{}", f.covered),
        format!("/console/sites/{}", f.site),
    ] {
        let r = customer.get_response(&path).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.headers()["location"], "/portal", "{path}");
        let body = r.text().await.unwrap();
        assert!(
            !body.contains("SN-8812") && !body.contains("E1234"),
            "{path}"
        );
    }
    for (path, form) in [
        (
            "/console/call-home/keys",
            vec![("_csrf", csrf.as_str()), ("organization", "CN-A")],
        ),
        (
            "/console/call-home/rules/new",
            vec![
                ("_csrf", csrf.as_str()),
                ("event_code", "E1"),
                ("action", "ignore"),
            ],
        ),
    ] {
        let (status, location, _) = customer.post_form(path, &form).await;
        assert_eq!(
            (status, location.as_deref()),
            (StatusCode::SEE_OTHER, Some("/portal")),
            "{path}"
        );
    }
    let (_, keys) = t.get(&t.admin, "/api/v1/call-home/keys").await;
    assert_eq!(keys.as_array().unwrap().len(), 1, "only the fleet's key");
    let (_, rules) = t.get(&t.admin, "/api/v1/call-home/rules").await;
    assert_eq!(rules, json!([]));
}

/// A rule form's fields and `extra` ones (the token, the version).
fn rule(code: &str, action: &str, severity: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut form = vec![
        ("product_id", ""),
        ("event_code", code),
        ("action", action),
        ("severity", severity),
        ("category", "defect"),
    ];
    form.extend_from_slice(extra);
    form.into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

async fn post(
    web: &WebClient,
    path: &str,
    form: Vec<(String, String)>,
) -> (StatusCode, Option<String>, String) {
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    web.post_form(path, &form).await
}

async fn the_rule_form_adds_edits_and_deletes(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let web = staff_web(&t).await;
    let csrf = web.csrf("/console/call-home/rules/new").await;
    let new = "/console/call-home/rules/new";
    let token = [("_csrf", csrf.as_str())];
    let (status, location, page) = post(&web, new, rule("e9*", "open_case", "1", &token)).await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/console/call-home/rules")),
        "{page}"
    );
    let (_, rules) = t.get(&t.engineer, "/api/v1/call-home/rules").await;
    assert_eq!(rules[0]["event_code"], "E9*");
    assert_eq!(
        (rules[0]["severity"].as_i64(), rules[0]["category"].as_str()),
        (Some(1), Some("defect"))
    );
    let id = rules[0]["id"].as_i64().unwrap();

    // Bad input and a duplicate are refused with what was typed kept; no token, no change.
    let (status, _, page) = post(&web, new, rule("E 9", "ignore", "", &token)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("value=\"E 9\"") && page.contains("event_code"));
    assert_valid("refused rule", &page);
    let (status, _, page) = post(&web, new, rule("E9*", "record", "", &token)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains("duplicate") || page.contains("exists"),
        "{page}"
    );
    let (status, _, _) = post(&web, new, rule("E7", "ignore", "", &[])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // An edit at the version read; a second edit at that old version is refused, and said so.
    let edit = format!("/console/call-home/rules/{id}/edit");
    let (_, page) = web.get(&edit).await;
    let version = hidden(&page, "version").expect("the form carries the version");
    let read = [("_csrf", csrf.as_str()), ("version", version.as_str())];
    let (status, location, page) = post(&web, &edit, rule("E9*", "record", "", &read)).await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/console/call-home/rules")),
        "{page}"
    );
    let (status, _, page) = post(&web, &edit, rule("E9*", "ignore", "2", &read)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert!(page.contains("role=\"alert\""), "{page}");
    assert!(
        page.contains("其他人修改了这条规则") || page.contains("Someone else changed this rule"),
        "{page}"
    );
    assert_valid("stale rule", &page);
    let (_, rules) = t.get(&t.engineer, "/api/v1/call-home/rules").await;
    assert_eq!(
        (rules[0]["action"].as_str(), rules[0]["version"].as_i64()),
        (Some("record"), Some(2)),
        "the stale edit changed nothing"
    );
    let (_, list) = web.get("/console/call-home/rules").await;
    assert!(list.contains("E9*") && list.contains(&format!("/rules/{id}/delete")));

    // Delete: without the token refused; with it gone (and gone again is fine).
    let delete = format!("/console/call-home/rules/{id}/delete");
    let (status, _, _) = web.post_form(&delete, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for _ in 0..2 {
        let (status, location, _) = web.post_form(&delete, &[("_csrf", &csrf)]).await;
        assert_eq!(
            (status, location.as_deref()),
            (StatusCode::SEE_OTHER, Some("/console/call-home/rules"))
        );
    }
    let (_, rules) = t.get(&t.engineer, "/api/v1/call-home/rules").await;
    assert_eq!(rules, json!([]));
    let (status, _) = web.get(&edit).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The secret shown on a page (`<code class="secret">`).
fn secret_of(page: &str) -> Option<String> {
    let doc = Html::parse_document(page);
    let code = Selector::parse("code.secret").unwrap();
    doc.select(&code)
        .next()
        .map(|e| e.text().collect::<String>())
}

async fn a_key_secret_is_shown_once(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    t.post(
        &t.coordinator,
        "/api/v1/sites",
        json!({"organization_id": t.a.org_id, "code": "SH-DC1", "name": "上海数据中心"}),
    )
    .await;
    let web = staff_web(&t).await;
    let csrf = web.csrf("/console/call-home/keys").await;
    let form = [
        ("_csrf", csrf.as_str()),
        ("organization", "CN-A"),
        ("site", "sh-dc1"),
        ("label", "gateway <b>1</b>"),
    ];
    let r = web
        .client
        .post(format!("{}/console/call-home/keys", web.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let page = r.text().await.unwrap();
    assert_valid("made key", &page);
    let secret = secret_of(&page).expect("the secret is shown");
    assert!(secret.starts_with("chs_") && secret.len() == 68, "{secret}");
    let (_, keys) = t.get(&t.admin, "/api/v1/call-home/keys").await;
    let key = keys[0].clone();
    assert!(key["site_id"].is_i64(), "bound to the site: {key}");

    // Never again: not on the list, not in a language switch.
    for lang in ["en", "zh-CN"] {
        web.post_form(
            "/language",
            &[("_csrf", &csrf), ("lang", lang), ("back", "/")],
        )
        .await;
        let (status, page) = web.get("/console/call-home/keys").await;
        assert_eq!(status, StatusCode::OK);
        assert_valid(&format!("keys ({lang})"), &page);
        assert!(!page.contains(&secret) && secret_of(&page).is_none());
        assert!(page.contains(key["key_id"].as_str().unwrap()));
        assert!(shows_escaped(&page, "gateway <b>1</b>"));
    }

    // Bad input is refused with the reason; no token, no key.
    let (status, _, page) = web
        .post_form(
            "/console/call-home/keys",
            &[
                ("_csrf", &csrf),
                ("organization", "CN-B"),
                ("site", "SH-DC1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("role=\"alert\"") && secret_of(&page).is_none());
    let (status, _, _) = web
        .post_form("/console/call-home/keys", &[("organization", "CN-A")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Rotation shows the new secret once; the old key keeps working for its grace period.
    let id = key["id"].as_i64().unwrap();
    let rotate = format!("/console/call-home/keys/{id}/rotate");
    let (status, _, _) = web
        .post_form(&rotate, &[("_csrf", &csrf), ("grace_hours", "721")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, page) = web
        .post_form(&rotate, &[("_csrf", &csrf), ("grace_hours", "2")])
        .await;
    assert_eq!(status, StatusCode::OK);
    let rotated = secret_of(&page).expect("the new secret is shown");
    assert_ne!(rotated, secret);
    let (_, page) = web.get("/console/call-home/keys").await;
    assert!(!page.contains(&rotated));
    let (_, keys) = t.get(&t.admin, "/api/v1/call-home/keys").await;
    assert_eq!(keys.as_array().unwrap().len(), 2);
    let old = keys.as_array().unwrap().iter().find(|k| k["id"] == id);
    assert!(old.unwrap()["expires_at"].is_string());

    // Revocation, once.
    let revoke = format!("/console/call-home/keys/{id}/revoke");
    let (status, location, _) = web.post_form(&revoke, &[("_csrf", &csrf)]).await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/console/call-home/keys"))
    );
    let (status, _, page) = web.post_form(&revoke, &[("_csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("role=\"alert\""));
    let (status, _, _) = web
        .post_form("/console/call-home/keys/999999/revoke", &[("_csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
