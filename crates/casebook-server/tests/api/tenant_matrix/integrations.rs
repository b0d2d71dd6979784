//! The matrix's requests for integrations and the on-duty rota. Subscriptions, shifts and
//! pages belong to no organisation: one of each is made for the matrix (a subscription whose
//! target the resolver refuses, so nothing leaves the machine; a shift running all day with
//! today's occurrence assigned; a page about an SLA breach), deletions name ones that do not
//! exist, and each role gets its answer.

use casebook_domain::events::EventKind;
use casebook_server::actions::duty::pages;
use reqwest::Method;
use serde_json::json;

use super::{Call, Objects, call};
use crate::helpers::TestApp;

/// The matrix's subscription, one of its deliveries, its shift with today's date, its page.
#[derive(Debug, Clone, Default)]
pub(super) struct Globals {
    subscription: i64,
    delivery: i64,
    shift: i64,
    today: String,
    page: i64,
}

/// Makes the matrix's subscription, shift, assignment and page (about `case`).
pub(super) async fn globals(t: &TestApp, case: &str) -> Globals {
    let (_, saved) = t
        .post(
            &t.admin,
            "/api/v1/subscriptions",
            json!({"name": "matrix", "kind": "webhook",
        "url": "http://localhost:9/matrix", "events": ["case.opened"]}),
        )
        .await;
    let subscription = saved["subscription"]["id"]
        .as_i64()
        .expect("the matrix's subscription");
    let (_, test) = t
        .post(
            &t.admin,
            &format!("/api/v1/subscriptions/{subscription}/test"),
            json!({}),
        )
        .await;
    let delivery = test["delivery"].as_i64().expect("a test delivery");
    let (_, shift) = t
        .post(
            &t.manager,
            "/api/v1/duty/shifts",
            json!({"team": "matrix", "name": "all day",
        "starts": "00:00", "ends": "00:00", "days": "every"}),
        )
        .await;
    let shift = shift["id"].as_i64().expect("the matrix's shift");
    let today = t
        .app
        .clock
        .now()
        .to_zoned(t.app.config.time_zone())
        .date()
        .to_string();
    let (status, _) = t.put(&t.manager, "/api/v1/duty/assignments", json!({"assignments": [
        {"shift_id": shift, "date": today, "engineer_id": t.engineer_id, "manager_id": t.manager_id}]})).await;
    assert!(status.is_success());
    let mut db = t.app.store.write().await.unwrap();
    let case = casebook_store::cases::get_by_number(&mut db, case.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    pages::on_case_event(
        &t.app,
        &mut db,
        EventKind::SlaBreach,
        &case,
        t.app.clock.now(),
    )
    .await
    .unwrap();
    db.commit().await.unwrap();
    let (_, list) = t.get(&t.engineer, "/api/v1/duty/pages").await;
    let page = list[0]["id"].as_i64().expect("the matrix's page");
    Globals {
        subscription,
        delivery,
        shift,
        today,
        page,
    }
}

/// An id nobody has.
const NONE: i64 = 999_999;

/// How to call each of these routes for a target; `None` for any other route.
pub(super) fn integrations(route: &str, o: &Objects, n: usize) -> Option<Call> {
    use Method as M;
    let g = &o.globals;
    let (sub, delivery, shift, today, page) =
        (g.subscription, g.delivery, g.shift, &g.today, g.page);
    let subscription = json!({"name": "matrix", "kind": "webhook", "url": "http://localhost:9/matrix", "events": ["case.opened"]});
    Some(match route {
        "GET /api/v1/event-types" => call(M::GET, "/api/v1/event-types".into(), None, false),
        "GET /api/v1/subscriptions" => call(M::GET, "/api/v1/subscriptions".into(), None, false),
        "POST /api/v1/subscriptions" => call(
            M::POST,
            "/api/v1/subscriptions".into(),
            Some(subscription),
            false,
        ),
        "GET /api/v1/subscriptions/{id}" => {
            call(M::GET, format!("/api/v1/subscriptions/{sub}"), None, false)
        }
        "PUT /api/v1/subscriptions/{id}" => {
            let mut body = subscription;
            body["version"] = json!(1);
            call(
                M::PUT,
                format!("/api/v1/subscriptions/{sub}"),
                Some(body),
                false,
            )
        }
        "DELETE /api/v1/subscriptions/{id}" => call(
            M::DELETE,
            format!("/api/v1/subscriptions/{NONE}"),
            None,
            false,
        ),
        "GET /api/v1/subscriptions/{id}/deliveries" => call(
            M::GET,
            format!("/api/v1/subscriptions/{sub}/deliveries"),
            None,
            false,
        ),
        "GET /api/v1/subscriptions/{id}/deliveries/{delivery}/attempts" => call(
            M::GET,
            format!("/api/v1/subscriptions/{sub}/deliveries/{delivery}/attempts"),
            None,
            false,
        ),
        "POST /api/v1/subscriptions/{id}/deliveries/{delivery}/redeliver" => call(
            M::POST,
            format!("/api/v1/subscriptions/{sub}/deliveries/{delivery}/redeliver"),
            Some(json!({})),
            false,
        ),
        "POST /api/v1/subscriptions/{id}/test" => call(
            M::POST,
            format!("/api/v1/subscriptions/{sub}/test"),
            Some(json!({})),
            false,
        ),
        "GET /api/v1/duty/rota" => call(M::GET, "/api/v1/duty/rota".into(), None, false),
        "GET /api/v1/duty/shifts" => call(M::GET, "/api/v1/duty/shifts".into(), None, false),
        "POST /api/v1/duty/shifts" => call(
            M::POST,
            "/api/v1/duty/shifts".into(),
            Some(
                json!({"team": "matrix", "name": "x", "starts": "25:00", "ends": "08:00", "days": "every"}),
            ),
            false,
        ),
        "PUT /api/v1/duty/shifts/{id}" => call(
            M::PUT,
            format!("/api/v1/duty/shifts/{shift}"),
            Some(
                json!({"team": "matrix", "name": "x", "starts": "08:00", "ends": "17:00", "days": "every"}),
            ),
            false,
        ),
        "DELETE /api/v1/duty/shifts/{id}" => call(
            M::DELETE,
            format!("/api/v1/duty/shifts/{NONE}"),
            None,
            false,
        ),
        "PUT /api/v1/duty/assignments" => call(
            M::PUT,
            "/api/v1/duty/assignments".into(),
            Some(
                json!({"assignments": [{"shift_id": NONE, "date": "2026-12-07", "engineer_id": o.user}]}),
            ),
            false,
        ),
        "POST /api/v1/duty/assignments/{shift}/{date}/swap" => call(
            M::POST,
            format!("/api/v1/duty/assignments/{shift}/{today}/swap"),
            Some(json!({"reason": "matrix"})),
            false,
        ),
        "GET /api/v1/duty/pages" => call(M::GET, "/api/v1/duty/pages".into(), None, false),
        "POST /api/v1/duty/pages/{id}/acknowledge" => call(
            M::POST,
            format!("/api/v1/duty/pages/{page}/acknowledge"),
            Some(json!({})),
            false,
        ),
        // Staff only (customers 403 whichever user they name); a customer user is no staff (422).
        "PUT /api/v1/users/{id}/duty-contact" => call(
            M::PUT,
            format!("/api/v1/users/{}/duty-contact", o.user),
            Some(json!({"mobile": "13800138000"})),
            false,
        ),
        _ => return super::field::field(route, o, n),
    })
}
