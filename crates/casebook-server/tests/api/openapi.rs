//! The OpenAPI document is served, is OpenAPI 3.1, documents every route, and tells the truth:
//! responses fit their schemas, every operation declares the statuses the extractors answer,
//! and each text field documents its own limit.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, client};

on_both_backends!(
    the_document_is_served_and_complete,
    calendars_plans_and_clocks_fit_their_schemas,
    every_operation_declares_the_common_statuses,
    each_text_field_documents_its_own_limit
);

async fn document(t: &TestApp) -> Value {
    client()
        .get(t.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Follows a local `$ref`.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => resolve(
            doc,
            &doc["components"]["schemas"][r.rsplit('/').next().unwrap()],
        ),
        None => schema,
    }
}

/// The mismatches of `value` against `schema`: the parts of JSON Schema this document uses
/// (`$ref`, `type`, `enum`, `oneOf`, `allOf`, properties, `required`,
/// `additionalProperties: false`, items, bounds).
fn violations(doc: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let schema = resolve(doc, schema);
    let mut out = Vec::new();
    if let Some(all) = schema["allOf"].as_array() {
        for part in all {
            out.extend(violations(doc, part, value, at));
        }
        // Each part alone forbids the others' properties when it is closed.
        return out;
    }
    if let Some(one) = schema["oneOf"].as_array() {
        let fitting = one
            .iter()
            .filter(|s| violations(doc, s, value, at).is_empty())
            .count();
        if fitting != 1 {
            out.push(format!("{at}: {value} fits {fitting} of oneOf {one:?}"));
        }
        return out;
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    if !types.is_empty()
        && !types
            .iter()
            .any(|t| *t == kind || (*t == "number" && kind == "integer"))
    {
        out.push(format!("{at}: {value} is not of type {types:?}"));
        return out;
    }
    if let Some(options) = schema["enum"].as_array()
        && !options.contains(value)
    {
        out.push(format!("{at}: {value} is not one of {options:?}"));
    }
    if let (Some(n), Some(max)) = (value.as_f64(), schema["maximum"].as_f64())
        && n > max
    {
        out.push(format!("{at}: {n} is over the maximum {max}"));
    }
    if let (Some(text), Some(max)) = (value.as_str(), schema["maxLength"].as_u64())
        && text.chars().count() as u64 > max
    {
        out.push(format!("{at}: longer than maxLength {max}"));
    }
    if let Value::Object(object) = value {
        let properties = &schema["properties"];
        for name in schema["required"].as_array().into_iter().flatten() {
            if !object.contains_key(name.as_str().unwrap()) {
                out.push(format!("{at}: required {name} is missing"));
            }
        }
        for (name, v) in object {
            match properties.get(name) {
                Some(p) => out.extend(violations(doc, p, v, &format!("{at}.{name}"))),
                None if schema["additionalProperties"] == json!(false) => {
                    out.push(format!("{at}: {name} is not allowed"))
                }
                None => {}
            }
        }
    }
    if let (Value::Array(items), Some(item)) = (value, schema.get("items")) {
        for (i, v) in items.iter().enumerate() {
            out.extend(violations(doc, item, v, &format!("{at}[{i}]")));
        }
    }
    out
}

/// Calls an operation and checks its answer against the documented schema of its status.
async fn check(
    t: &TestApp,
    doc: &Value,
    method: Method,
    path: &str,
    route: &str,
    body: Option<Value>,
) -> Value {
    let mut request = t
        .client
        .request(method.clone(), t.url(path))
        .bearer_auth(&t.admin);
    if let Some(body) = body {
        request = request.header("If-Match", "*").json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let value: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{method} {path}: {value}");
    let op = &doc["paths"][route][method.as_str().to_lowercase()];
    let schema = &op["responses"]["200"]["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "{method} {route} documents no 200 body");
    let found = violations(doc, schema, &value, "");
    assert!(
        found.is_empty(),
        "{method} {path} breaks its schema: {found:#?}"
    );
    value
}

async fn calendars_plans_and_clocks_fit_their_schemas(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let doc = document(&t).await;
    check(
        &t,
        &doc,
        Method::GET,
        "/api/v1/calendars",
        "/api/v1/calendars",
        None,
    )
    .await;
    let calendar = check(
        &t,
        &doc,
        Method::GET,
        "/api/v1/calendars/china-5x8",
        "/api/v1/calendars/{id}",
        None,
    )
    .await;
    let mut spec = calendar.clone();
    for key in [
        "id",
        "builtin",
        "created_at",
        "updated_at",
        "version",
        "warnings",
    ] {
        spec.as_object_mut().unwrap().remove(key);
    }
    check(
        &t,
        &doc,
        Method::PUT,
        "/api/v1/calendars/china-5x8",
        "/api/v1/calendars/{id}",
        Some(spec),
    )
    .await;
    let plans = check(
        &t,
        &doc,
        Method::GET,
        "/api/v1/plans",
        "/api/v1/plans",
        None,
    )
    .await;
    assert!(
        plans.to_string().contains("\"nbd\""),
        "a built-in plan has an nbd target: {plans}"
    );
    check(
        &t,
        &doc,
        Method::GET,
        "/api/v1/plans/no-contract",
        "/api/v1/plans/{id}",
        None,
    )
    .await;
    let number = t.case_of_a().await;
    check(
        &t,
        &doc,
        Method::GET,
        "/api/v1/dashboard",
        "/api/v1/dashboard",
        None,
    )
    .await;
    let sla = check(
        &t,
        &doc,
        Method::GET,
        &format!("/api/v1/cases/{number}/sla"),
        "/api/v1/cases/{number}/sla",
        None,
    )
    .await;
    assert!(
        sla.to_string().contains("\"nbd\""),
        "the no-contract plan answers by nbd: {sla}"
    );
}

async fn every_operation_declares_the_common_statuses(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let doc = document(&t).await;
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = &op["responses"];
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let public = op["security"] == json!([{}]);
            let mut wanted = vec!["500", "503"];
            if !public {
                wanted.push("401");
            }
            if params.iter().any(|p| p["in"] == "path") {
                wanted.push("404");
            }
            if params.iter().any(|p| p["in"] == "query") {
                wanted.extend(["400", "422"]);
            }
            if op.get("requestBody").is_some() {
                wanted.extend(["400", "413", "415", "422"]);
            }
            for status in wanted {
                if responses.get(status).is_none() {
                    missing.push(format!("{method} {path}: {status}"));
                }
            }
            for (status, response) in responses.as_object().unwrap() {
                if response.get("$ref").is_none() && response.get("description").is_none() {
                    missing.push(format!("{method} {path}: {status} has no description"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "undeclared statuses: {missing:#?}");
    // What the extractors answer really is what is declared: a query that cannot be read.
    let (status, body) = t.get(&t.admin, "/api/v1/calendars?limit=x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        doc["paths"]["/api/v1/calendars"]["get"]["responses"]
            .get("400")
            .is_some()
    );
}

/// The `maxLength` the document gives a text field, following `$ref`s.
fn max_length(doc: &Value, schema: &str, field: &str) -> usize {
    let property = &resolve(doc, &doc["components"]["schemas"][schema])["properties"][field];
    let property = match property["oneOf"].as_array() {
        Some(options) => options.iter().find(|o| o["type"] != "null").unwrap(),
        None => property,
    };
    resolve(doc, property)["maxLength"]
        .as_u64()
        .unwrap_or_else(|| panic!("{schema}.{field} documents no maxLength: {property}"))
        as usize
}

/// Sends `field` with `max` and `max + 1` characters: the first is taken, the second refused
/// with 422 naming the field.
async fn limit_is_enforced(t: &TestApp, path: &str, body: Value, field: &str, max: usize) {
    for (length, accepted) in [(max, true), (max + 1, false)] {
        let mut body = body.clone();
        body[field] = json!("字".repeat(length));
        let (status, answer) = t.post(&t.admin, path, body).await;
        if accepted {
            assert!(
                status.is_success(),
                "{field} of {length} characters refused: {answer}"
            );
        } else {
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{field} of {length}: {answer}"
            );
            assert_eq!(
                answer["error"]["details"]["fields"][0]["field"], field,
                "{answer}"
            );
        }
    }
}

async fn each_text_field_documents_its_own_limit(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let doc = document(&t).await;
    // A reply is long text, an organisation's notes short, a case title one line.
    assert_eq!(max_length(&doc, "CommentDraft", "body"), 100_000);
    assert_eq!(max_length(&doc, "OrganizationDraft", "notes"), 4_000);
    assert_eq!(max_length(&doc, "CaseDraft", "title"), 200);
    assert_eq!(max_length(&doc, "CaseDraft", "product_version"), 100);
    let number = t.case_of_a().await;
    let comments = format!("/api/v1/cases/{number}/comments");
    let body = max_length(&doc, "CommentDraft", "body");
    limit_is_enforced(&t, &comments, json!({}), "body", body).await;
    let notes = max_length(&doc, "OrganizationDraft", "notes");
    let mut n = 0;
    for (length, accepted) in [(notes, true), (notes + 1, false)] {
        n += 1;
        let body = json!({"customer_number": format!("LIM-{n}"), "name": "limits", "notes": "字".repeat(length)});
        let (status, answer) = t.post(&t.admin, "/api/v1/organizations", body).await;
        assert_eq!(status.is_success(), accepted, "notes of {length}: {answer}");
        if !accepted {
            assert_eq!(
                answer["error"]["details"]["fields"][0]["field"], "notes",
                "{answer}"
            );
        }
    }
    let title = max_length(&doc, "CaseDraft", "title");
    let case = json!({"description": "d", "severity": 3, "organization_id": t.a.org_id});
    limit_is_enforced(&t, "/api/v1/cases", case, "title", title).await;
}

async fn the_document_is_served_and_complete(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let doc: Value = client()
        .get(t.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/cases",
        "/api/v1/cases/{number}",
        "/api/v1/cases/{number}/comments",
        "/api/v1/cases/{number}/attachments",
        "/api/v1/cases/{number}/timeline",
        "/api/v1/organizations",
        "/api/v1/contacts",
        "/api/v1/products",
        "/api/v1/users",
        "/healthz",
    ] {
        assert!(paths.contains_key(path), "{path} is not documented");
    }
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path} documents no responses"
            );
        }
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for schema in [
        "Case",
        "CaseDraft",
        "CasePatch",
        "ErrorBody",
        "Organization",
        "CaseEvent",
    ] {
        assert!(
            schemas.contains_key(schema),
            "schema {schema} missing: {:?}",
            schemas.keys().collect::<Vec<_>>()
        );
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}
