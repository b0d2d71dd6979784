//! What webhook receivers get, in the OpenAPI document: a schema per event type
//! (`Event.<type>`: the envelope with the type fixed and the sections it always carries
//! required, the others left out) and an entry under `webhooks` per type with the headers of
//! the request and what the answer means.

use casebook_domain::Named;
use casebook_domain::events::EventKind;
use serde_json::{Map, Value, json};

/// The headers of every delivery.
const HEADERS: [(&str, &str); 5] = [
    ("X-Casebook-Event", "The event type, e.g. `case.opened`."),
    (
        "X-Casebook-Event-Id",
        "The event's id, as in the body: the same on every retry; drop repeats by it.",
    ),
    (
        "X-Casebook-Delivery",
        "The delivery's id in the subscription's log.",
    ),
    (
        "X-Casebook-Timestamp",
        "When this attempt was signed, Unix seconds; refuse ones more than 5 minutes off.",
    ),
    (
        "X-Casebook-Signature",
        "`v1=` and the hex HMAC-SHA256, keyed with the subscription's secret, of four lines: `v1`, \
         the timestamp, the event id and the hex SHA-256 of the body (docs/integrations.md).",
    ),
];

/// Adds the per-type schemas and the `webhooks` entries.
pub fn describe(document: &mut Value) {
    let Some(base) = document.pointer("/components/schemas/Event").cloned() else {
        return;
    };
    let mut webhooks = Map::new();
    let mut schemas = Map::new();
    for kind in EventKind::ALL {
        let name = kind.as_str();
        let sections: Vec<&str> = kind.sections().iter().map(|s| s.as_str()).collect();
        let mut schema = base.clone();
        if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
            properties.retain(|p, _| {
                matches!(p.as_str(), "id" | "type" | "occurred_at" | "actor")
                    || sections.contains(&p.as_str())
            });
            properties.insert(
                "type".into(),
                json!({"type": "string", "enum": [name], "description": "The event type."}),
            );
        }
        let mut required = vec!["id", "type", "occurred_at", "actor"];
        required.extend(&sections);
        schema["required"] = json!(required);
        schema["description"] = json!(kind.description());
        let component = format!("Event.{name}");
        let parameters: Vec<Value> = HEADERS
            .iter()
            .map(|(header, what)| {
                json!({"name": header, "in": "header", "required": *header != "X-Casebook-Signature",
                       "description": what, "schema": {"type": "string"}})
            })
            .collect();
        webhooks.insert(
            name.to_owned(),
            json!({"post": {
                "operationId": format!("webhook-{}", name.replace('.', "-")),
                "summary": kind.description(),
                "tags": ["integrations"],
                "parameters": parameters,
                "requestBody": {"required": true, "content": {"application/json": {
                    "schema": {"$ref": format!("#/components/schemas/{component}")}}}},
                "responses": {"200": {"description":
                    "Any 2xx status: taken. Anything else, a redirect, or no answer within the \
                     timeout: tried again later (10 s, doubling, at most an hour), in order."}}
            }}),
        );
        schemas.insert(component, schema);
    }
    if let Some(all) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        all.extend(schemas);
    }
    document["webhooks"] = Value::Object(webhooks);
}
