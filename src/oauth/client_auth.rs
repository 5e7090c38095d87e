//! Client authentication at the OAuth endpoints: which method a request uses — `client_secret_basic` (RFC 6749
//! §2.3.1), `client_secret_post`, `private_key_jwt` (RFC 7523) or a public client's `none` — one per request, and
//! the answer in RFC 6749's shape. The credentials themselves are checked in `credentials::client`.

use actix_web::http::header;
use actix_web::HttpRequest;
use secrecy::{ExposeSecret, SecretString};

use super::error::OAuthError;
use crate::credentials::client::{
    check_assertion, check_secret, decode_basic, record_failure, throttled_for, Attempt,
    AuthFailure, AuthMethod, AuthenticatedClient,
};
use crate::credentials::client_assertion::ASSERTION_TYPE;
use crate::form::OAuthForm;
use crate::state::AppState;

/// The credentials a request presented, before checking them.
pub enum Presented {
    Basic {
        client_id: String,
        secret: SecretString,
    },
    Post {
        client_id: String,
        secret: SecretString,
    },
    Assertion {
        client_id: Option<String>,
        assertion: String,
    },
    /// Only a `client_id`: the `none` method of public clients.
    ClientIdOnly(String),
    Nothing,
}

/// Finds the one authentication method a request uses.
pub fn extract(req: &HttpRequest, form: &OAuthForm) -> Result<Presented, OAuthError> {
    let authorization = req.headers().get(header::AUTHORIZATION);
    let (secret, assertion) = (form.get("client_secret"), form.get("client_assertion"));
    let methods = [
        authorization.is_some(),
        secret.is_some(),
        assertion.is_some(),
    ];
    if methods.iter().filter(|used| **used).count() > 1 {
        return Err(OAuthError::invalid_request(
            "more than one client authentication method in one request",
        ));
    }
    let client_id = form.get("client_id");
    if let Some(authorization) = authorization {
        let (basic_id, secret) = decode_basic(authorization.as_bytes()).ok_or_else(|| {
            OAuthError::invalid_client("malformed HTTP Basic authorization header", true)
        })?;
        if client_id.is_some_and(|id| id != basic_id) {
            return Err(OAuthError::invalid_request(
                "client_id in the body differs from the one in Basic",
            ));
        }
        return Ok(Presented::Basic {
            client_id: basic_id,
            secret,
        });
    }
    if let Some(assertion) = assertion {
        if form.get("client_assertion_type") != Some(ASSERTION_TYPE) {
            return Err(OAuthError::invalid_request(format!(
                "client_assertion_type must be {ASSERTION_TYPE}"
            )));
        }
        return Ok(Presented::Assertion {
            client_id: client_id.map(String::from),
            assertion: assertion.into(),
        });
    }
    Ok(match (client_id, secret) {
        (Some(id), Some(secret)) => Presented::Post {
            client_id: id.into(),
            secret: secret.into(),
        },
        (None, Some(_)) => {
            return Err(OAuthError::invalid_request(
                "client_secret without client_id",
            ))
        }
        (Some(id), None) => Presented::ClientIdOnly(id.into()),
        (None, None) => Presented::Nothing,
    })
}

impl Presented {
    /// The client id the credentials claim, before they are checked (to throttle and record failures by).
    fn claimed_id(&self) -> Option<&str> {
        match self {
            Presented::Basic { client_id, .. } | Presented::Post { client_id, .. } => {
                Some(client_id)
            }
            Presented::Assertion { client_id, .. } => client_id.as_deref(),
            Presented::ClientIdOnly(_) | Presented::Nothing => None,
        }
    }
}

/// Authenticates the client of an OAuth request at `endpoint`; every failure is `invalid_client` (401).
pub async fn authenticate(
    state: &AppState,
    req: &HttpRequest,
    form: &OAuthForm,
    endpoint: &str,
) -> Result<AuthenticatedClient, OAuthError> {
    let address = state.client_address(req);
    state
        .rate_limits
        .check_address(address)
        .map_err(OAuthError::rate_limited)?;
    let presented = extract(req, form)?;
    let claimed_id = presented.claimed_id().map(String::from);
    if let Some(seconds) = claimed_id
        .as_deref()
        .and_then(|id| throttled_for(state, address, id))
    {
        return Err(OAuthError::throttled(seconds));
    }
    let (method, outcome) = match presented {
        Presented::Basic { client_id, secret } => (
            AuthMethod::ClientSecretBasic,
            check_secret(state, Some(&client_id), secret.expose_secret()).await,
        ),
        Presented::Post { client_id, secret } => (
            AuthMethod::ClientSecretPost,
            check_secret(state, Some(&client_id), secret.expose_secret()).await,
        ),
        Presented::Assertion {
            client_id,
            assertion,
        } => (
            AuthMethod::PrivateKeyJwt,
            check_assertion(state, client_id.as_deref(), &assertion, endpoint).await,
        ),
        Presented::ClientIdOnly(client_id) => return public_client(state, &client_id).await,
        Presented::Nothing => {
            return Err(OAuthError::invalid_client(
                "client authentication is required",
                true,
            ))
        }
    };
    match outcome {
        Ok(entry) => {
            state
                .rate_limits
                .check_client(&entry.client)
                .map_err(OAuthError::rate_limited)?;
            Ok(AuthenticatedClient {
                client: entry.client.clone(),
                tenant_ttl: entry.tenant_ttl.clone(),
                method,
            })
        }
        Err(AuthFailure::Database(error)) => Err(OAuthError::database(error)),
        Err(failure) => {
            let attempt = Attempt::of(address, req.path());
            record_failure(state, attempt, claimed_id.as_deref(), &failure);
            let challenge = method == AuthMethod::ClientSecretBasic;
            Err(OAuthError::invalid_client(described(&failure), challenge))
        }
    }
}

/// What a failure tells the client: why, where that discloses nothing an attacker could not learn otherwise.
fn described(failure: &AuthFailure) -> String {
    match failure {
        AuthFailure::Malformed(_) | AuthFailure::Inactive | AuthFailure::OwnerDisabled => {
            format!("client authentication failed: {failure}")
        }
        AuthFailure::Assertion(error) if error.is_disclosable() => {
            format!("client authentication failed: {failure}")
        }
        _ => "client authentication failed".to_string(),
    }
}

/// A public client named by `client_id` alone (the `none` method); a confidential one must authenticate, and a
/// disabled user's clients are refused as their keys are.
async fn public_client(
    state: &AppState,
    client_id: &str,
) -> Result<AuthenticatedClient, OAuthError> {
    let found = crate::credentials::client::find_client(state, client_id)
        .await
        .map_err(OAuthError::database)?;
    match found.as_deref() {
        Some((row, tenant_ttl, owner_disabled))
            if row.is_public && *owner_disabled != Some(true) =>
        {
            Ok(AuthenticatedClient {
                client: row.clone().into(),
                tenant_ttl: tenant_ttl.as_ref().map(|ttl| ttl.0.clone()),
                method: AuthMethod::None,
            })
        }
        _ => Err(OAuthError::invalid_client(
            "client authentication is required",
            true,
        )),
    }
}
