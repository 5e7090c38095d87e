//! `/console/signing-keys` (operators): the keys that sign tokens, each scheduled, active or retired, and rotation
//! (scheduled, or immediate for a compromised key).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{page, render, see_other, Admin, AdminForm, Nav};
use crate::domain::signing_alg::SigningAlg;
use crate::keyring::{PublishedKey, RotationTiming};
use crate::pages::extract::PageError;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "console/signing_keys.html")]
struct SigningKeysPage<'a> {
    nav: Nav,
    keys: &'a [PublishedKey],
    configured: &'a str,
}

/// A key's state as the page names it.
pub fn state_of(key: &PublishedKey) -> &'static str {
    match (key.active, key.retired_at) {
        (true, _) => "active",
        (false, Some(_)) => "retired",
        (false, None) => "scheduled",
    }
}

/// `GET /console/signing-keys`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: Admin,
) -> Result<HttpResponse, PageError> {
    admin.actor.require_global()?;
    let keys = state.keyring.current().published.clone();
    let configured = state.config.signing_alg.as_str();
    Ok(page(&req, &state, &admin, StatusCode::OK, |nav| {
        render(SigningKeysPage {
            nav,
            keys: &keys,
            configured,
        })
    }))
}

/// `POST /console/signing-keys/rotate`: `alg`, and `immediate` for a key that must stop signing now.
pub async fn rotate(
    state: web::Data<AppState>,
    AdminForm { admin, form }: AdminForm,
) -> Result<HttpResponse, PageError> {
    admin.actor.require_global()?;
    let alg =
        SigningAlg::parse(form.get("alg").unwrap_or_default()).unwrap_or(state.config.signing_alg);
    let timing = match form.get("immediate") == Some("on") {
        true => RotationTiming::immediate(&state.config),
        false => RotationTiming::scheduled(&state.config),
    };
    state
        .rotate_signing_key(&admin.actor, alg, timing)
        .await
        .map_err(PageError::unavailable)?;
    Ok(see_other("/console/signing-keys"))
}
