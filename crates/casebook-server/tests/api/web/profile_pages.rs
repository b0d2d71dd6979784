//! `/profile` over HTTP: a user's tokens with their last use, made and revoked there; a new
//! password (given twice, with the current one) and "sign out everywhere" end every session of
//! the user, and on request their tokens.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;

use super::html::assert_valid;
use super::{PASSWORD, WebClient, user_with_password};
use crate::helpers::{TestApp, client};

on_both_backends!(the_profile_keeps_an_account_safe);

const EMAIL: &str = "wang@cn-a.test";

/// The secret of the token a page shows once.
fn secret_on(page: &str) -> Option<String> {
    let start = page.find("cbk_")?;
    Some(
        page[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect(),
    )
}

async fn token_status(t: &TestApp, secret: &str) -> StatusCode {
    client()
        .get(format!("{}/api/v1/me", t.base))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap()
        .status()
}

/// Whether a client is still signed in (a page, not a redirect to the sign-in page).
async fn signed_in(web: &WebClient) -> bool {
    let (status, _) = web.get("/profile").await;
    status == StatusCode::OK
}

async fn make_token(web: &WebClient, label: &str) -> String {
    let csrf = web.csrf("/profile").await;
    let (status, _, page) = web
        .post_form("/profile/tokens", &[("_csrf", &csrf), ("label", label)])
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains(&format!("Token “{label}” made")),
        "the page says so"
    );
    secret_on(&page).expect("the secret is shown once")
}

async fn the_profile_keeps_an_account_safe(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    user_with_password(&t, EMAIL, "王小明", "customer_admin", Some(t.a.org_id)).await;
    let web = WebClient::new(&t);
    web.sign_in(EMAIL, PASSWORD).await;
    web.choose_language("/profile", "en").await;
    let other = WebClient::new(&t);
    other.sign_in(EMAIL, PASSWORD).await;
    let (status, page) = web.get("/profile").await;
    assert_eq!(status, StatusCode::OK);
    assert_valid("/profile", &page);
    assert!(
        page.contains(EMAIL) && page.contains("No tokens."),
        "{page}"
    );

    // A token made here: its secret once, then its last use instead of "never".
    let erp = make_token(&web, "ERP").await;
    let (_, page) = web.get("/profile").await;
    assert!(!page.contains(&erp), "the secret is not shown again");
    assert!(page.contains("Never used"), "{page}");
    assert_eq!(token_status(&t, &erp).await, StatusCode::OK);
    let (_, page) = web.get("/profile").await;
    assert!(
        !page.contains("Never used"),
        "its last use is shown: {page}"
    );
    // Revoked here; another user's token is no business of this page.
    let spare = make_token(&web, "spare").await;
    let (_, tokens) = t.get(&spare, "/api/v1/tokens").await;
    let spare_id = tokens[0]["id"].as_i64().unwrap();
    let csrf = web.csrf("/profile").await;
    let (status, location, _) = web
        .post_form(
            &format!("/profile/tokens/{spare_id}/revoke"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/profile"))
    );
    assert_eq!(token_status(&t, &spare).await, StatusCode::UNAUTHORIZED);
    let (_, admin_tokens) = t.get(&t.a.admin_token, "/api/v1/tokens").await;
    let foreign = admin_tokens[0]["id"].as_i64().unwrap();
    let (status, _, _) = web
        .post_form(
            &format!("/profile/tokens/{foreign}/revoke"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(token_status(&t, &t.a.admin_token).await, StatusCode::OK);

    // A new password typed differently twice, or without the right current one: refused,
    // shown over the form, nothing ends.
    let new = "a much better password";
    for (current, again, says) in [
        (
            PASSWORD,
            "something else entirely",
            "the two new passwords differ",
        ),
        ("wrong password here", new, "current_password"),
    ] {
        let (status, _, page) = web
            .post_form(
                "/profile/password",
                &[
                    ("_csrf", &csrf),
                    ("current_password", current),
                    ("password", new),
                    ("password_again", again),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(page.contains(says), "{says}: {page}");
        assert_valid("/profile (refused)", &page);
    }
    assert!(signed_in(&other).await);

    // Sign out everywhere, with the tokens.
    let (status, location, _) = web
        .post_form(
            "/profile/sign-out-everywhere",
            &[("_csrf", &csrf), ("tokens", "1")],
        )
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/sign-in?out=everywhere"))
    );
    let (_, notice) = web.get("/sign-in?out=everywhere").await;
    assert!(notice.contains("signed out everywhere"), "{notice}");
    assert!(!signed_in(&web).await && !signed_in(&other).await);
    assert_eq!(token_status(&t, &erp).await, StatusCode::UNAUTHORIZED);

    // The new password, properly: everyone out again, then in with the new one only.
    web.sign_in(EMAIL, PASSWORD).await;
    other.sign_in(EMAIL, PASSWORD).await;
    let kept = make_token(&web, "kept").await;
    let csrf = web.csrf("/profile").await;
    let (status, location, _) = web
        .post_form(
            "/profile/password",
            &[
                ("_csrf", &csrf),
                ("current_password", PASSWORD),
                ("password", new),
                ("password_again", new),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/sign-in?out=password"))
    );
    assert!(!signed_in(&web).await && !signed_in(&other).await);
    assert_eq!(
        token_status(&t, &kept).await,
        StatusCode::OK,
        "tokens stay unless the box is ticked"
    );
    let (_, location, _) = web.sign_in(EMAIL, PASSWORD).await;
    assert_ne!(
        location.as_deref(),
        Some("/portal"),
        "the old password is gone"
    );
    let (_, location, _) = web.sign_in(EMAIL, new).await;
    assert_eq!(location.as_deref(), Some("/portal"));
}
