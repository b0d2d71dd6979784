//! The finishing steps of the OpenAPI document, applied once to what utoipa generated from the
//! handlers: the statuses every operation can answer whatever its handler does (declared here
//! from each operation's method, parameters and body, not by hand on each handler), and
//! `allOf` compositions merged into plain objects.
//!
//! The common statuses follow from the extractors and the error mapping (`extract.rs`,
//! `error.rs`): an authenticated operation can answer 401, a state change 403 (`csrf_failed`),
//! an operation with path parameters 404, one with query parameters or a body 400 and 422, one
//! with a body 413 and (JSON) 415, every operation 500 and 503. A status a handler already
//! declares keeps the handler's description.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// The shared responses: (status, component name under `components.responses`, description).
const COMMON: [(&str, &str, &str); 9] = [
    (
        "400",
        "BadRequest",
        "The request cannot be read: `invalid_json`, `invalid_query`, `invalid_cursor`, \
         `invalid_if_match` or `invalid_multipart`.",
    ),
    (
        "401",
        "Unauthenticated",
        "`unauthenticated`: no valid bearer token or session cookie.",
    ),
    (
        "403",
        "Forbidden",
        "`forbidden` (the role may not do this) or `csrf_failed` (a session's state change \
         without its `X-CSRF-Token`).",
    ),
    (
        "404",
        "NotFound",
        "`not_found`: no such object, or one the caller may not see; `details.resource` names \
         what.",
    ),
    (
        "413",
        "PayloadTooLarge",
        "`payload_too_large`: the body is over the limit (`details.limit_bytes`).",
    ),
    (
        "415",
        "UnsupportedMediaType",
        "`unsupported_media_type`: the body is not of the media type the operation takes.",
    ),
    (
        "422",
        "ValidationFailed",
        "`validation_failed`: `details.fields` names each bad field with its own code.",
    ),
    (
        "500",
        "Internal",
        "`internal`: an error of the server, logged once; nothing was changed.",
    ),
    (
        "503",
        "Unavailable",
        "`database_unavailable`: nothing was changed; try again after `Retry-After` seconds.",
    ),
];

/// Applies every finishing step to the generated document.
pub fn finish(document: &mut Value) {
    merge_all_of(document);
    add_common_responses(document);
    super::webhooks::describe(document);
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

/// The statuses an operation can answer whatever its handler does.
fn common_statuses(method: &str, operation: &Value) -> BTreeSet<&'static str> {
    let parameters = operation["parameters"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    let has_in = |place: &str| parameters.iter().any(|p| p["in"] == place);
    let body = operation["requestBody"]["content"].as_object();
    // `security: [{}]` marks a public operation (sign-in, device events, health).
    let public = operation["security"]
        .as_array()
        .is_some_and(|s| s.iter().any(|r| r.as_object().is_some_and(Map::is_empty)));
    let state_change = !matches!(method, "get" | "head" | "options");

    let mut statuses = BTreeSet::from(["500", "503"]);
    if !public {
        statuses.insert("401");
        if state_change {
            statuses.insert("403");
        }
    }
    if has_in("path") {
        statuses.insert("404");
    }
    if has_in("query") || body.is_some() || matches!(method, "put" | "patch") {
        // Unreadable query, body or `If-Match`.
        statuses.insert("400");
    }
    if has_in("query") || body.is_some() {
        statuses.insert("422");
    }
    if body.is_some() {
        statuses.insert("413");
        statuses.insert("415");
    }
    statuses
}

fn add_common_responses(document: &mut Value) {
    let components = document["components"]
        .as_object_mut()
        .map(|c| c.entry("responses").or_insert_with(|| json!({})));
    if let Some(Value::Object(responses)) = components {
        for (_, name, description) in COMMON {
            let mut response = error_response(description);
            if name == "Unavailable" {
                response["headers"] = json!({"Retry-After": {
                    "description": "Seconds to wait before trying again.",
                    "schema": {"type": "integer"}
                }});
            }
            responses.insert(name.to_owned(), response);
        }
    }
    let Some(paths) = document["paths"].as_object_mut() else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, operation) in item.iter_mut() {
            let statuses = common_statuses(method, operation);
            let Some(responses) = operation["responses"].as_object_mut() else {
                continue;
            };
            // OpenAPI requires a description on every response.
            for (status, response) in responses.iter_mut() {
                if response.get("$ref").is_none() && response.get("description").is_none() {
                    let reason = status
                        .parse::<u16>()
                        .ok()
                        .and_then(|s| axum::http::StatusCode::from_u16(s).ok())
                        .and_then(|s| s.canonical_reason())
                        .unwrap_or("Response");
                    response["description"] = json!(reason);
                }
            }
            for (status, name, _) in COMMON {
                if statuses.contains(status) && !responses.contains_key(status) {
                    responses.insert(
                        status.to_owned(),
                        json!({"$ref": format!("#/components/responses/{name}")}),
                    );
                }
            }
        }
    }
}

