//! Chat robots on SQLite and PostgreSQL: fakes of DingTalk, WeCom and Feishu on loopback check
//! each signature as the vendor documents it; a severity-1 case reaches each in its format and
//! language with the case number, severity, customer, SLA deadline and console link; DingTalk's
//! keyword is in the text; a wrong secret is refused by the fake and logged with the vendor's
//! code; robot answers that are not success count as failures.

use casebook_server::actions::integrations::send;
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::receivers::Receiver;

on_both_backends!(robots_get_signed_messages_in_their_format);

async fn subscribe(t: &TestApp, body: Value) -> i64 {
    let (status, saved) = t.post(&t.admin, "/api/v1/subscriptions", body).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    saved["subscription"]["id"].as_i64().unwrap()
}

async fn robots_get_signed_messages_in_their_format(backend: TestBackend) {
    let t = TestApp::spawn_with(
        backend,
        |c| c.integrations.allow_networks = vec!["127.0.0.1".into()],
        std::sync::Arc::new(casebook_server::clock::SystemClock),
    )
    .await;
    let ding_secret = "SEC5d1e0c2b9a7f3e64aa00bb11cc22dd33ee44ff55";
    let ding = Receiver::dingtalk(ding_secret).await;
    let wecom = Receiver::wecom("693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa").await;
    let feishu_secret = "qqWfQ4nbwC3Sm1Ie4hzG9d";
    let feishu = Receiver::feishu(feishu_secret).await;
    let wrong = Receiver::dingtalk("SEC-the-robot-has-another-secret").await;
    let events = json!(["case.opened"]);
    subscribe(
        &t,
        json!({"name": "钉钉值班群", "kind": "dingtalk", "events": events, "secret": ding_secret,
        "keyword": "告警", "url": format!("{}/robot/send?access_token=abc123", ding.base)}),
    )
    .await;
    subscribe(&t, json!({"name": "WeCom", "kind": "wecom", "events": events, "language": "en",
        "url": format!("{}/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa", wecom.base)})).await;
    subscribe(
        &t,
        json!({"name": "飞书", "kind": "feishu", "events": events, "secret": feishu_secret,
        "url": format!("{}/open-apis/bot/v2/hook/0f8c-77", feishu.base)}),
    )
    .await;
    let wrong_id = subscribe(&t, json!({"name": "wrong", "kind": "dingtalk", "events": events,
        "secret": "SEC0000000000000000wrong", "url": format!("{}/robot/send?access_token=x", wrong.base)})).await;

    let number = t
        .open_case(
            &t.a.user_token,
            json!({"title": "核心数据库宕机", "description": "所有用户无法登录", "severity": 1}),
        )
        .await;
    let pass = send::deliver_due(&t.app, 32).await.unwrap();
    assert_eq!((pass.delivered, pass.failed), (3, 1), "{pass:?}");
    let console = format!("{}/console/cases/{number}", t.app.config.desk.public_url);

    let query = &ding.got()[0].query;
    assert!(
        query.contains_key("timestamp") && query.contains_key("sign"),
        "{query:?}"
    );
    assert_eq!(query["access_token"], "abc123");
    let message = ding.got()[0].json();
    assert_eq!(message["msgtype"], "markdown");
    let text = message["markdown"]["text"].as_str().unwrap();
    for part in [
        number.as_str(),
        "1级 严重",
        "新案例",
        "Alpha 阿尔法",
        console.as_str(),
        "首次响应",
        "告警",
    ] {
        assert!(text.contains(part), "{part} is not in {text}");
    }
    assert!(
        message["markdown"]["title"]
            .as_str()
            .unwrap()
            .contains(&number)
    );
    assert_eq!(message["at"]["isAtAll"], false);

    let message = wecom.got()[0].json();
    let content = message["markdown"]["content"].as_str().unwrap();
    for part in [
        number.as_str(),
        "New case",
        "Customer",
        "Alpha 阿尔法",
        console.as_str(),
        "SLA due",
    ] {
        assert!(content.contains(part), "{part} is not in {content}");
    }

    let message = feishu.got()[0].json();
    assert_eq!(message["msg_type"], "interactive");
    let card = &message["card"];
    assert_eq!(card["header"]["template"], "red");
    assert!(
        card["header"]["title"]["content"]
            .as_str()
            .unwrap()
            .contains(&number)
    );
    assert!(
        card["elements"][0]["text"]["content"]
            .as_str()
            .unwrap()
            .contains("Alpha 阿尔法")
    );
    assert_eq!(card["elements"][1]["actions"][0]["url"], console.as_str());

    let (_, log) = t
        .get(
            &t.admin,
            &format!("/api/v1/subscriptions/{wrong_id}/deliveries"),
        )
        .await;
    let error = log["items"][0]["last_error"].as_str().unwrap();
    assert!(
        error.contains("310000") && error.contains("sign not match"),
        "{error}"
    );
    assert_eq!(log["items"][0]["state"], "pending");
}
