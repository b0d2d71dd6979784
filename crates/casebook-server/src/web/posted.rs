//! A form posted by a signed-in person, its CSRF token checked before the handler runs:
//! `Checked(staff, form): Checked<Staff, ReviewForm>` gives who posted it and what, the form
//! read as axum's `Form` reads it (so a malformed one is refused the same way) and the token
//! sent in `_csrf` compared with the session's. The form's own type need not carry the token.

use axum::Form;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::app::AppState;
use crate::web::session::{Customer, Staff, Viewer, WebError};

/// Who posted a form.
pub trait Person: FromRequestParts<AppState, Rejection = WebError> + Send {
    /// The viewer behind who it is.
    fn viewer(&self) -> &Viewer;
}

impl Person for Staff {
    fn viewer(&self) -> &Viewer {
        &self.0
    }
}

impl Person for Customer {
    fn viewer(&self) -> &Viewer {
        &self.0
    }
}

/// A form that sends nothing but its token.
#[derive(Debug, Deserialize)]
pub struct Nothing {}

/// A form `T` posted by `W`, its CSRF token checked.
pub struct Checked<W, T>(pub W, pub T);

/// The token a form sends.
#[derive(Default, Deserialize)]
struct Token {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

impl<W: Person, T: DeserializeOwned + Send> FromRequest<AppState> for Checked<W, T> {
    type Rejection = Response;

    async fn from_request(req: Request, app: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let who = W::from_request_parts(&mut parts, app).await;
        let who = who.map_err(IntoResponse::into_response)?;
        let sent = Request::from_parts(parts.clone(), body);
        let bytes = Bytes::from_request(sent, app).await;
        let bytes = bytes.map_err(IntoResponse::into_response)?;
        let again = Request::from_parts(parts, Body::from(bytes.clone()));
        let form = Form::<T>::from_request(again, app).await;
        let Form(form) = form.map_err(IntoResponse::into_response)?;
        let token: Token = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        let checked = who.viewer().check_csrf(Some(&token.csrf));
        checked.map_err(IntoResponse::into_response)?;
        Ok(Checked(who, form))
    }
}
