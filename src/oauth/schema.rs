//! The OAuth endpoints' request bodies as `/openapi.json` describes them. The handlers read their forms by hand
//! (so that every malformation gets an RFC-shaped answer), so these types only describe; the answers are documented
//! by the types the handlers send (`token::TokenAnswer`, `introspect::IntrospectionAnswer`, `error::OAuthErrorAnswer`).

use serde::Serialize;
use utoipa::ToSchema;

/// The token request (RFC 6749 §4, RFC 7523, RFC 8707), `application/x-www-form-urlencoded`. Client
/// authentication: HTTP Basic, or `client_id` + `client_secret`, or `client_assertion_type` + `client_assertion`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct TokenForm {
    #[schema(example = "client_credentials")]
    grant_type: crate::domain::grant_type::GrantType,
    /// Space-separated scopes; absent: the client's default scopes.
    scope: Option<String>,
    /// RFC 8707 resource indicator: an absolute URI (repeatable).
    resource: Option<String>,
    /// The audience when no `resource` is given.
    audience: Option<String>,
    /// Password grant.
    username: Option<String>,
    /// Password grant.
    password: Option<String>,
    /// Refresh grant.
    refresh_token: Option<String>,
    /// Authorization code grant.
    code: Option<String>,
    /// Authorization code grant.
    redirect_uri: Option<String>,
    /// Authorization code grant (PKCE).
    code_verifier: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    #[schema(example = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")]
    client_assertion_type: Option<String>,
    client_assertion: Option<String>,
}

/// The token to introspect or revoke, `application/x-www-form-urlencoded`, with the caller's client authentication
/// as at the token endpoint.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct TokenParameter {
    token: String,
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    client_assertion_type: Option<String>,
    client_assertion: Option<String>,
}
