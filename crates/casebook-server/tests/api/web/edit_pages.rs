//! The console's edit pages over HTTP: organisations, contacts, users, units and contracts, with
//! refusals that keep what was typed.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;

use super::{PASSWORD, WebClient, hidden, user_with_password};
use crate::helpers::TestApp;

on_both_backends!(
    staff_edit_the_directory_and_users,
    staff_edit_units_and_contracts,
    admins_edit_calendars_and_plans,
);

async fn staff_edit_the_directory_and_users(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    user_with_password(&t, "admin2@vendor.test", "管理员", "admin", None).await;
    let web = WebClient::new(&t);
    web.sign_in("admin2@vendor.test", PASSWORD).await;
    let csrf = web.csrf("/console/organizations/new").await;

    let (status, location, page) = web
        .post_form(
            "/console/organizations/new",
            &[
                ("_csrf", &csrf),
                ("customer_number", "cn-20001"),
                ("name", "华东电网"),
                ("address", "上海"),
                ("notes", ""),
                ("support_plan", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let org_path = location.unwrap();
    let (_, page) = web.get(&org_path).await;
    assert!(
        page.contains("华东电网") && page.contains("CN-20001"),
        "the customer number is upper-cased"
    );

    // A duplicate customer number is refused, with what was typed kept.
    let (status, _, page) = web
        .post_form(
            "/console/organizations/new",
            &[
                ("_csrf", &csrf),
                ("customer_number", "CN-20001"),
                ("name", "重复的单位"),
                ("address", ""),
                ("notes", ""),
                ("support_plan", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("重复的单位") && page.contains("class=\"error\""));
    let (status, _, page) = web
        .post_form(
            "/console/organizations/new",
            &[("customer_number", "CN-20002"), ("name", "无令牌")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");

    let (status, location, page) = web
        .post_form(
            &format!("{org_path}/edit"),
            &[
                ("_csrf", &csrf),
                ("customer_number", "CN-20001"),
                ("name", "国网华东分部"),
                ("address", "上海市浦东新区"),
                ("notes", "重点客户"),
                ("support_plan", "standard"),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some(org_path.as_str())),
        "{page}"
    );
    let org_id = org_path.rsplit('/').next().unwrap().to_owned();
    // An edit made by someone else in between is refused, not overwritten.
    let (_, page) = web.get(&format!("{org_path}/edit")).await;
    let version = hidden(&page, "version").expect("the form carries the version");
    t.patch(
        &t.admin,
        &format!("/api/v1/organizations/{org_id}"),
        serde_json::json!({"notes": "另一位同事的修改"}),
    )
    .await;
    let (status, _, page) = web
        .post_form(
            &format!("{org_path}/edit"),
            &[
                ("_csrf", &csrf),
                ("version", &version),
                ("customer_number", "CN-20001"),
                ("name", "覆盖"),
                ("address", ""),
                ("notes", ""),
                ("support_plan", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    let (_, org) = t
        .get(&t.admin, &format!("/api/v1/organizations/{org_id}"))
        .await;
    assert_eq!(org["notes"], "另一位同事的修改");
    let (_, org) = t
        .get(&t.admin, &format!("/api/v1/organizations/{org_id}"))
        .await;
    assert_eq!(org["name"], "国网华东分部");
    assert_eq!(org["support_plan"], "standard");

    let (status, _, page) = web
        .post_form(
            &format!("{org_path}/contacts/new"),
            &[
                ("_csrf", &csrf),
                ("name", "陈工"),
                ("email", "not-an-email"),
                ("phone", ""),
                ("can_open_cases", "on"),
            ],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a bad address is refused"
    );
    assert!(page.contains("陈工"));
    let (status, _, _) = web
        .post_form(
            &format!("{org_path}/contacts/new"),
            &[
                ("_csrf", &csrf),
                ("name", "陈工"),
                ("email", "chen@sgcc-east.test"),
                ("phone", "+86 21 5555 0101"),
                ("can_open_cases", "on"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, contacts) = t
        .get(&t.admin, &format!("/api/v1/contacts?organization={org_id}"))
        .await;
    assert_eq!(contacts["items"][0]["email"], "chen@sgcc-east.test");

    let (status, _, page) = web
        .post_form(
            "/console/users/new",
            &[
                ("_csrf", &csrf),
                ("email", "chen@sgcc-east.test"),
                ("name", "陈工"),
                ("role", "customer_admin"),
                ("organization_id", &org_id),
                ("password", "sgcc-password-1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let customer = WebClient::new(&t);
    let (_, location, _) = customer
        .sign_in("chen@sgcc-east.test", "sgcc-password-1")
        .await;
    assert_eq!(location.as_deref(), Some("/portal"));

    let (_, list) = t.get(&t.admin, "/api/v1/users?q=chen").await;
    let user_id = list["items"][0]["id"].as_i64().unwrap();
    let (status, _, page) = web
        .post_form(
            &format!("/console/users/{user_id}/edit"),
            &[
                ("_csrf", &csrf),
                ("name", "陈工"),
                ("role", "customer_admin"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (_, user) = t.get(&t.admin, &format!("/api/v1/users/{user_id}")).await;
    assert_eq!(user["active"], false, "an unticked box deactivates");
    let (status, _) = customer.get("/portal").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "a deactivated user is signed out"
    );

    // An engineer may not manage users.
    user_with_password(&t, "eng@vendor.test", "工程师", "engineer", None).await;
    let eng = WebClient::new(&t);
    eng.sign_in("eng@vendor.test", PASSWORD).await;
    let csrf = eng.csrf("/console").await;
    let (status, _, _) = eng
        .post_form(
            "/console/users/new",
            &[
                ("_csrf", &csrf),
                ("email", "x@vendor.test"),
                ("name", "X"),
                ("role", "admin"),
                ("organization_id", ""),
                ("password", "x-password-12"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn staff_edit_units_and_contracts(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    user_with_password(&t, "admin2@vendor.test", "管理员", "admin", None).await;
    let (_, product) = t
        .post(
            &t.admin,
            "/api/v1/products",
            serde_json::json!({"name": "StorArray S5000", "vendor": "Casebook"}),
        )
        .await;
    let product = product["id"].as_i64().unwrap().to_string();
    let web = WebClient::new(&t);
    web.sign_in("admin2@vendor.test", PASSWORD).await;
    let org = t.a.org_id;
    // A site, and a version of the product with its lifecycle dates.
    let site_path = format!("/console/organizations/{org}/sites/new");
    let (status, page) = web.get(&site_path).await;
    assert_eq!(status, StatusCode::OK);
    super::html::assert_valid(&site_path, &page);
    let csrf = hidden(&page, "_csrf").unwrap();
    let (status, _, page) = web
        .post_form(
            &site_path,
            &[
                ("_csrf", &csrf),
                ("code", "sh-dc1"),
                ("name", "上海数据中心"),
                ("address", "浦东"),
                ("notes", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (_, sites) = t
        .get(&t.admin, &format!("/api/v1/sites?organization={org}"))
        .await;
    let site = sites["items"][0]["id"].as_i64().unwrap().to_string();
    let versions = format!("/console/products/{product}/versions/new");
    let (status, page) = web.get(&versions).await;
    assert_eq!(status, StatusCode::OK);
    super::html::assert_valid(&versions, &page);
    let (status, _, page) = web
        .post_form(
            &versions,
            &[
                ("_csrf", &csrf),
                ("version", "5.4"),
                ("released_on", "2026-03-01"),
                ("end_of_marketing_on", ""),
                ("end_of_support_on", "2029-12-31"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (_, p) = t
        .get(&t.admin, &format!("/api/v1/products/{product}"))
        .await;
    assert_eq!(p["versions"][0]["end_of_support_on"], "2029-12-31");
    let version_id = p["versions"][0]["id"].as_i64().unwrap();
    let (status, _, page) = web
        .post_form(
            &format!("/console/products/{product}/versions/{version_id}/edit"),
            &[
                ("_csrf", &csrf),
                ("version", "5.4"),
                ("released_on", "2026-03-01"),
                ("end_of_marketing_on", "2028-06-30"),
                ("end_of_support_on", "not-a-date"),
            ],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a bad date is refused"
    );
    assert!(page.contains("not-a-date"));
    let page_path = format!("/console/organizations/{org}/units/new");
    let (status, page) = web.get(&page_path).await;
    assert_eq!(status, StatusCode::OK);
    super::html::assert_valid(&page_path, &page);
    let csrf = hidden(&page, "_csrf").unwrap();
    let (status, location, page) = web
        .post_form(
            &page_path,
            &[
                ("_csrf", &csrf),
                ("serial_number", "sn-0001"),
                ("site_id", &site),
                ("product_id", &product),
                ("product_version", "5.4"),
                ("patch_level", ""),
                ("operating_system", ""),
                ("notes", "机房 A"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let unit_path = location.unwrap();
    let unit_id = unit_path.rsplit('/').next().unwrap().to_owned();
    let (_, page) = web.get(&unit_path).await;
    assert!(page.contains("SN-0001"));

    let (status, _, _) = web
        .post_form(
            &format!("{unit_path}/edit"),
            &[
                ("_csrf", &csrf),
                ("site_id", ""),
                ("product_version", "5.4"),
                ("patch_level", "P3"),
                ("operating_system", ""),
                ("notes", "机房 A"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, unit) = t.get(&t.admin, &format!("/api/v1/units/{unit_id}")).await;
    assert_eq!(unit["product_version"], "5.4");
    assert_eq!(unit["patch_level"], "P3");
    let (_, page) = web.get(&unit_path).await;
    assert!(
        page.contains("P3") && page.contains("上海数据中心"),
        "the history and the site show"
    );

    let new_contract = format!("/console/organizations/{org}/contracts/new");
    let (status, page) = web.get(&new_contract).await;
    assert_eq!(status, StatusCode::OK);
    super::html::assert_valid(&new_contract, &page);
    // Bad dates are refused with what was typed kept.
    let (status, _, page) = web
        .post_form(
            &new_contract,
            &[
                ("_csrf", &csrf),
                ("contract_number", "ht-a-01"),
                ("plan", "standard"),
                ("starts_on", "2026-13-01"),
                ("ends_on", "2027-06-30"),
                ("precedence", "0"),
                ("units", &unit_id),
                ("channels", "phone"),
                ("incidents", ""),
                ("service_manager_id", ""),
                ("notes", "保留的备注"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("保留的备注") && page.contains("HT-A-01") || page.contains("ht-a-01"));
    let (status, location, page) = web
        .post_form(
            &new_contract,
            &[
                ("_csrf", &csrf),
                ("contract_number", "ht-a-01"),
                ("plan", "standard"),
                ("starts_on", "2026-01-01"),
                ("ends_on", "2027-06-30"),
                ("precedence", "0"),
                ("units", &unit_id),
                ("channels", "phone"),
                ("channels", "web"),
                ("services", "remote_diagnosis"),
                ("incidents", "12"),
                ("service_manager_id", ""),
                ("notes", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let contract_path = location.unwrap();
    let contract_id = contract_path.rsplit('/').next().unwrap().to_owned();
    let (_, contract) = t
        .get(&t.admin, &format!("/api/v1/contracts/{contract_id}"))
        .await;
    assert_eq!(contract["contract_number"], "HT-A-01");
    assert_eq!(contract["channels"], serde_json::json!(["phone", "web"]));
    assert_eq!(
        contract["services"],
        serde_json::json!(["remote_diagnosis"])
    );
    assert_eq!(contract["incidents"], 12);

    let (_, page) = web.get(&format!("{contract_path}/edit")).await;
    super::html::assert_valid("contract edit", &page);
    assert!(page.contains("checked") && page.contains("value=\"2027-06-30\""));
    let (status, _, page) = web
        .post_form(
            &format!("{contract_path}/edit"),
            &[
                ("_csrf", &csrf),
                ("plan", "standard"),
                ("starts_on", "2026-01-01"),
                ("ends_on", "2028-06-30"),
                ("precedence", "0"),
                ("units", &unit_id),
                ("channels", "phone"),
                ("incidents", ""),
                ("service_manager_id", ""),
                ("notes", "续约"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (_, contract) = t
        .get(&t.admin, &format!("/api/v1/contracts/{contract_id}"))
        .await;
    assert_eq!(contract["ends_on"], "2028-06-30", "renewed");
    assert!(contract["incidents"].is_null(), "unlimited now");
    assert_eq!(contract["services"], serde_json::json!([]));
}

async fn admins_edit_calendars_and_plans(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    user_with_password(&t, "admin2@vendor.test", "管理员", "admin", None).await;
    user_with_password(&t, "eng@vendor.test", "工程师", "engineer", None).await;
    let web = WebClient::new(&t);
    web.sign_in("admin2@vendor.test", PASSWORD).await;
    let (status, page) = web.get("/console/calendars/china-5x8").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("2026-10-01") || page.contains("2026-02-"),
        "the holidays are listed"
    );
    let csrf = hidden(&page, "_csrf").unwrap();
    let version = hidden(&page, "version").unwrap();

    // Not JSON, then JSON the rules refuse: both shown again with the text kept.
    let (status, _, page) = web
        .post_form(
            "/console/calendars/china-5x8",
            &[
                ("_csrf", &csrf),
                ("version", &version),
                ("definition", "{ not json"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("{ not json"));
    let bad = r#"{"name": "x", "time_zone": "Mars/Olympus", "weekly": {}, "exceptions": []}"#;
    let (status, _, page) = web
        .post_form(
            "/console/calendars/china-5x8",
            &[("_csrf", &csrf), ("version", &version), ("definition", bad)],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("Mars/Olympus"));

    let (_, page) = web.get("/console/plans/standard").await;
    let version = hidden(&page, "version").unwrap();
    let (_, plan) = t.get(&t.admin, "/api/v1/plans/standard").await;
    let mut input = plan.clone();
    for key in ["builtin", "created_at", "updated_at", "version"] {
        input.as_object_mut().unwrap().remove(key);
    }
    input["description"] = serde_json::json!("标准服务（修改后）");
    let (status, location, page) = web
        .post_form(
            "/console/plans/standard",
            &[
                ("_csrf", &csrf),
                ("version", &version),
                ("definition", &input.to_string()),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/console/plans/standard")),
        "{page}"
    );
    let (_, plan) = t.get(&t.admin, "/api/v1/plans/standard").await;
    assert_eq!(plan["description"], "标准服务（修改后）");
    // The same version again is stale.
    let (status, _, _) = web
        .post_form(
            "/console/plans/standard",
            &[
                ("_csrf", &csrf),
                ("version", &version),
                ("definition", &input.to_string()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Engineers see the plan but get no editor, and may not save.
    let eng = WebClient::new(&t);
    eng.sign_in("eng@vendor.test", PASSWORD).await;
    let (status, page) = eng.get("/console/plans/standard").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("name=\"definition\""));
    let csrf = eng.csrf("/console").await;
    let (status, _, _) = eng
        .post_form(
            "/console/plans/standard",
            &[("_csrf", &csrf), ("definition", &input.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
