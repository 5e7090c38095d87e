//! Who is calling `/v1`: a keygate access token (`Bearer`) or client credentials (`Basic`), and what they may see.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use secrecy::ExposeSecret;

use crate::domain::scope::{ADMIN, AUTHORIZE, TENANT_ADMIN};
use crate::error::ApiError;
use crate::oauth::access_token;
use crate::oauth::client_auth::{self, decode_basic, AuthFailure};
use crate::state::AppState;

const NOT_ADMIN: &str = "this endpoint needs the keygate:admin or keygate:tenant-admin scope";

/// What a caller administers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// `keygate:admin` held by a global client: everything.
    Global,
    /// `keygate:tenant-admin`: everything inside this tenant.
    Tenant(String),
    /// Neither: only what `/v1/self` and `/v1/verify` offer.
    None,
}

/// The authenticated caller of a `/v1` endpoint.
#[derive(Debug, Clone)]
pub struct Principal {
    pub client_id: String,
    pub tenant_id: Option<String>,
    /// The user for user tokens, else the client.
    pub subject: String,
    pub access: Access,
    /// Holds `keygate:authorize`: may ask `/v1/authorize` without administering anything.
    pub may_authorize: bool,
}

impl Principal {
    fn new(
        client_id: String,
        tenant_id: Option<String>,
        subject: String,
        scopes: &[&str],
    ) -> Principal {
        let access = match &tenant_id {
            None if scopes.contains(&ADMIN) => Access::Global,
            Some(tenant) if scopes.contains(&TENANT_ADMIN) => Access::Tenant(tenant.clone()),
            _ => Access::None,
        };
        Principal {
            client_id,
            tenant_id,
            subject,
            access,
            may_authorize: scopes.contains(&AUTHORIZE),
        }
    }

    /// Refuses callers who administer nothing.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self.access {
            Access::None => Err(ApiError::forbidden(NOT_ADMIN)),
            _ => Ok(()),
        }
    }

    /// Refuses everyone but global admins.
    pub fn require_global(&self) -> Result<(), ApiError> {
        match self.access {
            Access::Global => Ok(()),
            _ => Err(ApiError::forbidden(
                "this endpoint needs the keygate:admin scope of a global client",
            )),
        }
    }

    /// Whether an object of `tenant_id` is visible to this caller.
    pub fn can_see(&self, tenant_id: Option<&str>) -> bool {
        match &self.access {
            Access::Global => true,
            Access::Tenant(own) => tenant_id == Some(own.as_str()),
            Access::None => false,
        }
    }

    /// The tenant a listing is limited to: the caller's own for tenant admins, else what was asked.
    pub fn tenant_filter(&self, requested: Option<String>) -> Result<Option<String>, ApiError> {
        match (&self.access, requested) {
            (Access::Global, requested) => Ok(requested),
            (Access::Tenant(own), Some(requested)) if &requested != own => {
                Err(ApiError::not_found("tenant"))
            }
            (Access::Tenant(own), _) => Ok(Some(own.clone())),
            (Access::None, _) => Err(ApiError::forbidden(NOT_ADMIN)),
        }
    }
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Principal, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await })
    }
}

async fn authenticate(req: &HttpRequest) -> Result<Principal, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no state")))?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if let Some(token) = strip_scheme(value, "Bearer") {
        let claims = access_token::verify(state, token)
            .map_err(|e| ApiError::unauthorized(format!("invalid access token: {e}")))?;
        // A token minted for another API must not administer keygate.
        if !claims.aud.contains(&state.config.issuer()) {
            return Err(ApiError::unauthorized(
                "this access token is not meant for keygate (aud)",
            ));
        }
        let scopes: Vec<&str> = claims.scopes().collect();
        return Ok(Principal::new(
            claims.client_id.clone(),
            claims.tid.clone(),
            claims.sub.clone(),
            &scopes,
        ));
    }
    let (client_id, secret) = decode_basic(value.as_bytes()).ok_or_else(|| {
        ApiError::unauthorized("send a Bearer access token or Basic client credentials")
    })?;
    if let Some(seconds) = client_auth::throttled_for(state, req, &client_id) {
        return Err(ApiError::throttled(seconds));
    }
    match client_auth::check_secret(state, Some(&client_id), secret.expose_secret()).await {
        Ok(entry) => {
            let client = &entry.client;
            let scopes: Vec<&str> = client.scopes.iter().map(String::as_str).collect();
            Ok(Principal::new(
                client.id.clone(),
                client.tenant_id.clone(),
                client.id.clone(),
                &scopes,
            ))
        }
        Err(AuthFailure::Database(error)) => Err(error.into()),
        Err(failure) => {
            client_auth::record_failure(state, req, Some(&client_id), &failure);
            Err(ApiError::unauthorized("client authentication failed"))
        }
    }
}

/// The credentials after `scheme ` (case-insensitive), if the header uses that scheme.
pub fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (name, rest) = value.split_once(' ')?;
    name.eq_ignore_ascii_case(scheme)
        .then(|| rest.trim())
        .filter(|rest| !rest.is_empty())
}
