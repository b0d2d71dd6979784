//! Contracts and entitlements through the API: a 7×24 contract gives its severity-1 clock, the
//! day after it ends the case gets "expired" and the non-contract rules; every outcome of the
//! check; the coordinator's override and re-check; renewal reminders. The fixtures here serve
//! `installed_base.rs` too.

use std::sync::Arc;

use casebook_server::actions::contracts::renewals;
use casebook_server::clock::ManualClock;
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error};

on_both_backends!(
    a_contract_decides_the_sla,
    every_outcome_and_the_override,
    the_last_incident_goes_to_one_case,
    renewal_reminders_go_out_once_per_threshold
);

/// Monday 23 November 2026, 23:00 in Shanghai: outside service hours.
const MONDAY_NIGHT: &str = "2026-11-23T15:00:00Z";

pub struct Base {
    pub t: TestApp,
    pub clock: Arc<ManualClock>,
    /// The contact record of organisation A's customer user.
    pub user_contact: i64,
    pub product: i64,
    pub unit: i64,
    pub serial: String,
}

/// A 7×24 plan, a product with versions, a site and a unit of organisation A.
pub async fn base(backend: TestBackend) -> Base {
    let clock = Arc::new(ManualClock::new(MONDAY_NIGHT.parse().unwrap()));
    let t = TestApp::spawn_with(backend, |_| {}, clock.clone()).await;
    let (product, unit, user_contact) = installed_base(&t).await;
    Base {
        t,
        clock,
        user_contact,
        product,
        unit,
        serial: "210235A1B2".into(),
    }
}

