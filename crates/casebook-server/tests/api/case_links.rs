//! Links between cases through the API, on SQLite and PostgreSQL: linking in both directions,
//! a parent problem with child cases of two customers, the refusals (a second link, a second
//! parent, a cycle, a case linked to itself, customers), unlinking, the timeline and audit
//! entries on both cases, and what customers see: only links between their own organisation's
//! cases. Merging and splitting: `case_merge.rs`.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error};

on_both_backends!(
    links_parents_refusals_and_unlinking,
    customers_see_only_their_own_links
);

pub(crate) async fn link(t: &TestApp, from: &str, to: &str, role: &str) -> (StatusCode, Value) {
    let path = format!("/api/v1/cases/{from}/links");
    t.post(&t.engineer, &path, json!({"case": to, "role": role}))
        .await
}

pub(crate) async fn links_of(t: &TestApp, token: &str, number: &str) -> Vec<(String, String)> {
    let (status, body) = t.get(token, &format!("/api/v1/cases/{number}/links")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let role = l["role"].as_str().unwrap().to_owned();
            (role, l["case"]["number"].as_str().unwrap().to_owned())
        })
        .collect()
}

fn pair(role: &str, number: &str) -> (String, String) {
    (role.to_owned(), number.to_owned())
}

/// A parent problem kept by the vendor in organisation B, with B's admin able to see it.
async fn parent_problem(t: &TestApp) -> String {
    t.open_case(
        &t.coordinator,
        json!({"title": "Firmware 3.2 controller fault", "description": "one fault on many devices",
            "severity": 2, "organization_id": t.b.org_id, "channel": "phone"}),
    )
    .await
}

