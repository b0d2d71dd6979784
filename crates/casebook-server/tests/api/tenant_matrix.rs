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

on_both_backends!(every_route_every_role_own_and_foreign);

/// The objects of one organisation that routes address.
#[derive(Debug, Clone)]
struct Objects {
    org: i64,
    contact: i64,
    user: i64,
    case: String,
    attachment: i64,
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

/// How to call each route for a target. Every route of the API must be here.
fn request(route: &str, o: &Objects, product: i64, version: i64, n: usize) -> Option<Call> {
    use Method as M;
    let case = &o.case;
    Some(match route {
        "GET /healthz" => call(M::GET, "/healthz".into(), None, false),
        "GET /api/v1/cases" => call(
            M::GET,
            format!("/api/v1/cases?organization={}", o.org),
            None,
            false,
        ),
        "POST /api/v1/cases" => call(
            M::POST,
            "/api/v1/cases".into(),
            Some(
                json!({"title": "matrix", "description": "d", "severity": 4, "organization_id": o.org}),
            ),
            false,
        ),
        "GET /api/v1/cases/{number}" => call(M::GET, format!("/api/v1/cases/{case}"), None, true),
        "PATCH /api/v1/cases/{number}" => call(
            M::PATCH,
            format!("/api/v1/cases/{case}"),
            Some(json!({"reason": "matrix"})),
            true,
        ),
        "POST /api/v1/cases/{number}/comments" => call(
            M::POST,
            format!("/api/v1/cases/{case}/comments"),
            Some(json!({"body": "matrix"})),
            true,
        ),
        "GET /api/v1/cases/{number}/attachments" => call(
            M::GET,
            format!("/api/v1/cases/{case}/attachments"),
            None,
            true,
        ),
        "POST /api/v1/cases/{number}/attachments" => Call {
            upload: true,
            ..call(
                M::POST,
                format!("/api/v1/cases/{case}/attachments"),
                None,
                true,
            )
        },
        "GET /api/v1/cases/{number}/attachments/{id}" => call(
            M::GET,
            format!("/api/v1/cases/{case}/attachments/{}", o.attachment),
            None,
            true,
        ),
        "GET /api/v1/cases/{number}/timeline" => {
            call(M::GET, format!("/api/v1/cases/{case}/timeline"), None, true)
        }
        "GET /api/v1/organizations" => {
            call(M::GET, "/api/v1/organizations?q=CN-".into(), None, false)
        }
        "POST /api/v1/organizations" => call(
            M::POST,
            "/api/v1/organizations".into(),
            Some(json!({"customer_number": format!("M-{n}"), "name": "matrix"})),
            false,
        ),
        "GET /api/v1/organizations/{id}" => call(
            M::GET,
            format!("/api/v1/organizations/{}", o.org),
            None,
            true,
        ),
        "PATCH /api/v1/organizations/{id}" => call(
            M::PATCH,
            format!("/api/v1/organizations/{}", o.org),
            Some(json!({"notes": "matrix"})),
            true,
        ),
        "GET /api/v1/contacts" => call(
            M::GET,
            format!("/api/v1/contacts?organization={}", o.org),
            None,
            false,
        ),
        "POST /api/v1/contacts" => call(
            M::POST,
            "/api/v1/contacts".into(),
            Some(json!({"organization_id": o.org, "name": "matrix"})),
            false,
        ),
        "GET /api/v1/contacts/{id}" => call(
            M::GET,
            format!("/api/v1/contacts/{}", o.contact),
            None,
            true,
        ),
        "PATCH /api/v1/contacts/{id}" => call(
            M::PATCH,
            format!("/api/v1/contacts/{}", o.contact),
            Some(json!({"phone": "+86 10 1234"})),
            true,
        ),
        "GET /api/v1/products" => call(M::GET, "/api/v1/products".into(), None, false),
        "POST /api/v1/products" => call(
            M::POST,
            "/api/v1/products".into(),
            Some(json!({"name": format!("matrix {n}"), "vendor": "v"})),
            false,
        ),
        "GET /api/v1/products/{id}" => {
            call(M::GET, format!("/api/v1/products/{product}"), None, false)
        }
        "PATCH /api/v1/products/{id}" => call(
            M::PATCH,
            format!("/api/v1/products/{product}"),
            Some(json!({"vendor": "Huaxin"})),
            false,
        ),
        "POST /api/v1/products/{id}/versions" => call(
            M::POST,
            format!("/api/v1/products/{product}/versions"),
            Some(json!({"version": format!("m{n}")})),
            false,
        ),
        "PATCH /api/v1/products/{id}/versions/{version_id}" => call(
            M::PATCH,
            format!("/api/v1/products/{product}/versions/{version}"),
            Some(json!({"released_on": "2025-01-01"})),
            false,
        ),
        "POST /api/v1/auth/sign-in" => call(
            M::POST,
            "/api/v1/auth/sign-in".into(),
            Some(json!({"email": "user@cn-a.test", "password": "wrong password"})),
            false,
        ),
        "POST /api/v1/auth/sign-out" => call(M::POST, "/api/v1/auth/sign-out".into(), None, false),
        "GET /api/v1/me" => call(M::GET, "/api/v1/me".into(), None, false),
        "GET /api/v1/users" => call(
            M::GET,
            format!("/api/v1/users?organization={}", o.org),
            None,
            false,
        ),
        "POST /api/v1/users" => call(
            M::POST,
            "/api/v1/users".into(),
            Some(
                json!({"email": format!("m{n}@matrix.test"), "name": "matrix", "role": "customer_user", "organization_id": o.org}),
            ),
            false,
        ),
        "GET /api/v1/users/{id}" => call(M::GET, format!("/api/v1/users/{}", o.user), None, true),
        "PATCH /api/v1/users/{id}" => call(
            M::PATCH,
            format!("/api/v1/users/{}", o.user),
            Some(json!({"name": "matrix"})),
            true,
        ),
        "POST /api/v1/users/{id}/sign-out-everywhere" => call(
            M::POST,
            format!("/api/v1/users/{}/sign-out-everywhere", o.user),
            Some(json!({})),
            true,
        ),
        "GET /api/v1/tokens" => call(M::GET, "/api/v1/tokens".into(), None, false),
        "POST /api/v1/tokens" => call(
            M::POST,
            "/api/v1/tokens".into(),
            Some(json!({"label": "matrix"})),
            false,
        ),
        "DELETE /api/v1/tokens/{id}" => {
            call(M::DELETE, format!("/api/v1/tokens/{}", o.token), None, true)
        }
        "GET /api/v1/audit" => call(
            M::GET,
            "/api/v1/audit?object_type=organization".into(),
            None,
            false,
        ),
        "GET /api/v1/calendars" => call(M::GET, "/api/v1/calendars".into(), None, false),
        "POST /api/v1/calendars" => call(
            M::POST,
            "/api/v1/calendars".into(),
            Some(
                json!({"id": format!("matrix-{n}"), "name": "m", "time_zone": "UTC", "weekly": {}}),
            ),
            false,
        ),
        "GET /api/v1/calendars/{id}" => call(M::GET, "/api/v1/calendars/24x7".into(), None, false),
        "PUT /api/v1/calendars/{id}" => call(
            M::PUT,
            "/api/v1/calendars/24x7".into(),
            Some(
                json!({"name": "7×24 (round the clock) 全天候", "time_zone": "Asia/Shanghai",
                "weekly": {"mon": ["00:00-24:00"], "tue": ["00:00-24:00"], "wed": ["00:00-24:00"],
                    "thu": ["00:00-24:00"], "fri": ["00:00-24:00"], "sat": ["00:00-24:00"], "sun": ["00:00-24:00"]}}),
            ),
            false,
        ),
        "POST /api/v1/calendars/{id}/import" => call(
            M::POST,
            "/api/v1/calendars/china-5x8/import".into(),
            Some(json!({"format": "csv", "content": "2027-01-01,,holiday,元旦,", "dry_run": true})),
            false,
        ),
        "GET /api/v1/calendars/{id}/days" => call(
            M::GET,
            "/api/v1/calendars/china-5x8/days?from=2026-09-28&to=2026-10-11".into(),
            None,
            false,
        ),
        "GET /api/v1/calendars/{id}/deadline" => call(
            M::GET,
            "/api/v1/calendars/china-5x8/deadline?start=2026-09-30T16:50:00%2B08:00&minutes=120"
                .into(),
            None,
            false,
        ),
        "GET /api/v1/plans" => call(M::GET, "/api/v1/plans".into(), None, false),
        "POST /api/v1/plans" => {
            let mut body =
                serde_json::to_value(casebook_domain::sla::plan::standard_plan()).unwrap();
            body["id"] = json!(format!("matrix-{n}"));
            call(M::POST, "/api/v1/plans".into(), Some(body), false)
        }
        "GET /api/v1/plans/{id}" => call(M::GET, "/api/v1/plans/standard".into(), None, false),
        "PUT /api/v1/plans/{id}" => call(
            M::PUT,
            "/api/v1/plans/standard".into(),
            Some(serde_json::to_value(casebook_domain::sla::plan::standard_plan()).unwrap()),
            false,
        ),
        "GET /api/v1/cases/{number}/sla" => {
            call(M::GET, format!("/api/v1/cases/{case}/sla"), None, true)
        }
        "GET /api/v1/sla/queue" => call(M::GET, "/api/v1/sla/queue".into(), None, false),
        "GET /api/v1/notifications" => call(M::GET, "/api/v1/notifications".into(), None, false),
        "GET /api/v1/mail/quarantine" => {
            call(M::GET, "/api/v1/mail/quarantine".into(), None, false)
        }
        "GET /api/v1/mail/refused" => call(M::GET, "/api/v1/mail/refused".into(), None, false),
        "GET /api/v1/mail/messages/{id}" => call(
            M::GET,
            format!("/api/v1/mail/messages/{}", o.mail),
            None,
            false,
        ),
        "GET /api/v1/mail/messages/{id}/raw" => call(
            M::GET,
            format!("/api/v1/mail/messages/{}/raw", o.mail),
            None,
            false,
        ),
        "POST /api/v1/mail/messages/{id}/release" => call(
            M::POST,
            format!("/api/v1/mail/messages/{}/release", o.mail),
            Some(json!({"case_number": case})),
            false,
        ),
        "POST /api/v1/mail/messages/{id}/open" => call(
            M::POST,
            format!("/api/v1/mail/messages/{}/open", o.mail),
            Some(json!({"organization_id": o.org})),
            false,
        ),
        "POST /api/v1/mail/messages/{id}/discard" => call(
            M::POST,
            format!("/api/v1/mail/messages/{}/discard", o.mail),
            Some(json!({"reason": "matrix"})),
            false,
        ),
        "GET /api/v1/mail-templates" => call(M::GET, "/api/v1/mail-templates".into(), None, false),
        "GET /api/v1/mail-templates/{kind}/{lang}" => call(
            M::GET,
            "/api/v1/mail-templates/case_opened/en".into(),
            None,
            false,
        ),
        "PUT /api/v1/mail-templates/{kind}/{lang}" => call(
            M::PUT,
            "/api/v1/mail-templates/status_changed/en".into(),
            Some(
                json!({"subject": "Case {{ case.number }}", "body": "{{ change.to }}", "version": 0}),
            ),
            false,
        ),
        "DELETE /api/v1/mail-templates/{kind}/{lang}" => call(
            M::DELETE,
            "/api/v1/mail-templates/status_changed/en".into(),
            None,
            false,
        ),
        "POST /api/v1/notifications/read" => call(
            M::POST,
            "/api/v1/notifications/read".into(),
            Some(json!({"ids": [1, 2, 3]})),
            false,
        ),
        "GET /api/v1/sites" => call(
            M::GET,
            format!("/api/v1/sites?organization={}", o.org),
            None,
            false,
        ),
        "POST /api/v1/sites" => call(
            M::POST,
            "/api/v1/sites".into(),
            Some(
                json!({"organization_id": o.org, "code": format!("M-SITE-{n}"), "name": "matrix"}),
            ),
            false,
        ),
        "GET /api/v1/sites/{id}" => call(M::GET, format!("/api/v1/sites/{}", o.site), None, true),
        "PATCH /api/v1/sites/{id}" => call(
            M::PATCH,
            format!("/api/v1/sites/{}", o.site),
            Some(json!({"notes": "matrix"})),
            true,
        ),
        "GET /api/v1/units" => call(
            M::GET,
            format!("/api/v1/units?organization={}", o.org),
            None,
            false,
        ),
        "POST /api/v1/units" => call(
            M::POST,
            "/api/v1/units".into(),
            Some(
                json!({"organization_id": o.org, "serial_number": format!("M-SN-{n}"), "product_id": o.product}),
            ),
            false,
        ),
        "GET /api/v1/units/{id}" => call(M::GET, format!("/api/v1/units/{}", o.unit), None, true),
        "PATCH /api/v1/units/{id}" => call(
            M::PATCH,
            format!("/api/v1/units/{}", o.unit),
            Some(json!({"notes": format!("matrix {n}")})),
            true,
        ),
        "GET /api/v1/units/{id}/history" => call(
            M::GET,
            format!("/api/v1/units/{}/history", o.unit),
            None,
            true,
        ),
        "GET /api/v1/contracts" => call(
            M::GET,
            format!("/api/v1/contracts?organization={}", o.org),
            None,
            false,
        ),
        "POST /api/v1/contracts" => call(
            M::POST,
            "/api/v1/contracts".into(),
            Some(
                json!({"contract_number": format!("M-HT-{n}"), "organization_id": o.org, "plan": "standard",
                "starts_on": "2026-01-01", "ends_on": "2026-12-31", "precedence": n}),
            ),
            false,
        ),
        "GET /api/v1/contracts/{id}" => call(
            M::GET,
            format!("/api/v1/contracts/{}", o.contract),
            None,
            true,
        ),
        "PATCH /api/v1/contracts/{id}" => call(
            M::PATCH,
            format!("/api/v1/contracts/{}", o.contract),
            Some(json!({"notes": format!("matrix {n}")})),
            true,
        ),
        "GET /api/v1/products/{id}/lifecycle" => call(
            M::GET,
            format!("/api/v1/products/{product}/lifecycle"),
            None,
            false,
        ),
        "GET /api/v1/entitlements/lookup" => call(
            M::GET,
            format!(
                "/api/v1/entitlements/lookup?contract_number={}",
                o.contract_number
            ),
            None,
            false,
        ),
        "POST /api/v1/cases/{number}/entitlement/override" => call(
            M::POST,
            format!("/api/v1/cases/{case}/entitlement/override"),
            Some(json!({"reason": "matrix", "plan": "standard"})),
            true,
        ),
        "POST /api/v1/cases/{number}/entitlement/recheck" => call(
            M::POST,
            format!("/api/v1/cases/{case}/entitlement/recheck"),
            None,
            true,
        ),
        "POST /api/v1/call-home/events" => call(
            M::POST,
            "/api/v1/call-home/events".into(),
            Some(
                json!({"idempotency_key": "matrix", "type": "heartbeat", "serial_number": "SN-1",
                "occurred_at": "2026-11-29T08:00:00Z"}),
            ),
            false,
        ),
        "GET /api/v1/call-home/rules" => {
            call(M::GET, "/api/v1/call-home/rules".into(), None, false)
        }
        "GET /api/v1/search" => call(
            M::GET,
            format!(
                "/api/v1/search?q={INTERNAL_CANARY}%20{}%20{}",
                o.customer_number, o.case
            ),
            None,
            false,
        ),
        "GET /api/v1/search/deflections" => {
            call(M::GET, "/api/v1/search/deflections".into(), None, false)
        }
        "POST /api/v1/search/deflections" => call(
            M::POST,
            "/api/v1/search/deflections".into(),
            Some(json!({"query": "数据库连接失败"})),
            false,
        ),
        "GET /api/v1/call-home/refusals" => call(
            M::GET,
            "/api/v1/call-home/refusals?days=2".into(),
            None,
            false,
        ),
        "POST /api/v1/call-home/rules" => call(
            M::POST,
            "/api/v1/call-home/rules".into(),
            Some(json!({"event_code": format!("M{n}*"), "action": "record"})),
            false,
        ),
        "PUT /api/v1/call-home/rules/{id}" => call(
            M::PUT,
            "/api/v1/call-home/rules/1".into(),
            Some(json!({"event_code": format!("R{n}"), "action": "record", "version": 1})),
            false,
        ),
        "DELETE /api/v1/call-home/rules/{id}" => call(
            M::DELETE,
            "/api/v1/call-home/rules/999999".into(),
            None,
            false,
        ),
        "GET /api/v1/call-home/keys" => call(
            M::GET,
            format!("/api/v1/call-home/keys?organization_id={}", o.org),
            None,
            false,
        ),
        "POST /api/v1/call-home/keys" => call(
            M::POST,
            "/api/v1/call-home/keys".into(),
            Some(json!({"organization": o.customer_number, "label": format!("matrix {n}")})),
            false,
        ),
        "POST /api/v1/call-home/keys/{id}/rotate" => call(
            M::POST,
            format!("/api/v1/call-home/keys/{}/rotate", o.key),
            Some(json!({"grace_hours": 1})),
            false,
        ),
        "POST /api/v1/call-home/keys/{id}/revoke" => call(
            M::POST,
            format!("/api/v1/call-home/keys/{}/revoke", o.key),
            None,
            false,
        ),
        "GET /api/v1/articles" => call(M::GET, "/api/v1/articles?sort=solved".into(), None, false),
        "POST /api/v1/articles" => call(
            M::POST,
            "/api/v1/articles".into(),
            Some(json!({"texts": [{"language": "zh-CN", "title": format!("matrix {n}")}]})),
            false,
        ),
        "GET /api/v1/articles/{id}" => call(
            M::GET,
            format!("/api/v1/articles/{}", o.article),
            None,
            false,
        ),
        // A stale version: staff get 409 and the article stays published for the next caller.
        "PATCH /api/v1/articles/{id}" => call(
            M::PATCH,
            format!("/api/v1/articles/{}", o.article),
            Some(json!({"tags": ["matrix"], "version": 0})),
            false,
        ),
        "POST /api/v1/articles/{id}/submit"
        | "POST /api/v1/articles/{id}/publish"
        | "POST /api/v1/articles/{id}/retire"
        | "POST /api/v1/articles/{id}/revise" => {
            let step = route.rsplit('/').next().unwrap_or_default();
            call(
                M::POST,
                format!("/api/v1/articles/{}/{step}", o.article),
                Some(json!({"version": 0})),
                false,
            )
        }
        "POST /api/v1/articles/{id}/reject" => call(
            M::POST,
            format!("/api/v1/articles/{}/reject", o.article),
            Some(json!({"note": "matrix", "version": 0})),
            false,
        ),
        "POST /api/v1/articles/{id}/feedback" => call(
            M::POST,
            format!("/api/v1/articles/{}/feedback", o.article),
            Some(json!({"solved": n.is_multiple_of(2)})),
            false,
        ),
        "POST /api/v1/cases/{number}/article" => {
            call(M::POST, format!("/api/v1/cases/{case}/article"), None, true)
        }
        "GET /api/v1/cases/{number}/articles" => {
            call(M::GET, format!("/api/v1/cases/{case}/articles"), None, true)
        }
        "GET /api/v1/contacts/{id}/subscriptions" => call(
            M::GET,
            format!("/api/v1/contacts/{}/subscriptions", o.contact),
            None,
            true,
        ),
        "PUT /api/v1/contacts/{id}/subscriptions" => call(
            M::PUT,
            format!("/api/v1/contacts/{}/subscriptions", o.contact),
            Some(json!({"product_ids": [product]})),
            true,
        ),
        _ => return None,
    })
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
    user_token: &str,
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
    Objects {
        article,
        customer_number,
        key,
        org,
        contact,
        user: user_id,
        case: number,
        attachment: uploaded["attachments"][0]["id"].as_i64().unwrap(),
        token: spare.token.id.get(),
        site: site["id"].as_i64().unwrap(),
        unit: unit["id"].as_i64().unwrap(),
        contract: contract["id"].as_i64().unwrap(),
        contract_number,
        product,
        mail,
    }
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
    let own = objects_of(
        &t,
        &t.a.user_token,
        t.a.user_id,
        t.a.org_id,
        t.a.contact_id,
        "own case",
    )
    .await;
    let foreign = objects_of(
        &t,
        &t.b.user_token,
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
