//! Satisfaction surveys on closure, on SQLite and PostgreSQL: closing a case sends the survey
//! mail through a real SMTP server on loopback; answering through its link with a score of 1
//! opens a follow-up for the contract's service manager, due at the end of the next business
//! day, with a notification and a mail, and is escalated once when overdue (the service manager
//! and every manager, in the app and by mail); the link works once; the fatigue rule and a call-home
//! case without a contact skip the survey with their reason; bad answers change nothing; the
//! results, the answers' list and the monthly trend count exactly.

use std::sync::Arc;

use casebook_server::actions::mail::delivery;
use casebook_server::clock::{Clock, ManualClock};
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::contracts::contract;
use crate::helpers::{TestApp, assert_error};
use crate::mail_out::{SmtpSink, free_port};

on_both_backends!(
    closing_sends_the_survey_and_a_score_of_one_opens_a_follow_up,
    fatigue_and_call_home_skip_the_survey_with_their_reason,
    bad_answers_are_refused_and_change_nothing,
    results_count_exactly
);

/// Monday 30 November 2026, 10:00 in Shanghai.
const MONDAY: &str = "2026-11-30T02:00:00Z";

async fn spawn(backend: TestBackend, port: Option<u16>) -> (TestApp, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(MONDAY.parse().unwrap()));
    let t = TestApp::spawn_with(
        backend,
        |c| {
            if let Some(port) = port {
                c.smtp.host = "127.0.0.1".into();
                c.smtp.port = port;
                c.smtp.security = casebook_server::config::SmtpSecurity::None;
                c.smtp.message_id_domain = "casebook.test".into();
                c.smtp.timeout_secs = 5;
            }
        },
        clock.clone(),
    )
    .await;
    (t, clock)
}

/// Sets the fatigue window to 0 days through the API: (status, the answer, the edit sent).
pub(crate) async fn without_fatigue(t: &TestApp) -> (StatusCode, Value, Value) {
    let (_, mut edit) = t.get(&t.admin, "/api/v1/survey-settings").await;
    edit["fatigue_days"] = json!(0);
    let (status, saved) = t
        .call(
            reqwest::Method::PUT,
            &t.admin,
            "/api/v1/survey-settings",
            Some(edit.clone()),
        )
        .await;
    (status, saved, edit)
}

