//! The OAuth endpoints as `/openapi.json` describes them. The handlers read their forms by hand (so that every
//! malformation gets an RFC-shaped answer); these types say what those forms and answers hold.

use serde::Serialize;
use utoipa::ToSchema;

/// The token request (RFC 6749 §4, RFC 7523, RFC 8707), `application/x-www-form-urlencoded`. Client
/// authentication: HTTP Basic, or `client_id` + `client_secret`, or `client_assertion_type` + `client_assertion`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct TokenForm {
    #[schema(example = "client_credentials")]
    grant_type: GrantTypeName,
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

/// The grant types keygate supports.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum GrantTypeName {
    ClientCredentials,
    Password,
    RefreshToken,
    AuthorizationCode,
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct TokenAnswer {
    /// An RFC 9068 JWT.
    access_token: String,
    #[schema(example = "Bearer")]
    token_type: String,
    expires_in: i64,
    scope: String,
    /// With the password and authorization code grants, and rotated on every refresh.
    refresh_token: Option<String>,
}

/// An OAuth error (RFC 6749 §5.2).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct OAuthErrorAnswer {
    #[schema(example = "invalid_client")]
    error: String,
    error_description: String,
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

/// RFC 7662 §2.2: `{"active": false}` alone, or the token's claims.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct IntrospectionAnswer {
    active: bool,
    scope: Option<String>,
    client_id: Option<String>,
    sub: Option<String>,
    /// One audience, or several.
    aud: Option<serde_json::Value>,
    iss: Option<String>,
    exp: Option<i64>,
    iat: Option<i64>,
    jti: Option<String>,
    /// The tenant; null for a global client's token.
    tid: Option<String>,
    gty: Option<String>,
    token_type: Option<String>,
}
