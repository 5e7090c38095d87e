//! The OAuth2 grant types keygate knows (RFC 6749 §4, §6; RFC 7523 §2.1; RFC 8693).

use serde::{Deserialize, Serialize};

/// A grant type, named as on the wire.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    ClientCredentials,
    Password,
    AuthorizationCode,
    RefreshToken,
    /// RFC 7523 §2.1: a trusted issuer's JWT as the grant.
    #[serde(rename = "urn:ietf:params:oauth:grant-type:jwt-bearer")]
    JwtBearer,
    /// RFC 8693: a trusted issuer's JWT as the subject token.
    #[serde(rename = "urn:ietf:params:oauth:grant-type:token-exchange")]
    TokenExchange,
}

impl GrantType {
    pub const ALL: [GrantType; 6] = [
        GrantType::ClientCredentials,
        GrantType::Password,
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::JwtBearer,
        GrantType::TokenExchange,
    ];

    /// The wire name (`client_credentials`, …, the URNs of the extension grants).
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::ClientCredentials => "client_credentials",
            GrantType::Password => "password",
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::JwtBearer => "urn:ietf:params:oauth:grant-type:jwt-bearer",
            GrantType::TokenExchange => "urn:ietf:params:oauth:grant-type:token-exchange",
        }
    }

    /// A short name: the wire name of RFC 6749's grants, `jwt_bearer` and `token_exchange` for the URNs. Names the
    /// grant's lifetime override (`ttl.jwt_bearer`), its metrics label and its console colour.
    pub const fn short_name(self) -> &'static str {
        match self {
            GrantType::JwtBearer => "jwt_bearer",
            GrantType::TokenExchange => "token_exchange",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::Password => "password",
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
        }
    }

    /// Whether a trusted issuer's token is the grant (no client secret or key involved).
    pub fn is_federated(self) -> bool {
        matches!(self, GrantType::JwtBearer | GrantType::TokenExchange)
    }

    /// The grant type with this wire name, if keygate knows it.
    pub fn parse(name: &str) -> Option<GrantType> {
        GrantType::ALL.into_iter().find(|g| g.as_str() == name)
    }
}

impl std::fmt::Display for GrantType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
