//! The "Links" box of the case page over HTTP, on SQLite and PostgreSQL: staff link by number
//! and kind and remove a link, merge with a confirmation and a reason (the merged number then
//! leads to the survivor with a note), split a reply into a new case; a refused form shows the
//! reason and changes nothing; the portal shows a customer only links between their own cases.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

use super::html::assert_valid;
use super::{PASSWORD, WebClient, user_with_password};
use crate::helpers::TestApp;

on_both_backends!(console_links_merge_and_split, portal_shows_only_own_links);

async fn console_links_merge_and_split(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    user_with_password(&t, "links@vendor.test", "协调员", "coordinator", None).await;
    let web = WebClient::new(&t);
    web.sign_in("links@vendor.test", PASSWORD).await;
    web.choose_language("/console", "en").await;
    let a1 = t.case_of_a().await;
    let a2 = t.case_of_a().await;
    let page = format!("/console/cases/{a1}");
    let csrf = web.csrf(&page).await;

    // Link by number and kind.
    let (status, to, _) = web
        .post_form(
            &format!("{page}/link"),
            &[("_csrf", &csrf), ("case", &a2), ("role", "related")],
        )
        .await;
    assert_eq!(
        (status, to.as_deref()),
        (StatusCode::SEE_OTHER, Some(page.as_str()))
    );
    let (_, html) = web.get(&page).await;
    assert_valid(&page, &html);
    assert!(
        html.contains("Related to") && html.contains(&format!("/console/cases/{a2}")),
        "{html}"
    );
    // A case that does not exist: refused, shown with the reason, nothing linked.
    let (status, _, html) = web
        .post_form(
            &format!("{page}/link"),
            &[
                ("_csrf", &csrf),
                ("case", "2020-99999"),
                ("role", "related"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("no case 2020-99999"), "{html}");
    let (_, links) = t
        .get(&t.engineer, &format!("/api/v1/cases/{a1}/links"))
        .await;
    assert_eq!(links.as_array().unwrap().len(), 1, "{links}");
    // Remove it.
    let id = links[0]["id"].as_i64().unwrap().to_string();
    let (status, _, _) = web
        .post_form(
            &format!("{page}/unlink"),
            &[("_csrf", &csrf), ("link", &id)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, links) = t
        .get(&t.engineer, &format!("/api/v1/cases/{a1}/links"))
        .await;
    assert_eq!(links, json!([]));

    // A merge without the confirmation is refused and keeps the reason typed.
    let merge = format!("/console/cases/{a2}/merge");
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{a2}")).await;
    let version = case["version"].to_string();
    let form = [
        ("_csrf", csrf.as_str()),
        ("version", &version),
        ("into", &a1),
        ("reason", "same outage"),
    ];
    let (status, _, html) = web.post_form(&merge, &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Confirm the merge") && html.contains("same outage"),
        "{html}"
    );
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{a2}")).await;
    assert!(case["merged_into"].is_null(), "{case}");
    // Confirmed: the merged number leads to the survivor, which says so.
    let mut confirmed = form.to_vec();
    confirmed.push(("confirm", "yes"));
    let (status, to, _) = web.post_form(&merge, &confirmed).await;
    assert_eq!(
        (status, to),
        (StatusCode::SEE_OTHER, Some(format!("/console/cases/{a2}")))
    );
    let (status, html) = web.get(&format!("/console/cases/{a2}")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let response = web.get_response(&format!("/console/cases/{a2}")).await;
    let survivor = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(survivor, format!("/console/cases/{a1}?merged={a2}"));
    let (_, html) = web.get(&survivor).await;
    assert_valid(&survivor, &html);
    assert!(
        html.contains(&format!("Case {a2} was merged into this case")),
        "{html}"
    );
    assert!(html.contains("Duplicated by"), "{html}");
    // A stale version is refused like every edit.
    let a3 = t.case_of_a().await;
    let stale = [
        ("_csrf", csrf.as_str()),
        ("version", "0"),
        ("into", &a1),
        ("reason", "x"),
        ("confirm", "yes"),
    ];
    let (status, _, html) = web
        .post_form(&format!("/console/cases/{a3}/merge"), &stale)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{html}");

    // Split a customer's reply into a new case.
    let (status, reply) = t
        .post(
            &t.a.user_token,
            &format!("/api/v1/cases/{a1}/comments"),
            json!({"body": "另外：打印机也无法连接"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    let (_, html) = web.get(&page).await;
    assert!(html.contains("Split into a new case"), "{html}");
    let event = reply["id"].to_string();
    let (status, to, _) = web
        .post_form(
            &format!("{page}/split"),
            &[("_csrf", &csrf), ("event_id", &event)],
        )
        .await;
    assert_eq!(
        (status, to.as_deref()),
        (StatusCode::SEE_OTHER, Some(page.as_str()))
    );
    let (_, links) = t
        .get(&t.engineer, &format!("/api/v1/cases/{a1}/links"))
        .await;
    let split = links
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["role"] == "split_into")
        .expect("split link");
    let (_, new) = t
        .get(
            &t.engineer,
            &format!(
                "/api/v1/cases/{}",
                split["case"]["number"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(new["title"], "另外：打印机也无法连接");
}

async fn portal_shows_only_own_links(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    user_with_password(
        &t,
        "wang@cn-a.test",
        "王小明",
        "customer_admin",
        Some(t.a.org_id),
    )
    .await;
    let customer = WebClient::new(&t);
    customer.sign_in("wang@cn-a.test", PASSWORD).await;
    let a1 = t.case_of_a().await;
    let a2 = t.case_of_a().await;
    let parent = t
        .open_case(&t.coordinator, json!({"title": "Parent problem in B", "description": "d", "severity": 2, "organization_id": t.b.org_id}))
        .await;
    for (to, role) in [(&a2, "related"), (&parent, "child_of")] {
        let (status, body) = t
            .post(
                &t.engineer,
                &format!("/api/v1/cases/{a1}/links"),
                json!({"case": to, "role": role}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let page = format!("/portal/cases/{a1}");
    let (status, html) = customer.get(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert_valid(&page, &html);
    assert!(html.contains(&format!("/portal/cases/{a2}")), "{html}");
    assert!(
        !html.contains(&parent) && !html.contains("Parent problem"),
        "{html}"
    );
    assert!(
        !html.contains("/unlink") && !html.contains("merge-form") && !html.contains("/split"),
        "{html}"
    );
    // A merged case's number leads the customer to the survivor.
    let (status, body) = t
        .post(
            &t.engineer,
            &format!("/api/v1/cases/{a2}/merge"),
            json!({"into": a1, "reason": "duplicate"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let response = customer.get_response(&format!("/portal/cases/{a2}")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let to = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(to, format!("/portal/cases/{a1}?merged={a2}"));
    let (_, html) = customer.get(&to).await;
    assert!(html.contains(&a2) && html.contains("merged-note"), "{html}");
}
