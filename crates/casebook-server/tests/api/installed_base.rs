//! The installed base and contracts through the API: phone-intake lookup by any number, product
//! lifecycle, units reaching end of support, unit history, and refused contracts, units and
//! cases.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::contracts::{base, contract};
use crate::helpers::assert_error;
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;

on_both_backends!(
    lookup_lifecycle_and_history,
    bad_contracts_and_units_are_refused
);

async fn lookup_lifecycle_and_history(backend: TestBackend) {
    let b = base(backend).await;
    let t = &b.t;
    contract(
        t,
        json!({"contract_number": "HT-LOOKUP", "organization_id": t.a.org_id, "plan": "premium-7x24",
            "starts_on": "2026-01-01", "ends_on": "2026-12-31"}),
    )
    .await;
    let (_, contact) = t
        .get(&t.engineer, &format!("/api/v1/contacts/{}", t.a.contact_id))
        .await;
    let (_, org) = t
        .get(
            &t.engineer,
            &format!("/api/v1/organizations/{}", t.a.org_id),
        )
        .await;
    let customer_number = org["customer_number"].as_str().unwrap();
    for query in [
        format!("customer_number={}", customer_number.to_lowercase()),
        "contract_number=ht-lookup".to_owned(),
        format!("serial_number={}", b.serial),
        format!("contact={}", contact["email"].as_str().unwrap()),
    ] {
        let (status, found) = t
            .get(
                &t.coordinator,
                &format!("/api/v1/entitlements/lookup?{query}"),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{query}: {found}");
        assert_eq!(found["organization"]["id"], t.a.org_id, "{query}");
        assert_eq!(
            found["entitlement"]["outcome"], "entitled",
            "{query}: {found}"
        );
        assert_eq!(found["entitlement"]["contract_number"], "HT-LOOKUP");
        assert_eq!(found["units"].as_array().unwrap().len(), 1);
    }
    let (status, body) = t
        .get(
            &t.coordinator,
            "/api/v1/entitlements/lookup?serial_number=NOPE",
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let (_, org_b) = t
        .get(
            &t.engineer,
            &format!("/api/v1/organizations/{}", t.b.org_id),
        )
        .await;
    let (status, body) = t
        .get(
            &t.coordinator,
            &format!(
                "/api/v1/entitlements/lookup?customer_number={}&serial_number={}",
                org_b["customer_number"].as_str().unwrap(),
                b.serial
            ),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let (status, body) = t.get(&t.coordinator, "/api/v1/entitlements/lookup").await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let (status, body) = t
        .get(
            &t.a.user_token,
            "/api/v1/entitlements/lookup?contract_number=HT-LOOKUP",
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");

    // Lifecycle: V3 ended marketing in 2024 and ends support on 2026-12-31.
    let (status, life) = t
        .get(
            &t.engineer,
            &format!("/api/v1/products/{}/lifecycle", b.product),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{life}");
    let v3 = &life["versions"][0];
    assert_eq!(
        (v3["version"].as_str(), v3["stage"].as_str()),
        (Some("V3"), Some("end_of_marketing"))
    );
    assert_eq!(v3["days_to_end_of_support"], 38, "{life}");
    assert_eq!(v3["units_in_service"], 1);
    assert_eq!(life["versions"][1]["stage"], "supported");
    let (_, customer_view) = t
        .get(
            &t.a.user_token,
            &format!("/api/v1/products/{}/lifecycle", b.product),
        )
        .await;
    assert!(customer_view["versions"][0]["units_in_service"].is_null());
    let (_, soon) = t
        .get(&t.engineer, "/api/v1/units?end_of_support_within_days=60")
        .await;
    assert_eq!(soon["items"].as_array().unwrap().len(), 1, "{soon}");
    let (_, later) = t
        .get(&t.engineer, "/api/v1/units?end_of_support_within_days=30")
        .await;
    assert_eq!(later["items"].as_array().unwrap().len(), 0, "{later}");

    // The unit's history records each change.
    let (status, unit) = t
        .patch(
            &t.coordinator,
            &format!("/api/v1/units/{}", b.unit),
            json!({"product_version": "V5", "patch_level": "SPC200"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{unit}");
    let (_, history) = t
        .get(
            &t.a.user_token,
            &format!("/api/v1/units/{}/history", b.unit),
        )
        .await;
    assert_eq!(history.as_array().unwrap().len(), 2, "{history}");
    assert_eq!(
        history[0]["changes"]["product_version"],
        json!(["V3", "V5"])
    );
    assert_eq!(
        history[0]["changes"]["patch_level"],
        json!([null, "SPC200"])
    );
    // Customers see their own installed base, not others'.
    let (_, own) = t
        .get(
            &t.a.user_token,
            &format!("/api/v1/units?organization={}", t.b.org_id),
        )
        .await;
    assert!(
        own["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["organization_id"] == t.a.org_id)
    );
    let (status, _) = t
        .get(&t.b.user_token, &format!("/api/v1/units/{}", b.unit))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

fn fields(body: &Value) -> Vec<String> {
    body["error"]["details"]["fields"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|x| {
                    format!(
                        "{}:{}",
                        x["field"].as_str().unwrap(),
                        x["code"].as_str().unwrap()
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn bad_contracts_and_units_are_refused(backend: TestBackend) {
    let b = base(backend).await;
    let t = &b.t;
    let (status, body) = t
        .post(
            &t.coordinator,
            "/api/v1/contracts",
            json!({"contract_number": "BAD", "organization_id": t.a.org_id, "plan": "gold-nope",
                "starts_on": "2026-12-31", "ends_on": "2026-01-01", "units": [999999], "channels": []}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        fields(&body),
        [
            "ends_on:before_start",
            "plan:not_found",
            "channels:required",
            "units[0]:not_found"
        ]
    );
    let (status, body) = t
        .post(
            &t.coordinator,
            "/api/v1/contracts",
            json!({"contract_number": "BAD", "organization_id": t.a.org_id, "plan": "standard",
                "starts_on": "2026-13-01", "ends_on": "2026-12-31"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // Overlaps only with a different precedence.
    let c = json!({"contract_number": "A-1", "organization_id": t.a.org_id, "plan": "standard",
        "starts_on": "2026-01-01", "ends_on": "2026-12-31", "units": [b.unit]});
    contract(t, c.clone()).await;
    let mut overlapping = c.clone();
    overlapping["contract_number"] = json!("A-2");
    overlapping["starts_on"] = json!("2026-06-01");
    overlapping["ends_on"] = json!("2027-05-31");
    let (status, body) = t
        .post(&t.coordinator, "/api/v1/contracts", overlapping.clone())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["precedence:overlap"]);
    assert!(body.to_string().contains("A-1"), "{body}");
    overlapping["precedence"] = json!(5);
    contract(t, overlapping).await;
    let (status, body) = t.post(&t.coordinator, "/api/v1/contracts", c).await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "duplicate_contract_number",
    );
    // Customers do not create contracts.
    let (status, body) = t
        .post(
            &t.a.admin_token,
            "/api/v1/contracts",
            json!({"contract_number": "MINE", "organization_id": t.a.org_id, "plan": "standard",
                "starts_on": "2026-01-01", "ends_on": "2026-12-31"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");

    // A serial number twice for one product; a site of another organisation; unknown version.
    let unit = |serial: &str, extra: Value| {
        let mut body = json!({"organization_id": t.a.org_id, "serial_number": serial, "product_id": b.product});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let (status, body) = t
        .post(
            &t.coordinator,
            "/api/v1/units",
            unit("210235a1b2", json!({})),
        )
        .await;
    assert_eq!(
        fields(&body),
        ["serial_number:duplicate"],
        "{status} {body}"
    );
    let (_, site_b) = t
        .post(
            &t.coordinator,
            "/api/v1/sites",
            json!({"organization_id": t.b.org_id, "code": "SH-1", "name": "上海"}),
        )
        .await;
    let (_, body) = t
        .post(
            &t.coordinator,
            "/api/v1/units",
            unit("X-1", json!({"site_id": site_b["id"]})),
        )
        .await;
    assert_eq!(fields(&body), ["site_id:not_found"], "{body}");
    let (_, body) = t
        .post(
            &t.coordinator,
            "/api/v1/units",
            unit("X-1", json!({"product_version": "V9"})),
        )
        .await;
    assert_eq!(fields(&body), ["product_version:unknown"], "{body}");
    let (_, body) = t
        .post(
            &t.coordinator,
            "/api/v1/units",
            unit("bad serial!", json!({})),
        )
        .await;
    assert_eq!(body["error"]["code"], "validation_failed", "{body}");
    // Lifecycle dates out of order.
    let (status, body) = t
        .post(
            &t.coordinator,
            &format!("/api/v1/products/{}/versions", b.product),
            json!({"version": "V6", "released_on": "2026-01-01", "end_of_support_on": "2025-01-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["end_of_support_on:before_earlier_date"]);
    // A case naming a serial number of another organisation, or a contract of another.
    let (_, body) = t
        .post(
            &t.b.user_token,
            "/api/v1/cases",
            json!({"title": "t", "description": "d", "severity": 3, "serial_number": b.serial, "channel": "web"}),
        )
        .await;
    assert_eq!(fields(&body), ["serial_number:not_found"], "{body}");
    let (_, body) = t
        .post(
            &t.b.user_token,
            "/api/v1/cases",
            json!({"title": "t", "description": "d", "severity": 3, "contract_number": "A-1"}),
        )
        .await;
    assert_eq!(fields(&body), ["contract_number:not_found"], "{body}");
}
