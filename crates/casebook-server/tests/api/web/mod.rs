//! Tests of the web pages: over HTTP with a cookie-keeping client (`sessions.rs`, `portal.rs`,
//! `console.rs`, `edit_pages.rs`: sign-in, CSRF, CSP, tenant isolation, internal notes, bad input,
//! edit forms, HTML checks; `search_pages.rs`: search and deflection; `kb_pages.rs`: the
//! knowledge base; `public_kb.rs`: the public knowledge base without signing in; `language.rs`:
//! every page and mail in both languages, without English leftovers or identifiers) and in a real
//! browser (`browser.rs`: Debian's chromium through chromedriver, the whole support loop;
//! `browser_kb.rs`: deflection while a case is typed; `browser_teardown.rs`: a browser leaves
//! no process running).

pub(crate) mod browser;
mod browser_bulk;
mod browser_dashboard;
mod browser_duty;
mod browser_kb;
mod browser_merge;
mod browser_remote;
mod browser_survey;
mod browser_teardown;
pub(crate) mod browser_visit;
mod browser_work;
mod call_home_pages;
mod console;
mod dashboard_pages;
mod edit_pages;
mod export_pages;
mod field_pages;
mod html;
mod kb_pages;
mod language;
mod link_pages;
mod mail_pages;
mod ola_pages;
mod portal;
mod previews;
mod profile_pages;
mod public_kb;
mod queue_pages;
mod remote_access_pages;
mod report_exports;
mod search_pages;
mod sessions;
mod survey_pages;
mod visit_pages;
mod work_pages;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

/// The password of every user these tests create.
pub const PASSWORD: &str = "web-test-password-1";

/// Creates a user with a password through the API; returns its id.
pub async fn user_with_password(
    t: &TestApp,
    email: &str,
    name: &str,
    role: &str,
    org: Option<i64>,
) -> i64 {
    let (status, user) = t
        .post(&t.admin, "/api/v1/users", json!({"email": email, "name": name, "role": role, "organization_id": org, "password": PASSWORD}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    user["id"].as_i64().unwrap()
}

/// A browser-like HTTP client: keeps cookies, follows no redirects (tests look at them).
pub struct WebClient {
    pub client: reqwest::Client,
    pub base: String,
}

/// The value of the first hidden input named `name` in a page.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(&format!("input[name='{name}']")).unwrap();
    doc.select(&selector)
        .next()
        .and_then(|e| e.value().attr("value"))
        .map(str::to_owned)
}

impl WebClient {
    pub fn new(t: &TestApp) -> WebClient {
        casebook_server::app::outbound::install_crypto();
        let client = reqwest::Client::builder()
            .no_proxy()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        WebClient {
            client,
            base: t.base.clone(),
        }
    }

    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("the server answers");
        let status = r.status();
        (status, r.text().await.unwrap())
    }

    /// A GET that returns the response itself (headers).
    pub async fn get_response(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("the server answers")
    }

    pub async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, Option<String>, String) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .expect("the server answers");
        let status = r.status();
        let location = r
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned);
        (status, location, r.text().await.unwrap())
    }

    /// Posts a multipart form (text fields and one optional file).
    pub async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, Vec<u8>)>,
    ) -> (StatusCode, Option<String>, String) {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        if let Some((name, content)) = file {
            form = form.part(
                "file",
                reqwest::multipart::Part::bytes(content).file_name(name.to_owned()),
            );
        }
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .multipart(form)
            .send()
            .await
            .expect("the server answers");
        let status = r.status();
        let location = r
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned);
        (status, location, r.text().await.unwrap())
    }

    /// Signs in through the form; returns where the server sent the user.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
    ) -> (StatusCode, Option<String>, String) {
        let (status, page) = self.get("/sign-in").await;
        assert_eq!(status, StatusCode::OK);
        let csrf = hidden(&page, "_csrf").expect("the sign-in form has a CSRF token");
        self.post_form(
            "/sign-in",
            &[
                ("_csrf", &csrf),
                ("email", email),
                ("password", password),
                ("next", ""),
            ],
        )
        .await
    }

    /// The CSRF token of the signed-in session, read from a page.
    pub async fn csrf(&self, path: &str) -> String {
        let (_, page) = self.get(path).await;
        hidden(&page, "_csrf").expect("the page has a form with a CSRF token")
    }

    /// Switches the signed-in session's language (`zh-CN` or `en`), with the CSRF token of
    /// `page`.
    pub async fn choose_language(&self, page: &str, lang: &str) {
        let csrf = self.csrf(page).await;
        self.post_form(
            "/language",
            &[("_csrf", &csrf), ("lang", lang), ("back", "/")],
        )
        .await;
    }
}
