//! What a customer sends when filing a case cannot choose its SLA: the channel is where the case
//! came from (customers file on the web, by the portal and the API alike), and the unit,
//! product and contract number they name are checked against their own organisation's.

use reqwest::StatusCode;
use serde_json::{Value, json};

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;

use crate::contracts::{base, contract};
use crate::helpers::{TestApp, assert_error};

on_both_backends!(
    customers_cannot_choose_the_channel,
    the_plan_terms_of_a_severity_follow_the_real_channel,
    naming_a_product_does_not_stretch_a_units_contract,
    units_and_contracts_of_another_organisation_are_refused,
);

/// The one field a refusal names, with its code.
fn refused_field(status: StatusCode, body: &Value) -> (String, String) {
    let details = assert_error(
        status,
        body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let fields = details["fields"].as_array().expect("fields");
    assert_eq!(fields.len(), 1, "{body}");
    (
        fields[0]["field"].as_str().unwrap().to_owned(),
        fields[0]["code"].as_str().unwrap().to_owned(),
    )
}

/// The entitlement outcome and plan staff see on a case.
async fn entitlement(t: &TestApp, number: &str) -> (String, String, String) {
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    let e = &case["entitlement"];
    (
        case["channel"].as_str().unwrap().to_owned(),
        e["outcome"].as_str().unwrap().to_owned(),
        e["plan"].as_str().unwrap().to_owned(),
    )
}

async fn case_count(t: &TestApp) -> usize {
    let (status, list) = t.get(&t.engineer, "/api/v1/cases?limit=200").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["items"].as_array().unwrap().len()
}

async fn customers_cannot_choose_the_channel(backend: TestBackend) {
    let b = base(backend).await;
    let t = &b.t;
    // A contract that covers the unit on the phone only.
    contract(
        t,
        json!({"contract_number": "PHONE-ONLY", "organization_id": t.a.org_id, "plan": "premium-7x24",
            "starts_on": "2026-01-01", "ends_on": "2026-12-31", "units": [b.unit], "channels": ["phone"]}),
    )
    .await;
    let body = |channel: Option<&str>| {
        let mut body = json!({"title": "控制器离线", "description": "d", "severity": 1, "serial_number": b.serial});
        if let Some(channel) = channel {
            body["channel"] = json!(channel);
        }
        body
    };
    // A customer's API call is a web filing: the contract does not include it.
    let number = t.open_case(&t.a.user_token, body(None)).await;
    assert_eq!(
        entitlement(t, &number).await,
        (
            "web".into(),
            "channel_not_included".into(),
            "no-contract".into()
        )
    );
    // Claiming the phone, or a device's call home, is refused and opens nothing.
    let before = case_count(t).await;
    for claimed in ["phone", "call_home", "email", "api"] {
        let (status, refused) = t
            .post(&t.a.user_token, "/api/v1/cases", body(Some(claimed)))
            .await;
        assert_eq!(
            refused_field(status, &refused),
            ("channel".into(), "not_allowed".into()),
            "{claimed}"
        );
    }
    let (status, refused) = t
        .post(&t.a.admin_token, "/api/v1/cases", body(Some("phone")))
        .await;
    assert_eq!(
        refused_field(status, &refused),
        ("channel".into(), "not_allowed".into()),
        "a customer administrator neither"
    );
    assert_eq!(case_count(t).await, before, "a refusal opens nothing");
    // Saying what is true is accepted.
    let number = t.open_case(&t.a.user_token, body(Some("web"))).await;
    assert_eq!(entitlement(t, &number).await.0, "web");
    // Staff record the phone intake: the contract entitles it.
    let mut phone = body(Some("phone"));
    phone["organization_id"] = json!(t.a.org_id);
    phone["contact_id"] = json!(b.user_contact);
    let number = t.open_case(&t.coordinator, phone.clone()).await;
    assert_eq!(
        entitlement(t, &number).await,
        ("phone".into(), "entitled".into(), "premium-7x24".into())
    );
    // Nobody but a device files on call home.
    phone["channel"] = json!("call_home");
    let (status, refused) = t.post(&t.coordinator, "/api/v1/cases", phone).await;
    assert_eq!(
        refused_field(status, &refused),
        ("channel".into(), "not_allowed".into())
    );
}

fn initial_response_target(sla: &Value) -> Value {
    sla["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["metric"] == "initial_response")
        .unwrap_or_else(|| panic!("no initial response clock in {sla}"))["target"]
        .clone()
}

async fn the_plan_terms_of_a_severity_follow_the_real_channel(backend: TestBackend) {
    let b = base(backend).await;
    let t = &b.t;
    // The standard plan: two hours by phone, the next business day for what is filed
    // electronically (severities 2 to 4).
    contract(
        t,
        json!({"contract_number": "STD-2026", "organization_id": t.a.org_id, "plan": "standard",
            "starts_on": "2026-01-01", "ends_on": "2026-12-31", "units": [b.unit]}),
    )
    .await;
    let body =
        json!({"title": "性能下降", "description": "d", "severity": 2, "serial_number": b.serial});
    let web = t.open_case(&t.a.user_token, body.clone()).await;
    let (_, sla) = t
        .get(&t.engineer, &format!("/api/v1/cases/{web}/sla"))
        .await;
    assert_eq!(initial_response_target(&sla), json!("nbd"), "{sla}");
    let mut phone = body.clone();
    phone["channel"] = json!("phone");
    let (status, refused) = t
        .post(&t.a.user_token, "/api/v1/cases", phone.clone())
        .await;
    assert_eq!(
        refused_field(status, &refused),
        ("channel".into(), "not_allowed".into())
    );
    phone["organization_id"] = json!(t.a.org_id);
    let by_phone = t.open_case(&t.coordinator, phone).await;
    let (_, sla) = t
        .get(&t.engineer, &format!("/api/v1/cases/{by_phone}/sla"))
        .await;
    assert_eq!(
        initial_response_target(&sla),
        json!({"minutes": 120}),
        "{sla}"
    );
}

async fn naming_a_product_does_not_stretch_a_units_contract(backend: TestBackend) {
    let b = base(backend).await;
    let t = &b.t;
    contract(
        t,
        json!({"contract_number": "ONE-UNIT", "organization_id": t.a.org_id, "plan": "premium-7x24",
            "starts_on": "2026-01-01", "ends_on": "2026-12-31", "units": [b.unit]}),
    )
    .await;
    let by_product =
        json!({"title": "t", "description": "d", "severity": 1, "product_id": b.product});
    // The organisation's only unit of the product is covered: naming the product is enough.
    let number = t.open_case(&t.a.user_token, by_product.clone()).await;
    assert_eq!(entitlement(t, &number).await.1, "entitled");
    // A second unit of that product, outside the contract: naming the product alone no longer
    // borrows the first unit's contract.
    let (status, unit) = t
        .post(
            &t.coordinator,
            "/api/v1/units",
            json!({"organization_id": t.a.org_id, "serial_number": "UNCOVERED-2", "product_id": b.product}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{unit}");
    let number = t.open_case(&t.a.user_token, by_product).await;
    assert_eq!(
        entitlement(t, &number).await,
        ("web".into(), "not_covered".into(), "no-contract".into())
    );
    let (_, staff_view) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    assert!(
        staff_view["entitlement"]["reason"]
            .as_str()
            .unwrap()
            .contains("serial number"),
        "{staff_view}"
    );
    // The serial numbers decide: the covered unit is entitled, the other is not.
    let covered =
        json!({"title": "t", "description": "d", "severity": 1, "serial_number": b.serial});
    let number = t.open_case(&t.a.user_token, covered).await;
    assert_eq!(entitlement(t, &number).await.1, "entitled");
    let other =
        json!({"title": "t", "description": "d", "severity": 1, "serial_number": "UNCOVERED-2"});
    let number = t.open_case(&t.a.user_token, other).await;
    assert_eq!(entitlement(t, &number).await.1, "not_covered");
}

async fn units_and_contracts_of_another_organisation_are_refused(backend: TestBackend) {
    let b = base(backend).await;
    let t = &b.t;
    // Organisation B's unit, under B's 7×24 contract.
    let (status, unit) = t
        .post(
            &t.coordinator,
            "/api/v1/units",
            json!({"organization_id": t.b.org_id, "serial_number": "B-ONLY-1", "product_id": b.product}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{unit}");
    contract(
        t,
        json!({"contract_number": "B-GOLD", "organization_id": t.b.org_id, "plan": "premium-7x24",
            "starts_on": "2026-01-01", "ends_on": "2026-12-31"}),
    )
    .await;
    let before = case_count(t).await;
    let body = json!({"title": "t", "description": "d", "severity": 1});
    let with = |key: &str, value: Value| {
        let mut body = body.clone();
        body[key] = value;
        body
    };
    for (body, field) in [
        (with("serial_number", json!("B-ONLY-1")), "serial_number"),
        (with("contract_number", json!("B-GOLD")), "contract_number"),
        (
            with("organization_id", json!(t.b.org_id)),
            "organization_id",
        ),
        (with("contact_id", json!(t.b.contact_id)), "contact_id"),
    ] {
        let (status, refused) = t.post(&t.a.user_token, "/api/v1/cases", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        let (named, code) = refused_field(status, &refused);
        assert_eq!(named, field, "{refused}");
        assert!(
            code == "not_found" || code == "not_allowed",
            "{field}: {refused}"
        );
        assert!(
            !refused.to_string().contains("B-GOLD") || field == "contract_number",
            "{refused}"
        );
    }
    // A contract number that does not exist at all gets the same answer as B's.
    let (status, unknown) = t
        .post(
            &t.a.user_token,
            "/api/v1/cases",
            with("contract_number", json!("NO-SUCH-1")),
        )
        .await;
    let (_, b_gold) = t
        .post(
            &t.a.user_token,
            "/api/v1/cases",
            with("contract_number", json!("B-GOLD")),
        )
        .await;
    assert_eq!(
        refused_field(status, &unknown),
        ("contract_number".into(), "not_found".into())
    );
    assert_eq!(
        unknown.to_string().replace("NO-SUCH-1", "X"),
        b_gold.to_string().replace("B-GOLD", "X"),
        "an existing contract of another organisation is not told apart"
    );
    assert_eq!(case_count(t).await, before, "a refusal opens nothing");
}
