//! The tenant policy as a matrix: every route of the OpenAPI document × every role × an object
//! of the caller's own organisation and one of another. A customer must get 404 for any object
//! of another organisation, never 403 and never its data; no customer response may contain the
//! other organisation's data or an internal note. A route missing from this table fails the test.

use std::collections::BTreeSet;

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{FOREIGN_CANARY, INTERNAL_CANARY, TestApp};

mod desk_tools;
mod field;
mod integrations;
mod routes;

use routes::request;

on_both_backends!(every_route_every_role_own_and_foreign);

/// The objects of one organisation that routes address.
#[derive(Debug, Clone)]
struct Objects {
    org: i64,
    contact: i64,
    user: i64,
    case: String,
    attachment: i64,
    /// An image attached to the case (shown inline).
    image: i64,
    /// A shared reply template (templates belong to no organisation).
    template: i64,
    /// A synonym group (they belong to no organisation).
    synonyms: i64,
    token: i64,
    site: i64,
    unit: i64,
    contract: i64,
    contract_number: String,
    product: i64,
    /// A quarantined mail message.
    mail: i64,
    /// The organisation's customer number.
    customer_number: String,
    /// A call-home key of the organisation.
    key: i64,
    /// A published knowledge article meant for customers (articles belong to no organisation).
    article: i64,
    /// A satisfaction survey of a closed case, answered by the organisation's customer user.
    survey: i64,
    /// The follow-up its score of 1 opened.
    follow_up: i64,
    /// The subscription, shift and page made for the matrix (the same for both organisations).
    globals: integrations::Globals,
    /// A running remote session on the case.
    remote: i64,
    /// A planned on-site visit on the case.
    visit: i64,
    /// The case's fault-handling report.
    fault: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Own,
    Foreign,
}

struct Call {
    method: Method,
    path: String,
    body: Option<Value>,
    upload: bool,
    /// Whether the path names an object of one organisation.
    tenant_object: bool,
}

fn call(method: Method, path: String, body: Option<Value>, tenant_object: bool) -> Call {
    Call {
        method,
        path,
        body,
        upload: false,
        tenant_object,
    }
}

fn documented_routes() -> BTreeSet<String> {
    let doc = serde_json::to_value(casebook_server::http::openapi()).unwrap();
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                routes.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    routes
}