async fn timeline(t: &TestApp, token: &str, number: &str) -> Value {
    let (status, body) = t
        .get(token, &format!("/api/v1/cases/{number}/timeline"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].clone()
}

fn entries(timeline: &Value, kind: &str) -> Vec<Value> {
    timeline
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .cloned()
        .collect()
}

async fn links_parents_refusals_and_unlinking(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let a1 = t.case_of_a().await;
    let a2 = t.case_of_a().await;
    let b1 = t.case_of_b().await;
    let parent = parent_problem(&t).await;

    // A duplicate, seen from both sides.
    let (status, made) = link(&t, &a2, &a1, "duplicate_of").await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(
        (made["role"].as_str(), made["case"]["number"].as_str()),
        (Some("duplicate_of"), Some(a1.as_str()))
    );
    assert_eq!(made["created_by"]["name"], "engineer@vendor.test");
    assert_eq!(
        links_of(&t, &t.engineer, &a1).await,
        vec![pair("duplicated_by", &a2)]
    );
    // The same pair again, either way round and whatever kind: refused, nothing added.
    let (status, body) = link(&t, &a1, &a2, "related").await;
    assert_error(status, &body, StatusCode::CONFLICT, "already_linked");
    assert_eq!(
        links_of(&t, &t.engineer, &a2).await,
        vec![pair("duplicate_of", &a1)]
    );

    // A parent problem with children of two customers, linked from either side.
    let (status, body) = link(&t, &a1, &parent, "child_of").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = link(&t, &parent, &b1, "parent_of").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        links_of(&t, &t.engineer, &parent).await,
        vec![pair("parent_of", &a1), pair("parent_of", &b1)]
    );
    assert!(
        links_of(&t, &t.engineer, &a1)
            .await
            .contains(&pair("child_of", &parent))
    );
    assert_eq!(
        links_of(&t, &t.engineer, &b1).await,
        vec![pair("child_of", &parent)]
    );

    // A case has one parent; a parent cannot become its own descendant's child.
    let (status, body) = link(&t, &a1, &b1, "child_of").await;
    assert_error(status, &body, StatusCode::CONFLICT, "has_parent");
    let a3 = t.case_of_a().await;
    let (status, body) = link(&t, &a3, &a1, "child_of").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = link(&t, &parent, &a3, "child_of").await;
    assert_error(status, &body, StatusCode::CONFLICT, "link_cycle");
    let (status, body) = link(&t, &a3, &parent, "parent_of").await;
    assert_error(status, &body, StatusCode::CONFLICT, "link_cycle");
    assert_eq!(
        links_of(&t, &t.engineer, &a3).await,
        vec![pair("child_of", &a1)]
    );

    // Bad input: itself, a case that does not exist, an unknown kind, a split link by hand.
    let (status, body) = link(&t, &a1, &a1, "related").await;
    assert_eq!(
        assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed"
        )["fields"][0]["code"],
        "same_case",
        "{body}"
    );
    let (status, body) = link(&t, &a1, "2020-99999", "related").await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let (status, body) = link(&t, &a1, &a3, "cousin_of").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = link(&t, &a1, &a3, "split_from").await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    // Customers do not link, and another organisation's case does not exist for them.
    let path = format!("/api/v1/cases/{a1}/links");
    let (status, body) = t
        .post(
            &t.a.user_token,
            &path,
            json!({"case": a2, "role": "related"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let path = format!("/api/v1/cases/{b1}/links");
    let (status, body) = t
        .post(
            &t.a.admin_token,
            &path,
            json!({"case": a2, "role": "related"}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");

    // Both timelines say so; the link across organisations is an internal entry.
    let on_a1 = entries(&timeline(&t, &t.engineer, &a1).await, "linked");
    assert_eq!(on_a1.len(), 3, "{on_a1:?}");
    assert!(on_a1.iter().any(
        |e| e["change"] == json!({"role": "duplicated_by", "case": a2})
            && e["visibility"] == "public"
    ));
    assert!(on_a1.iter().any(
        |e| e["change"] == json!({"role": "child_of", "case": parent})
            && e["visibility"] == "internal"
    ));
    let on_parent = entries(&timeline(&t, &t.engineer, &parent).await, "linked");
    assert!(
        on_parent
            .iter()
            .any(|e| e["change"] == json!({"role": "parent_of", "case": a1}))
    );

    // Unlink from the other side; the link is gone from both, both timelines say so.
    let link_id = {
        let (_, body) = t
            .get(&t.engineer, &format!("/api/v1/cases/{a1}/links"))
            .await;
        body.as_array()
            .unwrap()
            .iter()
            .find(|l| l["case"]["number"] == a2.as_str())
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let path = format!("/api/v1/cases/{a1}/links/{link_id}");
    let (status, body) = t.call(Method::DELETE, &t.a.admin_token, &path, None).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = t
        .call(
            Method::DELETE,
            &t.engineer,
            &format!("/api/v1/cases/{b1}/links/{link_id}"),
            None,
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, _) = t.call(Method::DELETE, &t.engineer, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Again: gone already, nothing more happens.
    let (status, _) = t.call(Method::DELETE, &t.engineer, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(links_of(&t, &t.engineer, &a2).await.is_empty());
    assert!(
        !links_of(&t, &t.engineer, &a1)
            .await
            .contains(&pair("duplicated_by", &a2))
    );
    let on_a2 = entries(&timeline(&t, &t.engineer, &a2).await, "unlinked");
    assert_eq!(on_a2.len(), 1);
    assert_eq!(
        on_a2[0]["change"],
        json!({"role": "duplicate_of", "case": a1})
    );
    assert_eq!(
        entries(&timeline(&t, &t.engineer, &a1).await, "unlinked").len(),
        1
    );

    // The audit log has each link made and removed.
    let (status, audit) = t.get(&t.admin, "/api/v1/audit?object_type=case_link").await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "case.link").count(),
        4,
        "{actions:?}"
    );
    assert_eq!(
        actions.iter().filter(|a| **a == "case.unlink").count(),
        1,
        "{actions:?}"
    );
}

async fn customers_see_only_their_own_links(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let a1 = t.case_of_a().await;
    let a2 = t.case_of_a().await;
    let b1 = t.case_of_b().await;
    let parent = parent_problem(&t).await;
    for (from, to, role) in [
        (&a2, &a1, "related"),
        (&a1, &parent, "child_of"),
        (&b1, &parent, "child_of"),
    ] {
        let (status, body) = link(&t, from, to, role).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // Staff see everything; A's customer sees the link between A's cases, never the parent
    // problem kept in B, nor B's child case.
    assert_eq!(
        links_of(&t, &t.engineer, &a1).await,
        vec![pair("related", &a2), pair("child_of", &parent)]
    );
    for token in [&t.a.user_token, &t.a.admin_token] {
        let (status, body) = t.get(token, &format!("/api/v1/cases/{a1}/links")).await;
        assert_eq!(status, StatusCode::OK);
        let text = body.to_string();
        assert!(
            !text.contains(&parent) && !text.contains("Firmware") && !text.contains(&b1),
            "{text}"
        );
        assert_eq!(links_of(&t, token, &a1).await, vec![pair("related", &a2)]);
        // Nor in the timeline: the entry of the link across organisations is internal.
        let text = timeline(&t, token, &a1).await.to_string();
        assert!(!text.contains(&parent), "{text}");
        assert!(text.contains(&a2), "{text}");
        let (status, _) = t.get(token, &format!("/api/v1/cases/{parent}/links")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    // B's admin sees the parent problem (B's case) with B's child only, not A's.
    assert_eq!(
        links_of(&t, &t.b.admin_token, &parent).await,
        vec![pair("parent_of", &b1)]
    );
    assert_eq!(
        links_of(&t, &t.b.admin_token, &b1).await,
        vec![pair("child_of", &parent)]
    );
}
