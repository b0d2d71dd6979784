//! Signing in and out of the pages, sessions, CSRF and the CSP, over HTTP.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

use super::{PASSWORD, WebClient, hidden, user_with_password};
use crate::helpers::TestApp;

on_both_backends!(
    sign_in_rotates_sessions_and_answers_alike,
    sign_in_is_throttled,
    forms_need_the_session_csrf_token,
    pages_carry_a_strict_csp,
);

fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("casebook_session="))
        .map(str::to_owned)
}

async fn sign_in_rotates_sessions_and_answers_alike(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    user_with_password(&t, "coord@vendor.test", "协调员", "coordinator", None).await;
    let web = WebClient::new(&t);

    let r = web.get_response("/console/cases/2026-00001").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        "/sign-in?next=%2Fconsole%2Fcases%2F2026-00001"
    );

    let (wrong_status, _, wrong) = web.sign_in("coord@vendor.test", "not-the-password").await;
    let (unknown_status, _, unknown) = web.sign_in("nobody@vendor.test", "not-the-password").await;
    assert_eq!(wrong_status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_status, StatusCode::UNAUTHORIZED);
    let error = |page: &str| {
        let doc = scraper::Html::parse_document(page);
        doc.select(&scraper::Selector::parse(".error").unwrap())
            .next()
            .map(|e| e.text().collect::<String>())
    };
    assert!(error(&wrong).is_some());
    assert_eq!(
        error(&wrong),
        error(&unknown),
        "unknown user and wrong password get the same answer"
    );

    // Without the pre-session token the form is refused (login CSRF).
    let (status, _, _) = web
        .post_form(
            "/sign-in",
            &[("email", "coord@vendor.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (_, page) = web.get("/sign-in").await;
    let csrf = hidden(&page, "_csrf").unwrap();
    let r = web
        .client
        .post(format!("{}/sign-in", t.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("email", "coord@vendor.test"),
            ("password", PASSWORD),
            ("next", "/console/intake"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        "/console/intake",
        "back to the page asked for"
    );
    let first = session_cookie(&r).expect("a session cookie");
    assert!(
        first.contains("HttpOnly") && first.contains("SameSite=Lax") && first.contains("Path=/"),
        "{first}"
    );

    // Signing in again replaces the session: the old cookie no longer works.
    let (_, location, _) = web.sign_in("coord@vendor.test", PASSWORD).await;
    assert_eq!(location.as_deref(), Some("/console"));
    casebook_server::app::outbound::install_crypto();
    let old = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let value = first.split(';').next().unwrap();
    let r = old
        .get(format!("{}/console", t.base))
        .header("cookie", value)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "the replaced session is gone"
    );
    let (status, _) = web.get("/console").await;
    assert_eq!(status, StatusCode::OK);

    // An outside `next` is ignored.
    let web2 = WebClient::new(&t);
    let (_, page) = web2.get("/sign-in?next=//evil.example/").await;
    let csrf = hidden(&page, "_csrf").unwrap();
    let (_, location, _) = web2
        .post_form(
            "/sign-in",
            &[
                ("_csrf", &csrf),
                ("email", "coord@vendor.test"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(location.as_deref(), Some("/console"));

    // Signing out needs the token and ends the session.
    let (status, _, _) = web.post_form("/sign-out", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let csrf = web.csrf("/console").await;
    let (status, location, _) = web.post_form("/sign-out", &[("_csrf", &csrf)]).await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/sign-in"))
    );
    let (status, _) = web.get("/console").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

async fn sign_in_is_throttled(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    user_with_password(&t, "eng@vendor.test", "工程师", "engineer", None).await;
    let web = WebClient::new(&t);
    for _ in 0..casebook_server::app::throttle::MAX_FAILURES {
        let (status, _, _) = web.sign_in("eng@vendor.test", "wrong-password-x").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _, page) = web.sign_in("eng@vendor.test", PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert!(page.contains("sign-in") || page.contains("登录"));
    // The API's sign-in shares the limit.
    let r = t
        .client
        .post(t.url("/api/v1/auth/sign-in"))
        .json(&json!({"email": "eng@vendor.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get("retry-after").is_some());
    // Another address is not affected.
    user_with_password(&t, "eng2@vendor.test", "工程师二", "engineer", None).await;
    let (status, _, _) = web.sign_in("eng2@vendor.test", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

async fn forms_need_the_session_csrf_token(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    user_with_password(&t, "eng@vendor.test", "工程师", "engineer", None).await;
    let number = t.case_of_a().await;
    let web = WebClient::new(&t);
    web.sign_in("eng@vendor.test", PASSWORD).await;
    let (_, before) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
        .await;
    let path = format!("/console/cases/{number}/reply");
    for token in [None, Some("forged-token")] {
        let mut fields = vec![("body", "不应保存的回复"), ("visibility", "public")];
        if let Some(token) = token {
            fields.push(("_csrf", token));
        }
        let (status, _, _) = web.post_multipart(&path, &fields, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _, _) = web
        .post_form(
            &format!("/console/cases/{number}/change"),
            &[("_csrf", "forged"), ("severity", "1")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, after) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
        .await;
    assert_eq!(before, after, "nothing was added");
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(case["severity"], 2);
}

async fn pages_carry_a_strict_csp(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let web = WebClient::new(&t);
    let r = web.get_response("/sign-in").await;
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let page = r.text().await.unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .expect("a nonce")
        .to_owned();
    assert!(nonce.len() >= 16);
    assert!(
        page.contains(&format!("nonce=\"{nonce}\"")),
        "the script carries the response's nonce"
    );
    for directive in [
        "default-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "style-src 'self'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
    let again = web.get_response("/sign-in").await;
    assert_ne!(
        again.headers()["content-security-policy"].to_str().unwrap(),
        csp,
        "a fresh nonce per response"
    );
    // The assets: long-lived, typed, and unknown names are 404.
    let doc = scraper::Html::parse_document(&page);
    let css = doc
        .select(&scraper::Selector::parse("link[rel=stylesheet]").unwrap())
        .next()
        .unwrap()
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    let r = web.get_response(&css).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let (status, _) = web.get("/assets/app.000000000000.css").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Error pages are pages too.
    let r = web.get_response("/portal/cases/not-a-number").await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "not signed in: to the sign-in page first"
    );
}
