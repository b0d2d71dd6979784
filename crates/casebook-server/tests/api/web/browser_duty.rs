//! The on-duty rota in a real browser (Debian's chromium through chromedriver, with the setup
//! of `browser.rs`), in Chinese, on SQLite and PostgreSQL: a manager opens 值班 from the menu,
//! sees who is on duty now and the page an SLA breach sent them, acknowledges it, puts an
//! engineer on duty for tomorrow's day shift with the form, and the rota shows it. No script
//! needed; the page fits the window; a screenshot is kept.

use casebook_domain::events::EventKind;
use casebook_server::actions::duty::pages;
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

use super::browser::Browser;
use super::user_with_password;
use crate::helpers::TestApp;

on_both_backends!(a_manager_runs_the_rota_in_chinese);

async fn a_manager_runs_the_rota_in_chinese(backend: TestBackend) {
    let name = match backend {
        TestBackend::Sqlite => "sqlite",
        TestBackend::Postgres => "postgres",
    };
    let t = TestApp::spawn(backend).await;
    let zhou = user_with_password(&t, "zhou@vendor.test", "周经理", "manager", None).await;
    let (status, all_day) = t
        .post(
            &t.manager,
            "/api/v1/duty/shifts",
            json!({"team": "北京一线", "name": "全天",
        "starts": "00:00", "ends": "00:00", "days": "every"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{all_day}");
    let today = t.app.clock.now().to_zoned(t.app.config.time_zone()).date();
    let (status, _) = t.put(&t.manager, "/api/v1/duty/assignments", json!({"assignments": [
        {"shift_id": all_day["id"], "date": today, "engineer_id": t.engineer_id, "manager_id": zhou}]})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let number = t.case_of_a().await;
    let mut db = t.app.store.write().await.unwrap();
    let case = casebook_store::cases::get_by_number(&mut db, number.parse().unwrap())
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

    let mut b = Browser::start(&t.base, name).await;
    b.go("/sign-in").await;
    b.switch_language().await;
    b.sign_in("zhou@vendor.test").await;
    b.submit("nav a[href='/console/duty']").await;
    assert_eq!(b.path().await, "/console/duty");
    let now = b.text("section[aria-labelledby=now-title]").await;
    assert!(
        now.contains("北京一线") && now.contains("engineer@vendor.test") && now.contains("周经理"),
        "{now}"
    );
    let paged = b.text("section[aria-labelledby=pages-title] tbody").await;
    assert!(
        paged.contains(&number) && paged.contains("SLA 已超时"),
        "{paged}"
    );
    assert!(b.fits_width().await, "the rota fits the window");
    b.shot("console-duty-zh").await;
    b.submit("section[aria-labelledby=pages-title] tbody button")
        .await;
    let paged = b.text("section[aria-labelledby=pages-title] tbody").await;
    assert!(paged.contains("已确认"), "{paged}");

    let tomorrow = today.tomorrow().unwrap().to_string();
    // A date input types in the browser's locale; the value is set as the form sends it.
    b.c.execute(
        "document.querySelector('#a-date').value = arguments[0];",
        vec![json!(tomorrow)],
    )
    .await
    .unwrap();
    b.el("#a-engineer")
        .await
        .select_by_value(&t.engineer_id.to_string())
        .await
        .unwrap();
    b.submit("form[action='/console/duty/assign'] button[type=submit]")
        .await;
    assert_eq!(b.path().await, "/console/duty");
    let rota = b.text("section[aria-labelledby=rota-title] tbody").await;
    assert!(rota.contains(&tomorrow), "{rota}");
    let (_, api) = t
        .get(
            &t.manager,
            &format!("/api/v1/duty/rota?from={tomorrow}&days=1"),
        )
        .await;
    assert_eq!(api["days"][0]["engineer"]["id"], t.engineer_id, "{api}");
}