/// A case of A for `contact`, owned by the engineer, closed by staff; its number.
pub(crate) async fn closed_case(t: &TestApp, contact: Option<i64>, title: &str) -> String {
    let number = t
        .open_case(
            &t.a.user_token,
            json!({"title": title, "description": "存储阵列告警", "severity": 3}),
        )
        .await;
    if let Some(contact) = contact {
        let (status, body) = t
            .patch(
                &t.coordinator,
                &format!("/api/v1/cases/{number}"),
                json!({"contact_id": contact}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    t.advance(&number, &["in_progress", "solution_proposed", "closed"])
        .await;
    number
}

async fn case_surveys(t: &TestApp, number: &str) -> Value {
    let (status, body) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/surveys"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The unsent mail of a kind: (recipient, subject).
async fn outbox(t: &TestApp, kind: &str) -> Vec<(String, String)> {
    let mut db = t.app.store.read().await.unwrap();
    casebook_store::notifications::unsent_mail(&mut db, 500)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.1 == kind)
        .map(|m| (m.2, m.3))
        .collect()
}

/// The messages the SMTP sink received whose subject holds `subject`.
fn received(sink: &SmtpSink, subject: &str) -> Vec<mail_parser::Message<'static>> {
    sink.received()
        .iter()
        .map(|raw| {
            mail_parser::MessageParser::default()
                .parse(raw)
                .unwrap()
                .into_owned()
        })
        .filter(|m| m.subject().is_some_and(|s| s.contains(subject)))
        .collect()
}

/// The survey link's token in a mail body.
fn token_in(body: &str) -> String {
    let at = body.find("/surveys/").expect("a survey link") + "/surveys/".len();
    body[at..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_owned()
}

async fn page(
    t: &TestApp,
    method: reqwest::Method,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut request = t
        .client
        .request(method, t.url(path))
        .header("Accept-Language", "zh-CN");
    if !form.is_empty() {
        request = request.form(form);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn manager_id(t: &TestApp) -> i64 {
    let (_, me) = t.get(&t.manager, "/api/v1/me").await;
    me["user"]["id"].as_i64().unwrap()
}

async fn closing_sends_the_survey_and_a_score_of_one_opens_a_follow_up(backend: TestBackend) {
    let port = free_port();
    let maildir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(port, maildir.path());
    let (t, _clock) = spawn(backend, Some(port)).await;
    let manager = manager_id(&t).await;
    contract(
        &t,
        json!({"contract_number": "SAT-1", "organization_id": t.a.org_id, "plan": "standard",
            "starts_on": "2026-01-01", "ends_on": "2027-12-31", "service_manager_id": manager}),
    )
    .await;
    let number = closed_case(&t, Some(t.a.contact_id), "备份任务失败").await;

    // The survey went out by mail to the case's contact, with a link.
    let surveys = case_surveys(&t, &number).await;
    let survey = &surveys["surveys"][0];
    assert_eq!(survey["status"], "pending", "{surveys}");
    assert_eq!(survey["recipient"], "contact@cn-a.test");
    assert_eq!(survey["engineer"]["id"], t.engineer_id);
    delivery::send_due(&t.app, 100).await.unwrap();
    let surveys_sent = received(&sink, "满意度调查");
    assert_eq!(surveys_sent.len(), 1, "one survey mail");
    let mail = &surveys_sent[0];
    assert_eq!(
        mail.to().and_then(|a| a.first()).and_then(|a| a.address()),
        Some("contact@cn-a.test")
    );
    let body = mail.body_text(0).unwrap().to_string();
    assert!(body.contains("问题的解决结果您是否满意"), "{body}");
    let token = token_in(&body);

    // The link's page asks the questions without signing in; a score of 1 is taken.
    let link = format!("/surveys/{token}");
    let (status, html) = page(&t, reqwest::Method::GET, &link, &[]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("您对处理速度是否满意") && html.contains(&number),
        "{html}"
    );
    let (status, html) = page(
        &t,
        reqwest::Method::POST,
        &link,
        &[("resolution", "1"), ("comment", "等了三天才有人回复")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("感谢您的评价"), "{html}");

    // A follow-up for the service manager, due at the end of the next business day (Tuesday
    // 17:00 in Shanghai), with a notification and a mail.
    let (status, list) = t
        .get(&t.manager, "/api/v1/survey-follow-ups?open=true")
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    let follow_up = &items[0];
    assert_eq!(follow_up["manager"]["id"], manager);
    assert_eq!(follow_up["reason"], "low_score");
    assert_eq!(follow_up["resolution"], 1);
    assert_eq!(follow_up["case_number"], number.as_str());
    assert_eq!(follow_up["due_at"], "2026-12-01T09:00:00Z");
    let (_, notes) = t.get(&t.manager, "/api/v1/notifications").await;
    assert!(
        notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "survey_follow_up"),
        "{notes}"
    );
    assert_eq!(outbox(&t, "survey_follow_up").await.len(), 1);
    delivery::send_due(&t.app, 100).await.unwrap();
    let follow_up_mail = received(&sink, "满意度回访");
    assert_eq!(follow_up_mail.len(), 1, "one follow-up mail");
    assert_eq!(
        follow_up_mail[0]
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address()),
        Some("manager@vendor.test")
    );
    let text = follow_up_mail[0].body_text(0).unwrap().to_string();
    assert!(
        text.contains(&number) && text.contains("等了三天"),
        "{text}"
    );

    // The case page shows the answer and the follow-up to staff; the customer sees neither
    // the follow-up nor a survey addressed to someone else.
    let surveys = case_surveys(&t, &number).await;
    assert_eq!(surveys["surveys"][0]["resolution"], 1);
    assert_eq!(surveys["surveys"][0]["answered_via"], "link");
    assert_eq!(surveys["follow_ups"].as_array().unwrap().len(), 1);
    let (status, seen) = t
        .get(&t.a.user_token, &format!("/api/v1/cases/{number}/surveys"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen, json!({"surveys": [], "follow_ups": []}));

    // The link works once.
    let (status, html) = page(&t, reqwest::Method::POST, &link, &[("resolution", "5")]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{html}");
    assert!(html.contains("已经提交过"), "{html}");
    let surveys = case_surveys(&t, &number).await;
    assert_eq!(surveys["surveys"][0]["resolution"], 1, "unchanged");

    // Still open after its due time, it is escalated once: the service manager and every
    // other manager are told, in the app and by mail.
    crate::web::user_with_password(&t, "head@vendor.test", "龚主管", "manager", None).await;
    _clock.advance(SignedDuration::from_hours(24 * 2));
    let reminded = casebook_server::actions::surveys::follow_ups::remind_overdue(&t.app, 200);
    assert_eq!(reminded.await.unwrap(), 1);
    let again = casebook_server::actions::surveys::follow_ups::remind_overdue(&t.app, 200);
    assert_eq!(again.await.unwrap(), 0, "once");
    let (_, notes) = t.get(&t.manager, "/api/v1/notifications").await;
    let overdue: Vec<&Value> = notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "survey_follow_up_overdue")
        .collect();
    assert_eq!(overdue.len(), 1, "{notes}");
    assert!(overdue[0]["title"].as_str().unwrap().contains(&number));
    let mut told: Vec<String> = outbox(&t, "survey_follow_up_overdue")
        .await
        .into_iter()
        .map(|(to, subject)| {
            assert!(
                subject.contains("逾期") && subject.contains(&number),
                "{subject}"
            );
            to
        })
        .collect();
    told.sort();
    assert_eq!(told, ["head@vendor.test", "manager@vendor.test"]);
    delivery::send_due(&t.app, 100).await.unwrap();
    let escalated = received(&sink, "满意度回访已逾期");
    assert_eq!(escalated.len(), 2, "both mails were sent");
    let text = escalated[0].body_text(0).unwrap().to_string();
    assert!(
        text.contains("负责人：") && text.contains(&number),
        "{text}"
    );

    // The manager completes the follow-up with a note, once.
    let path = format!("/api/v1/survey-follow-ups/{}/complete", follow_up["id"]);
    let (status, done) = t
        .post(&t.manager, &path, json!({"note": "电话回访，客户接受解释"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["completed_by"]["id"], manager);
    let (status, again) = t.post(&t.manager, &path, json!({"note": "again"})).await;
    assert_error(status, &again, StatusCode::CONFLICT, "follow_up_completed");
    let (_, open) = t
        .get(&t.manager, "/api/v1/survey-follow-ups?open=true")
        .await;
    assert_eq!(open["items"], json!([]));
}

async fn fatigue_and_call_home_skip_the_survey_with_their_reason(backend: TestBackend) {
    let (t, clock) = spawn(backend, None).await;
    let first = closed_case(&t, Some(t.a.contact_id), "第一次").await;
    let second = closed_case(&t, Some(t.a.contact_id), "第二次").await;
    assert_eq!(
        case_surveys(&t, &first).await["surveys"][0]["status"],
        "pending"
    );
    let skipped = &case_surveys(&t, &second).await["surveys"][0];
    assert_eq!(skipped["status"], "skipped");
    assert_eq!(skipped["skip_reason"], "fatigue");
    assert_eq!(outbox(&t, "survey_request").await.len(), 1);

    // 30 days later the contact is asked again.
    clock.advance(SignedDuration::from_hours(24 * 30));
    let third = closed_case(&t, Some(t.a.contact_id), "第三次").await;
    assert_eq!(
        case_surveys(&t, &third).await["surveys"][0]["status"],
        "pending"
    );

    // With the window set to 0 days, every closure asks.
    let (status, saved, edit) = without_fatigue(&t).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 1);
    let (status, stale) = t
        .call(
            reqwest::Method::PUT,
            &t.admin,
            "/api/v1/survey-settings",
            Some(edit),
        )
        .await;
    assert_error(status, &stale, StatusCode::CONFLICT, "version_conflict");
    let fourth = closed_case(&t, Some(t.a.contact_id), "第四次").await;
    assert_eq!(
        case_surveys(&t, &fourth).await["surveys"][0]["status"],
        "pending"
    );

    // A call-home case without a contact is never surveyed.
    let number = call_home_case(&t, clock.now()).await;
    t.advance(&number, &["in_progress", "solution_proposed", "closed"])
        .await;
    let skipped = &case_surveys(&t, &number).await["surveys"][0];
    assert_eq!(skipped["status"], "skipped");
    assert_eq!(skipped["skip_reason"], "call_home_without_contact");
    assert_eq!(outbox(&t, "survey_request").await.len(), 3);
}

/// A case a device of A opened, without a contact.
async fn call_home_case(t: &TestApp, now: Timestamp) -> String {
    let (_, product) = t
        .post(
            &t.coordinator,
            "/api/v1/products",
            json!({"name": "HX-9000", "vendor": "Huaxin"}),
        )
        .await;
    let (status, unit) = t
        .post(
            &t.coordinator,
            "/api/v1/units",
            json!({"organization_id": t.a.org_id, "serial_number": "SN-7001",
                "product_id": product["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{unit}");
    contract(
        t,
        json!({"contract_number": "HT-CALL", "organization_id": t.a.org_id, "plan": "standard",
            "starts_on": "2026-01-01", "ends_on": "2027-12-31", "units": [unit["id"]]}),
    )
    .await;
    let device = crate::call_home_events::Device::of(t, "CN-A").await;
    let event = json!({"idempotency_key": "s-1", "type": "fault", "serial_number": "SN-7001",
        "code": "E7001", "severity": "major", "message": "风扇故障",
        "occurred_at": now.to_string()});
    let (status, sent) = device.post_at(event, now).await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    let number = sent["results"][0]["case"]
        .as_str()
        .unwrap_or_else(|| panic!("a case: {sent}"))
        .to_owned();
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(case["channel"], "call_home");
    assert!(case["contact"].is_null(), "{case}");
    number
}

async fn bad_answers_are_refused_and_change_nothing(backend: TestBackend) {
    let (t, clock) = spawn(backend, None).await;
    // A's customer user opened the case and is its only person: the survey is theirs.
    let number = closed_case(&t, None, "打印服务停止").await;
    let survey = case_surveys(&t, &number).await["surveys"][0].clone();
    assert_eq!(survey["recipient"], "user@cn-a.test", "{survey}");
    let id = survey["id"].as_i64().unwrap();
    let answer = format!("/api/v1/surveys/{id}/answer");

    // The customer sees it among theirs; another organisation's customer does not.
    let (_, mine) = t.get(&t.a.user_token, "/api/v1/surveys").await;
    assert_eq!(mine["items"][0]["id"], id, "{mine}");
    let (status, body) = t
        .get(&t.b.user_token, &format!("/api/v1/surveys/{id}"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = t
        .post(&t.b.user_token, &answer, json!({"resolution": 5}))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = t.post(&t.engineer, &answer, json!({"resolution": 5})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");

    // Scores out of range and a comment too long name their fields.
    let (status, body) = t
        .post(
            &t.a.user_token,
            &answer,
            json!({"resolution": 6, "speed": 0}),
        )
        .await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let fields = details.to_string();
    assert!(
        fields.contains("resolution") && fields.contains("speed"),
        "{details}"
    );
    let (status, body) = t
        .post(
            &t.a.user_token,
            &answer,
            json!({"resolution": 4, "comment": "长".repeat(2001)}),
        )
        .await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert!(details.to_string().contains("comment"), "{details}");
    let (_, still) = t
        .get(&t.a.user_token, &format!("/api/v1/surveys/{id}"))
        .await;
    assert_eq!(still["status"], "pending", "nothing changed: {still}");

    // A forged link finds nothing.
    let (status, _) = page(&t, reqwest::Method::GET, "/surveys/1.99999999999.0000", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let key = casebook_server::actions::notify::tokens::signing_key(&t.app)
        .await
        .unwrap();
    let later: Timestamp = "2027-01-01T00:00:00Z".parse().unwrap();
    let forged = casebook_server::actions::notify::tokens::survey_token(b"another key", id, later);
    let (status, _) = page(
        &t,
        reqwest::Method::POST,
        &format!("/surveys/{forged}"),
        &[("resolution", "5")],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The portal answers once; a second answer is refused.
    let (status, body) = t
        .post(
            &t.a.user_token,
            &answer,
            json!({"resolution": 4, "speed": 5, "comment": "  "}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["answered_via"], "portal");
    assert!(body["comment"].is_null(), "a blank comment is none: {body}");
    let (status, body) = t
        .post(&t.a.user_token, &answer, json!({"resolution": 1}))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "survey_answered");
    let (_, nothing) = t.get(&t.manager, "/api/v1/survey-follow-ups").await;
    assert_eq!(nothing["items"], json!([]), "a 4 opens no follow-up");

    // An expired survey is refused by its link and by the portal.
    let late = closed_case(&t, Some(t.a.contact_id), "过期的调查").await;
    let survey = case_surveys(&t, &late).await["surveys"][0].clone();
    let late_id = survey["id"].as_i64().unwrap();
    let expires: Timestamp = survey["expires_at"].as_str().unwrap().parse().unwrap();
    let token = casebook_server::actions::notify::tokens::survey_token(&key, late_id, expires);
    clock.advance(SignedDuration::from_hours(24 * 15));
    let (status, html) = page(
        &t,
        reqwest::Method::POST,
        &format!("/surveys/{token}"),
        &[("resolution", "1")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{html}");
    assert!(html.contains("已过期"), "{html}");
    let (status, body) = t
        .post(
            &t.admin,
            &format!("/api/v1/surveys/{late_id}/answer"),
            json!({"resolution": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let surveys = case_surveys(&t, &late).await;
    assert_eq!(surveys["surveys"][0]["status"], "pending");
    assert_eq!(surveys["follow_ups"], json!([]));
}

pub(crate) async fn answer_as(t: &TestApp, token: &str, number: &str, body: Value) {
    let survey = case_surveys(t, number).await["surveys"][0].clone();
    let path = format!("/api/v1/surveys/{}/answer", survey["id"]);
    let (status, answered) = t.post(token, &path, body).await;
    assert_eq!(status, StatusCode::OK, "{answered}");
}

async fn results_count_exactly(backend: TestBackend) {
    let (t, clock) = spawn(backend, None).await;
    let (status, saved, _) = without_fatigue(&t).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    // November: three surveys to A's customer user, two answered (5 with speed 4; 2: a
    // follow-up), one left pending. December: one to B, answered 3.
    let one = closed_case(&t, None, "一").await;
    let two = closed_case(&t, None, "二").await;
    closed_case(&t, None, "三").await;
    answer_as(
        &t,
        &t.a.user_token,
        &one,
        json!({"resolution": 5, "speed": 4}),
    )
    .await;
    answer_as(
        &t,
        &t.a.user_token,
        &two,
        json!({"resolution": 2, "comment": "还行"}),
    )
    .await;
    clock.advance(SignedDuration::from_hours(24 * 3));
    let b = t
        .open_case(
            &t.b.user_token,
            json!({"title": "B 的问题", "description": "d", "severity": 3}),
        )
        .await;
    t.advance(&b, &["in_progress", "solution_proposed", "closed"])
        .await;
    answer_as(
        &t,
        &t.b.user_token,
        &b,
        json!({"resolution": 3, "engineer": 5}),
    )
    .await;

    let (status, months) = t
        .get(&t.manager, "/api/v1/survey-results?group_by=month")
        .await;
    assert_eq!(status, StatusCode::OK, "{months}");
    assert_eq!(
        months,
        json!([
            {"key": "2026-11", "label": "2026-11", "sent": 3, "answered": 2, "response_rate": 66.7,
             "resolution": 3.5, "speed": 4.0, "engineer": null, "follow_ups": 1},
            {"key": "2026-12", "label": "2026-12", "sent": 1, "answered": 1, "response_rate": 100.0,
             "resolution": 3.0, "speed": null, "engineer": 5.0, "follow_ups": 0},
        ])
    );
    let (_, engineers) = t
        .get(&t.manager, "/api/v1/survey-results?group_by=engineer")
        .await;
    assert_eq!(engineers.as_array().unwrap().len(), 1, "{engineers}");
    assert_eq!(engineers[0]["key"], t.engineer_id.to_string());
    assert_eq!(engineers[0]["label"], "engineer@vendor.test");
    assert_eq!(
        (
            engineers[0]["sent"].as_i64(),
            engineers[0]["answered"].as_i64()
        ),
        (Some(4), Some(3))
    );
    assert_eq!(engineers[0]["response_rate"], 75.0);
    assert_eq!(engineers[0]["resolution"], 3.33);
    let (status, body) = t
        .patch(
            &t.admin,
            &format!("/api/v1/users/{}", t.engineer_id),
            json!({"team": "北京一线"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, teams) = t
        .get(&t.manager, "/api/v1/survey-results?group_by=team")
        .await;
    assert_eq!(teams.as_array().unwrap().len(), 1, "{teams}");
    assert_eq!(
        (teams[0]["key"].as_str(), teams[0]["label"].as_str()),
        (Some("北京一线"), Some("北京一线"))
    );
    assert_eq!(teams[0]["sent"], 4);
    assert_eq!(teams[0]["response_rate"], 75.0);
    let (_, orgs) = t
        .get(
            &t.manager,
            &format!(
                "/api/v1/survey-results?group_by=organization&organization_id={}",
                t.b.org_id
            ),
        )
        .await;
    assert_eq!(orgs.as_array().unwrap().len(), 1, "{orgs}");
    assert_eq!(orgs[0]["key"], t.b.org_id.to_string());
    let (_, december) = t
        .get(
            &t.manager,
            "/api/v1/survey-results?from=2026-12-01&to=2026-12-31",
        )
        .await;
    assert_eq!(december[0]["key"], "2026-12", "{december}");
    assert_eq!(december.as_array().unwrap().len(), 1);
    let (status, body) = t.get(&t.a.user_token, "/api/v1/survey-results").await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = t
        .get(
            &t.manager,
            "/api/v1/survey-results?from=2026-12-02&to=2026-12-01",
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );

    // The answers one by one, by page, and filtered.
    let (_, first) = t.get(&t.manager, "/api/v1/survey-answers?limit=2").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2, "{first}");
    assert_eq!(first["items"][0]["case_number"], b.as_str());
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, rest) = t
        .get(
            &t.manager,
            &format!("/api/v1/survey-answers?limit=2&cursor={cursor}"),
        )
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1, "{rest}");
    assert_eq!(rest["items"][0]["case_number"], one.as_str());
    assert!(rest["next_cursor"].is_null());
    let (_, of_a) = t
        .get(
            &t.manager,
            &format!(
                "/api/v1/survey-answers?organization_id={}&from=2026-11-30&to=2026-11-30",
                t.a.org_id
            ),
        )
        .await;
    assert_eq!(of_a["items"].as_array().unwrap().len(), 2, "{of_a}");

    // The monthly trend of answers.
    let (_, trend) = t.get(&t.manager, "/api/v1/survey-results/monthly").await;
    assert_eq!(
        trend,
        json!([
            {"month": "2026-11", "answers": 2, "mean_score": 3.5},
            {"month": "2026-12", "answers": 1, "mean_score": 3.0},
        ])
    );
}
