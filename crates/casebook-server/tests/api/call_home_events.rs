//! Call-home events, on SQLite and PostgreSQL: a covered unit's fault opens a case on its
//! contract, the same event again is a duplicate, the same fault folds into the case, a recovery
//! annotates it; an uncovered unit's fault is kept as not entitled, an unknown serial or another
//! organisation's unit as an unknown device; forged, oversize and unknown-field bodies are
//! refused; and the staff's rules decide what a code does.

use casebook_server::actions::call_home::keys::sign;
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::call_home::PATH;
use crate::helpers::TestApp;

on_both_backends!(
    devices_open_fold_and_annotate_cases,
    staff_rules_decide_what_codes_do
);

/// A device of a test: its key and a counter for nonces (also used by `web/call_home_pages.rs`).
pub(crate) struct Device<'t> {
    t: &'t TestApp,
    key: String,
    secret: String,
    sent: std::cell::Cell<u32>,
}

impl<'t> Device<'t> {
    /// A new key of an organisation, as a device holds it.
    pub(crate) async fn of(t: &'t TestApp, organization: &str) -> Device<'t> {
        let body = json!({"organization": organization});
        let (status, made) = t.post(&t.admin, "/api/v1/call-home/keys", body).await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        Device {
            t,
            key: made["key_id"].as_str().unwrap().to_owned(),
            secret: made["secret"].as_str().unwrap().to_owned(),
            sent: Default::default(),
        }
    }

    async fn post_raw(&self, body: &[u8], timestamp: i64) -> (StatusCode, Value) {
        self.sent.set(self.sent.get() + 1);
        let nonce = format!("nonce-{:010}-{}", self.sent.get(), self.key);
        let signature = sign(&self.secret, timestamp, &nonce, "POST", PATH, body);
        let response = self
            .t
            .client
            .post(self.t.url(PATH))
            .header("X-Casebook-Key", &self.key)
            .header("X-Casebook-Timestamp", timestamp.to_string())
            .header("X-Casebook-Nonce", &nonce)
            .header("X-Casebook-Signature", signature)
            .header("Content-Type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub(crate) async fn post(&self, body: Value) -> (StatusCode, Value) {
        let now = jiff::Timestamp::now().as_second();
        self.post_raw(body.to_string().as_bytes(), now).await
    }

    /// Sends signed at `at` (for a desk whose clock a test moves).
    pub(crate) async fn post_at(&self, body: Value, at: jiff::Timestamp) -> (StatusCode, Value) {
        self.post_raw(body.to_string().as_bytes(), at.as_second())
            .await
    }
}

fn fault(key: &str, serial: &str, code: &str, kind: &str) -> Value {
    json!({"idempotency_key": key, "type": kind, "serial_number": serial, "code": code,
        "severity": "major", "message": "控制器 B 故障切换 <script>alert(1)</script>",
        "occurred_at": "2026-11-29T08:00:00Z", "log_excerpt": "08:00:00 ctrl-b: failover\r\n"})
}

async fn devices_open_fold_and_annotate_cases(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let (_, product) = t
        .post(
            &t.coordinator,
            "/api/v1/products",
            json!({"name": "HX-9000", "vendor": "Huaxin"}),
        )
        .await;
    let unit = |serial: &str| {
        json!({"organization_id": t.a.org_id, "serial_number": serial, "product_id": product["id"],
            "product_version": "5.3"})
    };
    let (status, covered) = t
        .post(&t.coordinator, "/api/v1/units", unit("SN-8812"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{covered}");
    let (_, uncovered) = t
        .post(&t.coordinator, "/api/v1/units", unit("SN-0001"))
        .await;
    let (status, contract) = t
        .post(
            &t.coordinator,
            "/api/v1/contracts",
            json!({"contract_number": "HT-CALL-1", "organization_id": t.a.org_id, "plan": "standard",
                "starts_on": "2026-01-01", "ends_on": "2027-12-31", "units": [covered["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{contract}");
    let device = Device::of(&t, "CN-A").await;

    // A fault of a covered unit opens a case on the call-home channel, under its contract.
    let (status, first) = device.post(fault("e-1", "SN-8812", "E1234", "fault")).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let result = &first["results"][0];
    assert_eq!(result["outcome"], "case_opened", "{first}");
    let number = result["case"].as_str().unwrap().to_owned();
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(case["channel"], "call_home");
    assert_eq!(case["severity"], 2, "major → severity 2");
    assert_eq!(case["entitlement"]["outcome"], "entitled", "{case}");
    assert!(case["title"].as_str().unwrap().contains("E1234"), "{case}");

    // The same event again is a duplicate; the same fault again folds into the case.
    let (_, again) = device.post(fault("e-1", "SN-8812", "E1234", "fault")).await;
    assert_eq!(
        (
            again["duplicates"].as_u64(),
            again["results"][0]["outcome"].as_str()
        ),
        (Some(1), Some("case_opened"))
    );
    let (_, batch) = device
        .post(json!({"events": [fault("e-2", "SN-8812", "e1234", "fault"), fault("e-3", "SN-8812", "E1234", "recovery")]}))
        .await;
    assert_eq!(batch["results"][0]["outcome"], "correlated", "{batch}");
    assert_eq!(batch["results"][0]["case"], number.as_str());
    assert_eq!(batch["results"][1]["outcome"], "recovered", "{batch}");
    let timeline = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
        .await
        .1
        .to_string();
    assert!(
        timeline.contains("reported E1234 again") && timeline.contains("cleared"),
        "{timeline}"
    );

    // A unit without a contract: kept as not entitled, no case. An unknown serial: unknown device.
    let (_, refused) = device.post(fault("e-4", "SN-0001", "E1234", "fault")).await;
    assert_eq!(
        refused["results"][0]["outcome"], "not_entitled",
        "{refused}"
    );
    assert!(refused["results"][0]["case"].is_null());
    let (_, unknown) = device.post(fault("e-5", "SN-NOPE", "E1234", "fault")).await;
    assert_eq!(
        unknown["results"][0]["outcome"], "unknown_device",
        "{unknown}"
    );
    let _ = uncovered;

    // Inventory updates the installed base; a heartbeat is recorded.
    let (_, inv) = device
        .post(json!({"idempotency_key": "inv-1", "type": "inventory", "serial_number": "SN-8812",
            "version": "5.4.1", "occurred_at": "2026-11-29T09:00:00Z", "configuration": {"raid": "6"}}))
        .await;
    assert_eq!(inv["results"][0]["outcome"], "recorded", "{inv}");
    let (_, unit_now) = t
        .get(&t.engineer, &format!("/api/v1/units/{}", covered["id"]))
        .await;
    assert_eq!(unit_now["product_version"], "5.4.1", "{unit_now}");
    let (_, beat) = device
        .post(
            json!({"idempotency_key": "hb-1", "type": "heartbeat", "serial_number": "SN-8812",
            "heartbeat_interval_secs": 300, "occurred_at": "2026-11-29T09:00:00Z"}),
        )
        .await;
    assert_eq!(beat["results"][0]["outcome"], "recorded", "{beat}");

    // A storm: more than 10 events in an hour suppresses the device, with one note on its case.
    let mut outcomes = Vec::new();
    for i in 0..14 {
        let (_, r) = device
            .post(fault(&format!("storm-{i}"), "SN-8812", "E1234", "fault"))
            .await;
        outcomes.push(
            r["results"][0]["outcome"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    assert!(outcomes.iter().any(|o| o == "suppressed"), "{outcomes:?}");
    assert_eq!(outcomes.last().map(String::as_str), Some("suppressed"));
    let timeline = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
        .await
        .1
        .to_string();
    assert_eq!(timeline.matches("Event storm").count(), 1, "{timeline}");

    // Bad input: unknown fields, a fault without a code, an empty batch, a bad signature, an
    // old timestamp, no headers, a body over the limit; each refused with its code.
    let mut unknown_field = fault("bad-1", "SN-8812", "E1", "fault");
    unknown_field["colour"] = json!("red");
    let (status, bad) = device.post(unknown_field).await;
    assert_eq!(
        (status, bad["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed")),
        "{bad}"
    );
    let mut no_code = fault("bad-2", "SN-8812", "E1", "fault");
    no_code.as_object_mut().unwrap().remove("code");
    let (_, bad) = device.post(json!({"events": [no_code]})).await;
    assert_eq!(
        bad["error"]["details"]["fields"][0]["field"], "events[0].code",
        "{bad}"
    );
    let (status, _) = device.post(json!({"events": []})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let old = jiff::Timestamp::now().as_second() - 600;
    let (status, bad) = device.post_raw(b"{}", old).await;
    assert_eq!(
        (status, bad["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("timestamp_out_of_window"))
    );
    let (status, bad) = t
        .post(&t.admin, PATH, fault("bad-3", "SN-8812", "E1", "fault"))
        .await;
    assert_eq!(
        (status, bad["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("signature_headers_missing"))
    );
    let forged = Device {
        secret: format!("{}0", device.secret),
        key: device.key.clone(),
        t: &t,
        sent: Default::default(),
    };
    let (status, bad) = forged.post(fault("bad-4", "SN-8812", "E1", "fault")).await;
    assert_eq!(
        (status, bad["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("signature_invalid"))
    );
    let huge = vec![b' '; 5 * 1024 * 1024];
    let (status, _) = device
        .post_raw(&huge, jiff::Timestamp::now().as_second())
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // Another organisation's key does not reach this organisation's units.
    let other = Device::of(&t, "CN-B").await;
    let (_, foreign) = other.post(fault("e-1", "SN-8812", "E1234", "fault")).await;
    assert_eq!(
        foreign["results"][0]["outcome"], "unknown_device",
        "{foreign}"
    );
    assert_eq!(
        foreign["duplicates"], 0,
        "idempotency keys are per organisation"
    );
}

async fn staff_rules_decide_what_codes_do(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let (_, product) = t
        .post(
            &t.coordinator,
            "/api/v1/products",
            json!({"name": "HX-7000", "vendor": "Huaxin"}),
        )
        .await;
    let (_, unit) = t
        .post(
            &t.coordinator,
            "/api/v1/units",
            json!({"organization_id": t.a.org_id, "serial_number": "SN-7001", "product_id": product["id"]}),
        )
        .await;
    let (status, _) = t
        .post(
            &t.coordinator,
            "/api/v1/contracts",
            json!({"contract_number": "HT-RULE-1", "organization_id": t.a.org_id, "plan": "standard",
                "starts_on": "2026-01-01", "ends_on": "2027-12-31", "units": [unit["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // Every product: codes W* are ignored; this product: E9* opens a severity 1 defect case.
    let (status, ignore) = t
        .post(
            &t.engineer,
            "/api/v1/call-home/rules",
            json!({"event_code": "w*", "action": "ignore"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ignore}");
    assert_eq!(ignore["event_code"], "W*");
    let (status, open) = t
        .post(
            &t.engineer,
            "/api/v1/call-home/rules",
            json!({"product_id": product["id"], "event_code": "E9*", "action": "open_case", "severity": 1,
                "category": "defect"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{open}");
    // Bad input, duplicates, customers.
    for body in [
        json!({"event_code": "E 9", "action": "ignore"}),
        json!({"event_code": "", "action": "ignore"}),
        json!({"event_code": "E1", "action": "explode"}),
        json!({"event_code": "E1", "action": "ignore", "product_id": 999999}),
        json!({"event_code": "E1", "action": "ignore", "colour": "red"}),
    ] {
        let (status, refused) = t
            .post(&t.engineer, "/api/v1/call-home/rules", body.clone())
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body} → {refused}"
        );
    }
    let (status, dup) = t
        .post(
            &t.engineer,
            "/api/v1/call-home/rules",
            json!({"event_code": "W*", "action": "record"}),
        )
        .await;
    assert_eq!(
        (status, dup["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("duplicate_rule"))
    );
    let (status, _) = t.get(&t.a.admin_token, "/api/v1/call-home/rules").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let device = Device::of(&t, "CN-A").await;
    let (_, ignored) = device
        .post(fault("r-1", "SN-7001", "W100", "warning"))
        .await;
    assert_eq!(ignored["results"][0]["outcome"], "ignored", "{ignored}");
    let (_, opened) = device.post(fault("r-2", "SN-7001", "E9001", "fault")).await;
    assert_eq!(opened["results"][0]["outcome"], "case_opened", "{opened}");
    let number = opened["results"][0]["case"].as_str().unwrap();
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(
        (case["severity"].as_i64(), case["category"].as_str()),
        (Some(1), Some("defect")),
        "{case}"
    );

    // Changed to record (at the version read; a stale version is refused), then deleted.
    let id = ignore["id"].as_i64().unwrap();
    let path = format!("/api/v1/call-home/rules/{id}");
    let (status, changed) = t
        .call(
            reqwest::Method::PUT,
            &t.engineer,
            &path,
            Some(json!({"event_code": "W*", "action": "record", "version": ignore["version"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    let (status, _) = t
        .call(
            reqwest::Method::PUT,
            &t.engineer,
            &path,
            Some(json!({"event_code": "W*", "action": "ignore", "version": ignore["version"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, recorded) = device
        .post(fault("r-3", "SN-7001", "W100", "warning"))
        .await;
    assert_eq!(recorded["results"][0]["outcome"], "recorded", "{recorded}");
    let (status, _) = t
        .call(reqwest::Method::DELETE, &t.engineer, &path, None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = t
        .call(reqwest::Method::DELETE, &t.engineer, &path, None)
        .await;
    assert_eq!(
        status,
        StatusCode::NO_CONTENT,
        "deleted before: gone already"
    );
    let (_, rules) = t.get(&t.engineer, "/api/v1/call-home/rules").await;
    assert_eq!(rules.as_array().map(Vec::len), Some(1), "{rules}");
}
