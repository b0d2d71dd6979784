//! Integrations through the real binary (`casebook serve`, its own background loops), on SQLite
//! and PostgreSQL. Today is made a holiday in the duty calendar; the engineer of the holiday
//! shift is on duty. A severity-1 case reaches the fake DingTalk robot within seconds with the
//! engineer @-mentioned by mobile; nobody acknowledges, and the duty manager is told after the
//! minute `[duty] ack_minutes` allows. A webhook receiver that is down gets the events in order,
//! signed, once it is back; a target on the cloud metadata address is refused.

use std::time::{Duration, Instant};

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::helpers::TestApp;
use crate::processes::Served;
use crate::receivers::Receiver;

on_both_backends!(a_holiday_page_and_ordered_webhooks_through_the_binary);

/// Polls `done` every 100 ms until it holds or `limit` passes.
async fn within<F: std::future::Future<Output = bool>>(
    limit: Duration,
    mut done: impl FnMut() -> F,
) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if done().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

async fn a_holiday_page_and_ordered_webhooks_through_the_binary(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let zone = t.app.config.time_zone();
    let today = jiff::Timestamp::now().to_zoned(zone).date();
    let tomorrow = today.tomorrow().unwrap();
    // The duty calendar: weekdays 08:30–17:00, today and tomorrow holidays.
    let (status, body) = t.post(&t.admin, "/api/v1/calendars", json!({"id": "e2e-holidays", "name": "E2E 节假日",
        "time_zone": "Asia/Shanghai", "weekly": {"mon": ["08:30-17:00"], "tue": ["08:30-17:00"], "wed": ["08:30-17:00"],
            "thu": ["08:30-17:00"], "fri": ["08:30-17:00"]},
        "exceptions": [{"date": today, "until": tomorrow, "kind": "holiday", "name": "演练假日"}]})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, shift) = t
        .post(
            &t.manager,
            "/api/v1/duty/shifts",
            json!({"team": "一线", "name": "节假日全天",
        "starts": "00:00", "ends": "00:00", "days": "non_working"}),
        )
        .await;
    let shift = shift["id"].as_i64().unwrap();
    let db_url = t.app.config.database.url.clone();
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("CASEBOOK_DUTY_CALENDAR", "e2e-holidays".to_owned()),
        ("CASEBOOK_DUTY_ACK_MINUTES", "1".to_owned()),
        ("CASEBOOK_SLA_SWEEP_INTERVAL_SECS", "1".to_owned()),
        (
            "CASEBOOK_INTEGRATIONS_ALLOW_NETWORKS",
            "127.0.0.1".to_owned(),
        ),
        ("CASEBOOK_INTEGRATIONS_POLL_MILLIS", "200".to_owned()),
    ];
    let served = Served::start(&db_url, dir.path(), &env).await;
    use reqwest::Method as M;

    // Through the binary: the rota, the contact, a robot and a webhook.
    let (status, _) = served.call(M::PUT, "/api/v1/duty/assignments", &t.manager, Some(json!({"assignments": [
        {"shift_id": shift, "date": today, "engineer_id": t.engineer_id, "manager_id": t.manager_id}]}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = served
        .call(
            M::PUT,
            &format!("/api/v1/users/{}/duty-contact", t.engineer_id),
            &t.engineer,
            Some(json!({"mobile": "13900139000"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let secret = "SECe2e0123456789abcdef";
    let ding = Receiver::dingtalk(secret).await;
    let (status, body) = served.call(M::POST, "/api/v1/subscriptions", &t.admin, Some(json!({"name": "值班群", "kind": "dingtalk",
        "url": format!("{}/robot/send?access_token=e2e", ding.base), "secret": secret, "events": ["case.opened"],
        "filters": {"severities": [1]}, "mention_duty": true}))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let hook = Receiver::webhook().await;
    hook.answer(503);
    let (status, saved) = served
        .call(
            M::POST,
            "/api/v1/subscriptions",
            &t.admin,
            Some(json!({"name": "CRM", "kind": "webhook",
        "url": format!("{}/hook", hook.base), "events": ["case.opened"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let hook_secret = saved["secret"].as_str().unwrap().to_owned();
    let (status, refused) = served
        .call(
            M::POST,
            "/api/v1/subscriptions",
            &t.admin,
            Some(json!({"name": "metadata", "kind": "webhook",
        "url": "http://169.254.169.254/latest/meta-data/", "events": ["case.opened"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");

    // A severity-1 case on the holiday: the robot has it within seconds, the engineer mentioned.
    let opened = Instant::now();
    let (status, case) = served.call(M::POST,
        "/api/v1/cases",
        &t.a.user_token,
        Some(
            json!({"title": "核心交易系统宕机", "description": "全部用户无法登录", "severity": 1}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let first = case["number"].as_str().unwrap().to_owned();
    assert!(
        within(Duration::from_secs(10), || async { !ding.got().is_empty() }).await,
        "the robot got nothing"
    );
    let took = opened.elapsed();
    let message = ding.got()[0].json();
    assert_eq!(
        message["at"]["atMobiles"],
        json!(["13900139000"]),
        "{message}"
    );
    assert!(
        message["markdown"]["text"]
            .as_str()
            .unwrap()
            .contains(&first)
    );
    assert!(
        took < Duration::from_secs(5),
        "commit to robot took {took:?}"
    );

    // Two more cases while the webhook is down; back up, it gets all three in order, signed.
    let mut numbers = vec![first.clone()];
    for title in ["备份失败", "报表变慢"] {
        let (_, case) = served
            .call(
                M::POST,
                "/api/v1/cases",
                &t.a.user_token,
                Some(json!({"title": title, "description": "d", "severity": 3})),
            )
            .await;
        numbers.push(case["number"].as_str().unwrap().to_owned());
    }
    assert!(
        within(Duration::from_secs(10), || async { !hook.got().is_empty() }).await,
        "no attempt while down"
    );
    hook.answer(200);
    let all_three = within(Duration::from_secs(40), || async {
        hook.got().iter().filter(|r| r.status == 200).count() >= 3
    })
    .await;
    assert!(
        all_three,
        "the webhook did not get its events after it was back: {:?}",
        hook.got().len()
    );
    let taken: Vec<_> = hook.got().into_iter().filter(|r| r.status == 200).collect();
    let got: Vec<String> = taken
        .iter()
        .map(|r| r.json()["case"]["number"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, numbers);
    for r in &taken {
        let text = format!(
            "v1\n{}\n{}\n{}",
            r.header("x-casebook-timestamp"),
            r.header("x-casebook-event-id"),
            hex::encode(Sha256::digest(&r.body))
        );
        let mut mac = Hmac::<Sha256>::new_from_slice(hook_secret.as_bytes()).unwrap();
        mac.update(text.as_bytes());
        assert_eq!(
            r.header("x-casebook-signature"),
            format!("v1={}", hex::encode(mac.finalize().into_bytes()))
        );
    }

    // Nobody acknowledges: after the minute, the duty manager is told.
    let escalated = within(Duration::from_secs(100), || async {
        let (_, notices) = served
            .call(M::GET, "/api/v1/notifications", &t.manager, None)
            .await;
        notices.to_string().contains("duty_escalation")
    })
    .await;
    assert!(escalated, "the duty manager was not told");
    let (_, pages) = served
        .call(M::GET, "/api/v1/duty/pages", &t.engineer, None)
        .await;
    assert_eq!(pages[0]["case_number"], first.as_str());
    assert!(pages[0]["escalated_at"].is_string(), "{pages}");
    drop(served);
}