async fn objects_of(
    t: &TestApp,
    (user_token, admin_token): (&str, &str),
    user_id: i64,
    org: i64,
    contact: i64,
    title: &str,
) -> Objects {
    let (status, case) = t
        .post(
            user_token,
            "/api/v1/cases",
            json!({"title": title, "description": "d", "severity": 3}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let number = case["number"].as_str().unwrap().to_owned();
    let form = Form::new().part("file", Part::bytes(b"log".to_vec()).file_name("a.log"));
    let uploaded: Value = t
        .client
        .post(t.url(&format!("/api/v1/cases/{number}/attachments")))
        .bearer_auth(user_token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let form = Form::new().part(
        "file",
        Part::bytes(b"\x89PNG\r\n\x1a\n".to_vec())
            .file_name("a.png")
            .mime_str("image/png")
            .unwrap(),
    );
    let image: Value = t
        .client
        .post(t.url(&format!("/api/v1/cases/{number}/attachments")))
        .bearer_auth(user_token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let image = image["attachments"][0]["id"].as_i64().unwrap();
    let (status, template) = t
        .post(
            &t.admin,
            "/api/v1/reply-templates",
            json!({"name": format!("matrix {title}"), "shared": true, "body_zh": "您好", "body_en": "Hello"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{template}");
    let template = template["id"].as_i64().unwrap();
    let (status, synonyms) = t
        .post(
            &t.admin,
            "/api/v1/search/synonyms",
            json!({"words": [format!("矩阵甲{org}"), format!("矩阵乙{org}")]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{synonyms}");
    let synonyms = synonyms["id"].as_i64().unwrap();
    let (status, _) = t
        .post(
            &t.engineer,
            &format!("/api/v1/cases/{number}/comments"),
            json!({"body": INTERNAL_CANARY, "visibility": "internal"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let form = Form::new().text("visibility", "internal").part(
        "file",
        Part::bytes(INTERNAL_CANARY.as_bytes().to_vec()).file_name("internal.log"),
    );
    let response = t
        .client
        .post(t.url(&format!("/api/v1/cases/{number}/attachments")))
        .bearer_auth(&t.engineer)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let code: String = title
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect::<String>()
        .to_uppercase();
    let (status, product) = t
        .post(
            &t.coordinator,
            "/api/v1/products",
            json!({"name": format!("Product {code}"), "vendor": "Matrix"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    let product = product["id"].as_i64().unwrap();
    let article = published_article(t, &code).await;
    let (status, site) = t
        .post(
            &t.coordinator,
            "/api/v1/sites",
            json!({"organization_id": org, "code": format!("SITE-{code}"), "name": format!("site of {title}")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{site}");
    let (status, unit) = t
        .post(
            &t.coordinator,
            "/api/v1/units",
            json!({"organization_id": org, "site_id": site["id"], "serial_number": format!("SN-{code}"),
                "product_id": product, "notes": title}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{unit}");
    let contract_number = format!("HT-{code}");
    let (status, contract) = t
        .post(
            &t.coordinator,
            "/api/v1/contracts",
            json!({"contract_number": contract_number, "organization_id": org, "plan": "standard",
                "starts_on": "2020-01-01", "ends_on": "2020-12-31", "notes": title}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{contract}");
    let system = casebook_server::policy::Principal::system("test");
    let spare = casebook_server::actions::accounts::tokens::create(
        &t.app,
        &system,
        casebook_domain::ids::Id::new(user_id),
        "spare",
    )
    .await
    .unwrap();
    let stranger = format!(
        "From: stranger-{code}@nowhere.test\r\nTo: support@vendor.test\r\nSubject: hello\r\nMessage-ID: <matrix-{code}@nowhere.test>\r\n\r\nhello\r\n"
    );
    let held = casebook_server::actions::mail::ingest::ingest(&t.app, stranger.as_bytes())
        .await
        .unwrap();
    assert_eq!(held.disposition, "quarantined");
    let mail = {
        let mut db = t.app.store.read().await.unwrap();
        casebook_store::mail::quarantined(&mut db, 1).await.unwrap()[0].id
    };
    let customer_number = {
        let mut db = t.app.store.read().await.unwrap();
        let id = casebook_domain::ids::Id::new(org);
        let found = casebook_store::organizations::get(&mut db, id)
            .await
            .unwrap();
        found.unwrap().customer_number.to_string()
    };
    let draft = casebook_server::actions::call_home::keys::KeyDraft {
        organization: customer_number.clone(),
        site: None,
        label: "matrix".into(),
    };
    casebook_server::actions::call_home::keys::create(&t.app, &system, draft)
        .await
        .unwrap();
    let key = casebook_server::actions::call_home::keys::list(
        &t.app,
        &system,
        Some(casebook_domain::ids::Id::new(org)),
    )
    .await
    .unwrap()[0]
        .id;
    let (survey, follow_up) = answered_survey(t, user_token, title).await;
    let remote = field::remote_session(t, admin_token, &number, title).await;
    let visit = field::visit(t, &number).await;
    let fault = field::fault_report(t, &number).await;
    Objects {
        remote,
        visit,
        fault,
        survey,
        follow_up,
        article,
        customer_number,
        key,
        org,
        contact,
        user: user_id,
        case: number,
        attachment: uploaded["attachments"][0]["id"].as_i64().unwrap(),
        image,
        template,
        synonyms,
        globals: integrations::Globals::default(),
        token: spare.token.id.get(),
        site: site["id"].as_i64().unwrap(),
        unit: unit["id"].as_i64().unwrap(),
        contract: contract["id"].as_i64().unwrap(),
        contract_number,
        product,
        mail,
    }
}

/// A closed case of the customer user's, its survey answered with a score of 1: the survey's
/// and the follow-up's ids.
async fn answered_survey(t: &TestApp, user_token: &str, title: &str) -> (i64, i64) {
    let number = t
        .open_case(
            user_token,
            json!({"title": format!("surveyed {title}"), "description": "d", "severity": 3}),
        )
        .await;
    t.advance(&number, &["in_progress", "solution_proposed", "closed"])
        .await;
    let (_, surveys) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/surveys"))
        .await;
    let survey = surveys["surveys"][0]["id"].as_i64().expect("a survey");
    let (status, body) = t
        .post(
            user_token,
            &format!("/api/v1/surveys/{survey}/answer"),
            json!({"resolution": 1, "comment": title}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, surveys) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/surveys"))
        .await;
    let follow_up = surveys["follow_ups"][0]["id"]
        .as_i64()
        .expect("a follow-up");
    (survey, follow_up)
}

/// An article meant for customers, written by the coordinator and published by the engineer.
async fn published_article(t: &TestApp, code: &str) -> i64 {
    let (status, article) = t
        .post(
            &t.coordinator,
            "/api/v1/articles",
            json!({"visibility": "customers", "texts": [{"language": "en", "title": format!("Matrix article {code}")}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{article}");
    let id = article["id"].as_i64().unwrap();
    for (token, step) in [(&t.coordinator, "submit"), (&t.engineer, "publish")] {
        let (status, body) = t
            .post(token, &format!("/api/v1/articles/{id}/{step}"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    id
}

async fn send(t: &TestApp, token: &str, c: &Call) -> (StatusCode, String) {
    let mut request = t
        .client
        .request(c.method.clone(), t.url(&c.path))
        .bearer_auth(token);
    if let Some(body) = &c.body {
        request = request.json(body);
    }
    if c.upload {
        request = request.multipart(
            Form::new().part("file", Part::bytes(b"matrix".to_vec()).file_name("m.txt")),
        );
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap_or_default())
}

async fn every_route_every_role_own_and_foreign(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let mut own = objects_of(
        &t,
        (&t.a.user_token, &t.a.admin_token),
        t.a.user_id,
        t.a.org_id,
        t.a.contact_id,
        "own case",
    )
    .await;
    let mut foreign = objects_of(
        &t,
        (&t.b.user_token, &t.b.admin_token),
        t.b.user_id,
        t.b.org_id,
        t.b.contact_id,
        &format!("foreign {FOREIGN_CANARY}"),
    )
    .await;
    let (_, product) = t
        .post(
            &t.coordinator,
            "/api/v1/products",
            json!({"name": "Matrix product", "vendor": "Huaxin", "versions": [{"version": "1.0"}]}),
        )
        .await;
    let product_id = product["id"].as_i64().unwrap();
    let version_id = product["versions"][0]["id"].as_i64().unwrap();
    own.globals = integrations::globals(&t, &own.case).await;
    foreign.globals = own.globals.clone();

    let routes = documented_routes();
    let missing: Vec<&String> = routes
        .iter()
        .filter(|r| request(r, &own, 0, 0, 0).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "routes without an entry in the tenant matrix: {missing:?}"
    );
    assert!(
        routes.len() >= 30,
        "the OpenAPI document lists every route: {routes:?}"
    );

    let roles: [(&str, &str, bool); 6] = [
        ("coordinator", &t.coordinator, true),
        ("engineer", &t.engineer, true),
        ("manager", &t.manager, true),
        ("admin", &t.admin, true),
        ("customer_user", &t.a.user_token, false),
        ("customer_admin", &t.a.admin_token, false),
    ];
    let mut n = 0;
    let mut checked = 0;
    let mut staff_saw_foreign = false;
    for route in &routes {
        for (role, token, staff) in roles {
            for target in [Target::Own, Target::Foreign] {
                n += 1;
                let objects = if target == Target::Own {
                    &own
                } else {
                    &foreign
                };
                let c = request(route, objects, product_id, version_id, n).expect("checked above");
                let (status, body) = send(&t, token, &c).await;
                let label = format!(
                    "{role} {route} ({target:?}) → {status}: {}",
                    body.chars().take(300).collect::<String>()
                );
                assert!(!status.is_server_error(), "{label}");
                // Devices sign with a device key: a user's token is refused (401) there.
                let signed = route == "POST /api/v1/call-home/events";
                if route != "GET /healthz" && route != "POST /api/v1/auth/sign-in" && !signed {
                    assert_ne!(status, StatusCode::UNAUTHORIZED, "{label}");
                }
                if !body.is_empty() && status != StatusCode::NO_CONTENT && route != "GET /healthz" {
                    let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                    if !status.is_success() {
                        assert!(
                            json["error"]["code"].is_string(),
                            "every error has the documented body: {label}"
                        );
                    }
                }
                if staff {
                    assert_ne!(
                        status,
                        StatusCode::NOT_FOUND,
                        "staff see every organisation: {label}"
                    );
                    staff_saw_foreign |= body.contains(FOREIGN_CANARY);
                } else {
                    assert!(
                        !body.contains(FOREIGN_CANARY),
                        "another organisation's data reached a customer: {label}"
                    );
                    assert!(
                        !body.contains(INTERNAL_CANARY),
                        "an internal note reached a customer: {label}"
                    );
                    match (target, c.tenant_object) {
                        (Target::Foreign, true) => {
                            assert_eq!(status, StatusCode::NOT_FOUND, "{label}")
                        }
                        (Target::Foreign, false) => {
                            let names_foreign_org = c
                                .body
                                .as_ref()
                                .is_some_and(|b| b.get("organization_id").is_some());
                            if names_foreign_org {
                                assert!(
                                    !status.is_success(),
                                    "a customer wrote into another organisation: {label}"
                                );
                            }
                        }
                        (Target::Own, _) => assert_ne!(
                            status,
                            StatusCode::NOT_FOUND,
                            "a customer's own objects exist for them: {label}"
                        ),
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(
        staff_saw_foreign,
        "the canary is present, so its absence for customers means something"
    );
    assert_eq!(checked, routes.len() * 12);

    let (_, list) = t
        .get(
            &t.engineer,
            &format!("/api/v1/cases?organization={}", t.b.org_id),
        )
        .await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["organization"]["id"] == t.b.org_id)
    );
}
