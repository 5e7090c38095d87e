//! The JWS algorithms keygate signs with (RFC 7518 §3.1, RFC 8037 §3.1).

use serde::{Deserialize, Serialize};

/// The JWS algorithms keygate signs access tokens with.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum SigningAlg {
    RS256,
    ES256,
    EdDSA,
}

impl SigningAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::RS256 => "RS256",
            SigningAlg::ES256 => "ES256",
            SigningAlg::EdDSA => "EdDSA",
        }
    }

    pub fn parse(name: &str) -> Option<SigningAlg> {
        [SigningAlg::RS256, SigningAlg::ES256, SigningAlg::EdDSA]
            .into_iter()
            .find(|a| a.as_str() == name)
    }
}