/// The plan, product, site and unit of [`base`] in `t`: the product, the unit (serial
/// `210235A1B2`) and the contact of organisation A's customer user.
pub async fn installed_base(t: &TestApp) -> (i64, i64, i64) {
    let mut premium = serde_json::to_value(casebook_domain::sla::plan::standard_plan()).unwrap();
    premium["id"] = json!("premium-7x24");
    premium["name"] = json!("7×24 金牌");
    for terms in premium["severities"].as_array_mut().unwrap() {
        terms["calendar"] = json!("24x7");
        terms.as_object_mut().unwrap().remove("overrides");
    }
    let (status, body) = t.post(&t.admin, "/api/v1/plans", premium).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, product) = t
        .post(
            &t.coordinator,
            "/api/v1/products",
            json!({"name": "OceanStor 5500", "vendor": "Huaxin", "versions": [
                {"version": "V3", "released_on": "2019-01-01", "end_of_marketing_on": "2024-06-30", "end_of_support_on": "2026-12-31"},
                {"version": "V5", "released_on": "2023-01-01"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    let product = product["id"].as_i64().unwrap();
    let (status, site) = t
        .post(
            &t.coordinator,
            "/api/v1/sites",
            json!({"organization_id": t.a.org_id, "code": "bj-dc1", "name": "北京一号机房", "address": "北京市海淀区"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{site}");
    assert_eq!(site["code"], "BJ-DC1");
    let (status, unit) = t
        .post(
            &t.coordinator,
            "/api/v1/units",
            json!({"organization_id": t.a.org_id, "site_id": site["id"], "serial_number": "210235a1b2",
                "product_id": product, "product_version": "V3", "operating_system": "Linux"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{unit}");
    assert_eq!(unit["site"]["name"], "北京一号机房");
    let (_, user) = t
        .get(&t.admin, &format!("/api/v1/users/{}", t.a.user_id))
        .await;
    let user_contact = user["contact_id"]
        .as_i64()
        .expect("customer users have a contact");
    (product, unit["id"].as_i64().unwrap(), user_contact)
}

pub async fn contract(t: &TestApp, body: Value) -> Value {
    let (status, c) = t.post(&t.coordinator, "/api/v1/contracts", body).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    c
}

async fn open(t: &TestApp, token: &str, body: Value) -> Value {
    let (status, case) = t.post(token, "/api/v1/cases", body).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    case
}

fn initial_response(sla: &Value) -> &Value {
    sla["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["metric"] == "initial_response")
        .unwrap_or_else(|| panic!("no initial response clock in {sla}"))
}

async fn a_contract_decides_the_sla(backend: TestBackend) {
    let b = base(backend).await;
    let t = &b.t;
    contract(
        t,
        json!({"contract_number": "ht-2026-001", "organization_id": t.a.org_id, "plan": "premium-7x24",
            "starts_on": "2026-01-01", "ends_on": "2026-11-30", "units": [b.unit],
            "contacts": [b.user_contact], "services": ["on_site", "remote_diagnosis"]}),
    )
    .await;
    // An authorised contact, a covered unit, an active 7×24 contract: severity 1 at 23:00 on a
    // Monday night gets a two-hour response on the 7×24 calendar.
    let case = open(
        t,
        &t.a.user_token,
        json!({"title": "存储控制器离线", "description": "双控之一离线", "severity": 1, "serial_number": b.serial}),
    )
    .await;
    assert!(
        case.get("entitlement").is_none() || case["entitlement"].is_null(),
        "customers do not see it: {case}"
    );
    assert_eq!(
        case["product"]["id"], b.product,
        "the unit sets the product"
    );
    assert_eq!(case["product_version"], "V3");
    let number = case["number"].as_str().unwrap();
    let (_, staff_view) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    let e = &staff_view["entitlement"];
    assert_eq!(e["outcome"], "entitled", "{staff_view}");
    assert_eq!(e["contract_number"], "HT-2026-001");
    assert_eq!(e["plan"], "premium-7x24");
    assert!(e["reason"].as_str().unwrap().contains("HT-2026-001"), "{e}");
    assert_eq!(staff_view["unit"]["name"], b.serial);
    let (_, sla) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/sla"))
        .await;
    let ir = initial_response(&sla);
    assert_eq!(ir["calendar"], "24x7", "{sla}");
    assert_eq!(
        ir["deadline"], "2026-11-23T17:00:00Z",
        "01:00 in Shanghai: {sla}"
    );

    // The same case a day after the contract ended: expired, the non-contract rules (the default
    // plan: web is answered by the next business day).
    b.clock.advance(SignedDuration::from_hours(24 * 8));
    let case = open(
        t,
        &t.a.user_token,
        json!({"title": "存储控制器离线", "description": "双控之一离线", "severity": 1, "serial_number": b.serial}),
    )
    .await;
    let number = case["number"].as_str().unwrap();
    let (_, staff_view) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    let e = &staff_view["entitlement"];
    assert_eq!(e["outcome"], "expired", "{staff_view}");
    assert_eq!(e["plan"], "no-contract");
    assert!(e["reason"].as_str().unwrap().contains("2026-11-30"), "{e}");
    let (_, sla) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/sla"))
        .await;
    assert_eq!(initial_response(&sla)["target"], "nbd", "{sla}");

    // A renewal does not rewrite the SLA of the case already open.
    let (_, list) = t
        .get(&t.engineer, "/api/v1/contracts?ending_within_days=0")
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "{list}");
    let id = t
        .get(
            &t.engineer,
            &format!("/api/v1/contracts?organization={}", t.a.org_id),
        )
        .await
        .1["items"][0]["id"]
        .clone();
    let (status, renewed) = t
        .patch(
            &t.coordinator,
            &format!("/api/v1/contracts/{id}"),
            json!({"ends_on": "2027-11-30"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    assert_eq!(renewed["incidents_used"], 1, "the entitled case is charged");
    let (_, again) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(again["entitlement"]["outcome"], "expired");
    // Unless staff ask: a re-check against the renewed contract.
    let recheck = format!("/api/v1/cases/{number}/entitlement/recheck");
    let (status, body) = t.post(&t.engineer, &recheck, json!({})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, rechecked) = t.post(&t.coordinator, &recheck, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{rechecked}");
    assert_eq!(rechecked["entitlement"]["outcome"], "entitled");
    assert_eq!(rechecked["entitlement"]["plan"], "premium-7x24");
    let (_, sla) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/sla"))
        .await;
    let ir = initial_response(&sla);
    assert_eq!(
        (ir["calendar"].as_str(), &ir["target"]),
        (Some("24x7"), &json!({"minutes": 120})),
        "{sla}"
    );
    assert!(
        sla["clocks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["metric"] == "resolution" && c["state"] == "running"),
        "the no-contract plan had no resolution target; the contract's plan starts one: {sla}"
    );
}

async fn every_outcome_and_the_override(backend: TestBackend) {
    let b = base(backend).await;
    let t = &b.t;
    let outcome = |case: Value| async move {
        let number = case["number"].as_str().unwrap().to_owned();
        let (_, v) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
        (
            number,
            v["entitlement"]["outcome"].as_str().unwrap().to_owned(),
        )
    };
    let body = |severity: i64| {
        json!({"title": "硬盘告警", "description": "d", "severity": severity,
            "organization_id": t.a.org_id, "serial_number": b.serial, "contact_id": t.a.contact_id, "channel": "phone"})
    };
    // No contract at all.
    let (_, o) = outcome(open(t, &t.coordinator, body(3)).await).await;
    assert_eq!(o, "no_contract");
    // Not yet started.
    contract(
        t,
        json!({"contract_number": "FUTURE", "organization_id": t.a.org_id, "plan": "premium-7x24",
            "starts_on": "2027-01-01", "ends_on": "2027-12-31"}),
    )
    .await;
    let (_, o) = outcome(open(t, &t.coordinator, body(3)).await).await;
    assert_eq!(o, "not_yet_started");
    // A contract in force for another product only: not covered.
    let (_, other) = t
        .post(
            &t.coordinator,
            "/api/v1/products",
            json!({"name": "Other", "vendor": "Huaxin"}),
        )
        .await;
    contract(
        t,
        json!({"contract_number": "OTHER-PRODUCT", "organization_id": t.a.org_id, "plan": "premium-7x24",
            "starts_on": "2026-01-01", "ends_on": "2026-12-31", "products": [other["id"]], "precedence": 1}),
    )
    .await;
    let mut named = body(3);
    named["contract_number"] = json!("OTHER-PRODUCT");
    let (_, o) = outcome(open(t, &t.coordinator, named).await).await;
    assert_eq!(o, "not_covered");
    // The unit's contract, with conditions.
    let c = contract(
        t,
        json!({"contract_number": "UNIT-2026", "organization_id": t.a.org_id, "plan": "premium-7x24",
            "starts_on": "2026-01-01", "ends_on": "2026-12-31", "units": [b.unit], "precedence": 2,
            "channels": ["web", "email"], "incidents": 1}),
    )
    .await;
    let cid = c["id"].as_i64().unwrap();
    let (number, o) = outcome(open(t, &t.coordinator, body(3)).await).await;
    assert_eq!(o, "channel_not_included", "phone is not in the contract");
    let web = open(
        t,
        &t.a.user_token,
        json!({"title": "t", "description": "d", "severity": 3, "serial_number": b.serial, "channel": "web"}),
    )
    .await;
    let (charged, o) = outcome(web).await;
    assert_eq!(o, "entitled");
    let second = open(
        t,
        &t.a.user_token,
        json!({"title": "t", "description": "d", "severity": 3, "serial_number": b.serial, "channel": "web"}),
    )
    .await;
    assert_eq!(outcome(second).await.1, "incidents_used_up");
    // Re-checking the case that used the one incident does not count it twice.
    let (status, rechecked) = t
        .post(
            &t.coordinator,
            &format!("/api/v1/cases/{charged}/entitlement/recheck"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rechecked}");
    assert_eq!(
        rechecked["entitlement"]["outcome"], "entitled",
        "{rechecked}"
    );
    let (status, _) = t
        .patch(
            &t.coordinator,
            &format!("/api/v1/contracts/{cid}"),
            json!({"incidents": null}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Contacts: a contact record of the organisation who is not named on the contract.
    let (_, other_contact) = t
        .post(
            &t.coordinator,
            "/api/v1/contacts",
            json!({"organization_id": t.a.org_id, "name": "李雷", "email": "lilei@a.example"}),
        )
        .await;
    let (status, body_) = t
        .patch(
            &t.coordinator,
            &format!("/api/v1/contracts/{cid}"),
            json!({"contacts": [other_contact["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body_}");
    let web = open(
        t,
        &t.a.user_token,
        json!({"title": "t", "description": "d", "severity": 3, "serial_number": b.serial, "channel": "web"}),
    )
    .await;
    assert_eq!(outcome(web).await.1, "contact_not_authorised");

    // The override: customers and engineers may not; a coordinator may, with a reason.
    let path = format!("/api/v1/cases/{number}/entitlement/override");
    let (status, body_) = t
        .post(&t.engineer, &path, json!({"reason": "续约中"}))
        .await;
    assert_error(status, &body_, StatusCode::FORBIDDEN, "forbidden");
    let (status, body_) = t
        .post(&t.a.admin_token, &path, json!({"reason": "续约中"}))
        .await;
    assert_error(status, &body_, StatusCode::FORBIDDEN, "forbidden");
    let (status, body_) = t.post(&t.coordinator, &path, json!({"reason": "  "})).await;
    assert_error(
        status,
        &body_,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let (status, case) = t
        .post(
            &t.coordinator,
            &path,
            json!({"reason": "续约合同已签，宽限期 renewal signed, grace period"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let e = &case["entitlement"];
    assert_eq!(e["outcome"], "entitled");
    assert_eq!(e["contract_number"], "UNIT-2026");
    assert_eq!(e["plan"], "premium-7x24");
    assert!(e["overridden_by"]["name"].is_string(), "{e}");
    assert!(
        e["reason"]
            .as_str()
            .unwrap()
            .contains("channel_not_included"),
        "{e}"
    );
    let (_, sla) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/sla"))
        .await;
    assert_eq!(
        initial_response(&sla)["calendar"],
        "24x7",
        "recomputed on the contract's plan: {sla}"
    );
    let (status, body_) = t
        .post(&t.coordinator, &path, json!({"reason": "again"}))
        .await;
    assert_error(status, &body_, StatusCode::CONFLICT, "already_entitled");
    let (_, audit) = t
        .get(
            &t.admin,
            &format!("/api/v1/audit?object_type=case&object_id={number}"),
        )
        .await;
    assert!(
        audit.to_string().contains("case.entitlement_override"),
        "{audit}"
    );
    let (_, timeline) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
        .await;
    assert!(
        timeline.to_string().contains("Entitlement overridden"),
        "{timeline}"
    );
}

async fn renewal_reminders_go_out_once_per_threshold(backend: TestBackend) {
    let b = base(backend).await;
    let t = &b.t;
    let (_, manager) = t.get(&t.manager, "/api/v1/me").await;
    // Ends 2027-01-31: 69 days after Monday 23 November 2026.
    contract(
        t,
        json!({"contract_number": "RENEW-1", "organization_id": t.a.org_id, "plan": "standard",
            "starts_on": "2026-02-01", "ends_on": "2027-01-31", "service_manager_id": manager["user"]["id"]}),
    )
    .await;
    let remind = || async { renewals::remind(&t.app).await.unwrap() };
    assert_eq!(remind().await, 0, "69 days left: nothing yet");
    b.clock.advance(SignedDuration::from_hours(24 * 9));
    assert_eq!(
        remind().await,
        2,
        "60 days: the customer admin and the service manager"
    );
    assert_eq!(remind().await, 0, "once per threshold");
    let second = t.second_process().await;
    assert_eq!(
        renewals::remind(&second).await.unwrap(),
        0,
        "also from another process"
    );
    let (_, notes) = t.get(&t.a.admin_token, "/api/v1/notifications").await;
    assert_eq!(notes["items"][0]["kind"], "contract_renewal", "{notes}");
    assert!(
        notes["items"][0]["title"]
            .as_str()
            .unwrap()
            .contains("RENEW-1")
    );
    b.clock.advance(SignedDuration::from_hours(24 * 30));
    assert_eq!(remind().await, 2, "30 days");
    b.clock.advance(SignedDuration::from_hours(24 * 23));
    assert_eq!(remind().await, 2, "7 days");
    // Renewed: the new end date starts over, far away.
    let id = t
        .get(
            &t.engineer,
            &format!("/api/v1/contracts?organization={}", t.a.org_id),
        )
        .await
        .1["items"][0]["id"]
        .clone();
    let (status, _) = t
        .patch(
            &t.coordinator,
            &format!("/api/v1/contracts/{id}"),
            json!({"ends_on": "2028-01-31"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(remind().await, 0);
    let mut db = t.app.store.read().await.unwrap();
    let mail = casebook_store::notifications::unsent_mail(&mut db, 100)
        .await
        .unwrap();
    let renewal: Vec<_> = mail.iter().filter(|m| m.1 == "contract_renewal").collect();
    assert_eq!(renewal.len(), 6, "{mail:?}");
    assert!(
        renewal.iter().any(|m| m.2.starts_with("admin@")),
        "{mail:?}"
    );
}

async fn the_last_incident_goes_to_one_case(backend: TestBackend) {
    let b = base(backend).await;
    let t = &b.t;
    contract(
        t,
        json!({"contract_number": "ONE-LEFT", "organization_id": t.a.org_id, "plan": "premium-7x24",
            "starts_on": "2026-01-01", "ends_on": "2026-12-31", "incidents": 1}),
    )
    .await;
    let body = json!({"title": "t", "description": "d", "severity": 2, "organization_id": t.a.org_id,
        "serial_number": b.serial, "channel": "phone"});
    let (one, two) = tokio::join!(
        open(t, &t.coordinator, body.clone()),
        open(t, &t.coordinator, body.clone())
    );
    let mut outcomes = Vec::new();
    for case in [one, two] {
        let number = case["number"].as_str().unwrap();
        let (_, v) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
        outcomes.push(v["entitlement"]["outcome"].as_str().unwrap().to_owned());
    }
    outcomes.sort();
    assert_eq!(outcomes, ["entitled", "incidents_used_up"]);
}
