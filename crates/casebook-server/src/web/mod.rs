//! The web pages: the engineers' console (`/console`), the customer portal (`/portal`) and the
//! public knowledge base (`/kb`, no sign-in),
//! rendered on the server with askama in zh-CN or en. Handlers are thin, as in the API: they
//! call the same actions with the signed-in user's principal, so the policy, the audit log and
//! the tenant rules are the API's.
//!
//! Every page response gets a Content-Security-Policy with a fresh nonce (scripts run only from
//! our own `/assets/app.js` carrying it; no inline handlers, no inline styles) and error pages
//! rendered in the visitor's language. Forms carry the session's CSRF token in `_csrf`.

pub mod assets;
pub mod attachment_view;
pub mod case_forms;
pub mod case_links;
pub mod case_page;
pub mod case_work;
pub mod choices;
pub mod console;
pub mod contract_usage;
pub mod dispatch_board;
pub mod fault_pages;
pub mod forms;
pub use crate::i18n;
pub mod duty_ack;
pub mod mail_links;
pub mod notifications;
pub mod page;
pub mod portal;
pub mod posted;
pub mod profile;
pub mod public_kb;
pub mod remote_access;
pub mod remote_forms;
pub mod remote_pages;
pub mod session;
pub mod sign_in;
pub mod survey_form;
pub mod survey_link;
pub mod visit_forms;
pub mod visit_page;

use askama::Template;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;

use crate::app::AppState;
use page::{Ctx, render_status};
use session::{ErrorPage, Nonce, guess_lang};

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate {
    ctx: Ctx,
    status: u16,
    key: &'static str,
    detail: Option<String>,
}

/// Adds the nonce, renders error pages and sets the CSP of every page response.
async fn page_layer(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let nonce = crate::auth::new_csrf_token();
    let guess = guess_lang(req.headers());
    let path = req.uri().path().to_owned();
    req.extensions_mut().insert(Nonce(nonce.clone()));
    let mut response = next.run(req).await;
    if let Some(error) = response.extensions_mut().remove::<ErrorPage>() {
        let ErrorPage {
            status,
            key,
            detail,
            lang,
            csrf,
        } = error;
        let ctx = Ctx {
            lang: lang.unwrap_or(guess),
            nonce: nonce.clone(),
            csrf: csrf.unwrap_or_default(),
            me: None,
            here_url: path.clone(),
            path,
            tz: app.config.time_zone(),
            hotline: app.config.desk.hotline.clone(),
        };
        response = render_status(
            status,
            &ErrorTemplate {
                ctx,
                status: status.as_u16(),
                key,
                detail,
            },
        );
    }
    let csp = format!(
        "default-src 'self'; script-src 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// The routes of every page, with the page layer.
pub fn routes(app: AppState) -> Router<AppState> {
    Router::new()
        .merge(sign_in::routes())
        .merge(console::routes())
        .merge(portal::routes())
        .merge(notifications::routes())
        .merge(profile::routes())
        .merge(contract_usage::routes())
        .merge(mail_links::routes())
        .merge(duty_ack::routes())
        .merge(remote_pages::routes())
        .merge(remote_access::routes())
        .merge(visit_page::routes())
        .merge(dispatch_board::routes())
        .merge(fault_pages::routes())
        .merge(survey_link::routes())
        .merge(public_kb::routes())
        .layer(middleware::from_fn_with_state(app, page_layer))
        .merge(assets::routes())
}
