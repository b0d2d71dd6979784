//! Critical-issue alerts: the products a contact subscribes to (per contact and tenant), and
//! publishing an alert, which queues one mail per contact it concerns (the subscribers of its
//! products and the people of organisations running an affected unit) in each one's language;
//! publishing it again after a revision mails nobody twice.

use std::collections::BTreeSet;

use casebook_domain::ids::Id;
use casebook_store::notifications;
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::articles::{product, steps, write};
use crate::helpers::{TestApp, assert_error};

on_both_backends!(
    subscriptions_belong_to_a_contact_and_its_tenant,
    an_alert_reaches_each_affected_contact_once
);

/// The queued alert mails: recipient → subject.
async fn alert_mail(t: &TestApp) -> Vec<(String, String)> {
    let mut db = t.app.store.read().await.unwrap();
    let mut mail: Vec<(String, String)> = notifications::unsent_mail(&mut db, 500)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.1 == "article_alert")
        .map(|m| (m.2, m.3))
        .collect();
    mail.sort();
    mail
}

async fn created(t: &TestApp, path: &str, body: Value) -> Value {
    let (status, made) = t.post(&t.coordinator, path, body).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    made
}

async fn an_alert_reaches_each_affected_contact_once(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let p = product(&t, "Huaxin DB").await;
    let other = product(&t, "Huaxin Gateway").await;
    // A subscribed; B runs an affected version; C runs a version the alert does not name.
    let (status, _) = t
        .call(
            Method::PUT,
            &t.a.admin_token,
            &format!("/api/v1/contacts/{}/subscriptions", t.a.contact_id),
            Some(json!({"product_ids": [p]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    created(&t, "/api/v1/units", json!({"organization_id": t.b.org_id, "serial_number": "SN-B-1", "product_id": p, "product_version": "9.0"})).await;
    created(
        &t,
        "/api/v1/units",
        json!({"organization_id": t.b.org_id, "serial_number": "SN-B-2", "product_id": other}),
    )
    .await;
    let c = created(
        &t,
        "/api/v1/organizations",
        json!({"customer_number": "CN-C", "name": "Gamma"}),
    )
    .await;
    created(
        &t,
        "/api/v1/contacts",
        json!({"organization_id": c["id"], "name": "Gamma contact", "email": "contact@cn-c.test"}),
    )
    .await;
    created(&t, "/api/v1/units", json!({"organization_id": c["id"], "serial_number": "SN-C-1", "product_id": p, "product_version": "9.1"})).await;
    created(
        &t,
        "/api/v1/contacts",
        json!({"organization_id": t.b.org_id, "name": "B without mail"}),
    )
    .await;
    let (status, _) = t
        .patch(
            &t.coordinator,
            &format!("/api/v1/contacts/{}", t.b.contact_id),
            json!({"archived": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "the archived contact is not mailed");
    {
        let mut db = t.app.store.write().await.unwrap();
        casebook_store::users::set_locale(&mut db, Id::new(t.b.user_id), Some("en"))
            .await
            .unwrap();
        db.commit().await.unwrap();
    }

    let plain = write(
        &t,
        json!({"visibility": "customers", "texts": [{"language": "en", "title": "Not an alert"}],
        "products": [{"product_id": p}]}),
    )
    .await;
    steps(&t, &plain["id"], &["submit", "publish"]).await;
    assert!(alert_mail(&t).await.is_empty(), "only alerts are mailed");

    let alert = write(&t, json!({"visibility": "customers", "alert": true,
        "texts": [{"language": "zh-CN", "title": "升级到 9.0 后连接失败", "symptom": "应用报 connection refused", "resolution": "安装补丁 9.0.1"},
                  {"language": "en", "title": "Connections refused after upgrading to 9.0"}],
        "products": [{"product_id": p, "versions": ["9.0"]}]})).await;
    let id = alert["id"].clone();
    steps(&t, &id, &["submit"]).await;
    assert!(
        alert_mail(&t).await.is_empty(),
        "nothing before publication"
    );
    let done = steps(&t, &id, &["publish"]).await;
    assert!(done["alert_sent_at"].is_string(), "{done}");
    let mail = alert_mail(&t).await;
    let to: Vec<&str> = mail.iter().map(|(to, _)| to.as_str()).collect();
    assert_eq!(
        to,
        vec!["admin@cn-b.test", "contact@cn-a.test", "user@cn-b.test"]
    );
    for (to, subject) in &mail {
        if to == "user@cn-b.test" {
            assert_eq!(
                subject,
                "[Critical issue alert] Connections refused after upgrading to 9.0"
            );
        } else {
            assert_eq!(subject, "【关键问题预警】升级到 9.0 后连接失败", "{to}");
        }
    }

    // Published again after a revision: nobody is mailed twice, a new subscriber is.
    steps(&t, &id, &["revise", "submit", "publish"]).await;
    assert_eq!(alert_mail(&t).await, mail);
    let (_, me) = t.get(&t.a.user_token, "/api/v1/me").await;
    let (status, _) = t
        .call(
            Method::PUT,
            &t.a.user_token,
            &format!(
                "/api/v1/contacts/{}/subscriptions",
                me["user"]["contact_id"]
            ),
            Some(json!({"product_ids": [p]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    steps(&t, &id, &["revise", "submit", "publish"]).await;
    let again = alert_mail(&t).await;
    let new: BTreeSet<&String> = again
        .iter()
        .map(|(to, _)| to)
        .filter(|to| !mail.iter().any(|(old, _)| old == *to))
        .collect();
    assert_eq!(new.into_iter().collect::<Vec<_>>(), vec!["user@cn-a.test"]);
    assert_eq!(again.len(), mail.len() + 1);

    let (status, log) = t
        .get(
            &t.manager,
            &format!("/api/v1/audit?object_type=article&object_id={id}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let publications: Vec<&Value> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "article.publish")
        .collect();
    assert_eq!(publications.len(), 3);
    assert_eq!(
        publications[2]["after"]["alert_mails_queued"], 3,
        "the first publication"
    );
    assert_eq!(publications[1]["after"]["alert_mails_queued"], 0);
    assert_eq!(publications[0]["after"]["alert_mails_queued"], 1);
}

async fn put(t: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    t.call(Method::PUT, token, path, Some(body)).await
}

async fn subscriptions_belong_to_a_contact_and_its_tenant(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let p = product(&t, "Huaxin DB").await;
    let q = product(&t, "Huaxin Gateway").await;
    let own = format!("/api/v1/contacts/{}/subscriptions", t.a.contact_id);
    let (status, subs) = put(
        &t,
        &t.a.admin_token,
        &own,
        json!({"product_ids": [q, p, p]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{subs}");
    let names: Vec<&str> = subs["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Huaxin DB", "Huaxin Gateway"]);
    let (status, read) = t.get(&t.a.admin_token, &own).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, subs);

    let (status, body) = put(&t, &t.a.user_token, &own, json!({"product_ids": []})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (_, me) = t.get(&t.a.user_token, "/api/v1/me").await;
    let mine = format!(
        "/api/v1/contacts/{}/subscriptions",
        me["user"]["contact_id"]
    );
    let (status, body) = put(&t, &t.a.user_token, &mine, json!({"product_ids": [p]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    for token in [&t.b.user_token, &t.b.admin_token] {
        let (status, body) = t.get(token, &own).await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
        let (status, _) = put(&t, token, &own, json!({"product_ids": []})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, body) = put(
        &t,
        &t.coordinator,
        &own,
        json!({"product_ids": [p, 999_999]}),
    )
    .await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "product_ids[1]");
    let (_, read) = t.get(&t.coordinator, &own).await;
    assert_eq!(
        read["products"].as_array().unwrap().len(),
        2,
        "nothing changed"
    );
    let (status, cleared) = put(&t, &t.coordinator, &own, json!({"product_ids": []})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cleared["products"], json!([]));
    let (status, _) = t
        .get(&t.engineer, "/api/v1/contacts/999999/subscriptions")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