/// Replaces every `allOf` of object schemas (what utoipa makes of `#[serde(flatten)]`) by one
/// object with all their properties. A flattened part that refuses unknown fields
/// (`additionalProperties: false`, as request types do) would otherwise forbid the other
/// parts' fields, and generated clients read plain objects more easily.
fn merge_all_of(document: &mut Value) {
    let schemas = document["components"]["schemas"].clone();
    merge_in(document, &schemas);
}

fn merge_in(value: &mut Value, schemas: &Value) {
    match value {
        Value::Object(object) => {
            if let Some(merged) = merged(object, schemas, 0) {
                *object = merged;
            }
            for child in object.values_mut() {
                merge_in(child, schemas);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| merge_in(v, schemas)),
        _ => {}
    }
}

/// The schema an `allOf` of objects stands for, or `None` if `schema` is not one.
fn merged(
    schema: &Map<String, Value>,
    schemas: &Value,
    depth: usize,
) -> Option<Map<String, Value>> {
    let parts = schema.get("allOf")?.as_array()?;
    if depth > 8 {
        return None;
    }
    let mut properties = Map::new();
    let mut required: Vec<Value> = Vec::new();
    let mut closed = true;
    for part in parts {
        let part = resolve(part, schemas)?;
        let part = match merged(part, schemas, depth + 1) {
            Some(inner) => inner,
            None => part.clone(),
        };
        if part.get("type").is_some_and(|t| t != "object")
            || ["oneOf", "anyOf", "allOf"]
                .iter()
                .any(|k| part.contains_key(*k))
        {
            return None;
        }
        for (name, property) in part.get("properties")?.as_object()? {
            properties.insert(name.clone(), property.clone());
        }
        for name in part
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !required.contains(name) {
                required.push(name.clone());
            }
        }
        closed &= part.get("additionalProperties") == Some(&Value::Bool(false));
    }
    let mut out = Map::new();
    for key in ["title", "description", "examples", "example"] {
        if let Some(v) = schema.get(key) {
            out.insert(key.to_owned(), v.clone());
        }
    }
    out.insert("type".into(), json!("object"));
    out.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        out.insert("required".into(), Value::Array(required));
    }
    if closed {
        out.insert("additionalProperties".into(), json!(false));
    }
    Some(out)
}

/// A schema with a local `$ref` followed into `components.schemas`.
fn resolve<'a>(schema: &'a Value, schemas: &'a Value) -> Option<&'a Map<String, Value>> {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => schemas
            .get(reference.strip_prefix("#/components/schemas/")?)?
            .as_object(),
        None => schema.as_object(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flattened_closed_part_is_merged_into_one_object() {
        let mut doc = json!({
            "components": {"schemas": {
                "Spec": {"type": "object", "additionalProperties": false,
                         "properties": {"name": {"type": "string"}}, "required": ["name"]},
                "Stored": {"description": "stored", "allOf": [
                    {"$ref": "#/components/schemas/Spec"},
                    {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}
                ]},
                "View": {"allOf": [
                    {"$ref": "#/components/schemas/Stored"},
                    {"type": "object", "properties": {"warnings": {"type": "array"}}}
                ]}
            }},
            "paths": {}
        });
        finish(&mut doc);
        let view = &doc["components"]["schemas"]["View"];
        assert_eq!(view["required"], json!(["name", "id"]));
        assert!(view["properties"]["warnings"].is_object());
        assert!(view.get("additionalProperties").is_none(), "{view}");
        assert_eq!(
            doc["components"]["schemas"]["Stored"]["description"],
            "stored"
        );
    }

    #[test]
    fn common_statuses_follow_from_the_operation() {
        let get = json!({"parameters": [{"in": "path", "name": "id"}], "responses": {}});
        assert_eq!(
            common_statuses("get", &get).into_iter().collect::<Vec<_>>(),
            ["401", "404", "500", "503"]
        );
        let post = json!({"requestBody": {"content": {"application/json": {}}}, "responses": {}});
        assert_eq!(
            common_statuses("post", &post)
                .into_iter()
                .collect::<Vec<_>>(),
            ["400", "401", "403", "413", "415", "422", "500", "503"]
        );
        let public = json!({"security": [{}], "responses": {}});
        assert_eq!(
            common_statuses("get", &public)
                .into_iter()
                .collect::<Vec<_>>(),
            ["500", "503"]
        );
    }
}
