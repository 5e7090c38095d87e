//! The OAuth2 grant types keygate knows (RFC 6749 §4, §6).

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
}

impl GrantType {
    pub const ALL: [GrantType; 4] = [
        GrantType::ClientCredentials,
        GrantType::Password,
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
    ];

    /// The wire name (`client_credentials`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::ClientCredentials => "client_credentials",
            GrantType::Password => "password",
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
        }
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
