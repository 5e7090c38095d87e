//! Token lifetimes per grant type, resolved client → tenant → server default.

use serde::{Deserialize, Serialize};

use super::grant_type::GrantType;

/// How long a sign-in to the account pages lasts.
pub const ACCOUNT_SESSION_SECONDS: i64 = 3600;

/// Lifetimes in seconds, each optional: a client's or tenant's overrides, or the server's values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TtlOverrides {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "whole_number"
    )]
    #[schema(minimum = 1)]
    pub client_credentials: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "whole_number"
    )]
    #[schema(minimum = 1)]
    pub password: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "whole_number"
    )]
    #[schema(minimum = 1)]
    pub authorization_code: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "whole_number"
    )]
    #[schema(minimum = 1)]
    pub refresh_token: Option<i64>,
    /// The RFC 7523 grant (a trusted issuer's JWT).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "whole_number"
    )]
    #[schema(minimum = 1)]
    pub jwt_bearer: Option<i64>,
    /// RFC 8693 token exchange (a trusted issuer's JWT).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "whole_number"
    )]
    #[schema(minimum = 1)]
    pub token_exchange: Option<i64>,
}

/// An optional integer as JSON Schema's `integer` means it: `3600` or `3600.0` (any number without a fraction).
pub fn whole_number<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    use serde::de::Error;
    match Option::<serde_json::Number>::deserialize(deserializer)? {
        None => Ok(None),
        Some(number) => number
            .as_i64()
            .or_else(|| {
                number
                    .as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            })
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("{number} is not a whole number of seconds"))),
    }
}

/// [`whole_number`] for a field that must be present.
pub fn whole_number_required<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<i64, D::Error> {
    use serde::de::Error;
    whole_number(deserializer)?.ok_or_else(|| D::Error::custom("a whole number is required"))
}

/// Where an effective lifetime came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TtlSource {
    Client,
    Tenant,
    Server,
}

impl TtlSource {
    pub fn as_str(self) -> &'static str {
        match self {
            TtlSource::Client => "client",
            TtlSource::Tenant => "tenant",
            TtlSource::Server => "server",
        }
    }
}

/// An effective lifetime and its origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EffectiveTtl {
    pub seconds: i64,
    pub source: TtlSource,
}

impl TtlOverrides {
    /// The override for one grant type.
    pub fn get(&self, grant: GrantType) -> Option<i64> {
        match grant {
            GrantType::ClientCredentials => self.client_credentials,
            GrantType::Password => self.password,
            GrantType::AuthorizationCode => self.authorization_code,
            GrantType::RefreshToken => self.refresh_token,
            GrantType::JwtBearer => self.jwt_bearer,
            GrantType::TokenExchange => self.token_exchange,
        }
    }

    /// The override for one grant type, to set.
    pub fn get_mut(&mut self, grant: GrantType) -> &mut Option<i64> {
        match grant {
            GrantType::ClientCredentials => &mut self.client_credentials,
            GrantType::Password => &mut self.password,
            GrantType::AuthorizationCode => &mut self.authorization_code,
            GrantType::RefreshToken => &mut self.refresh_token,
            GrantType::JwtBearer => &mut self.jwt_bearer,
            GrantType::TokenExchange => &mut self.token_exchange,
        }
    }

    /// Refuses lifetimes that are not positive or that exceed the server's ceiling for access tokens.
    pub fn validate(&self, max_access_token_ttl: i64) -> Result<(), String> {
        for grant in GrantType::ALL {
            let Some(seconds) = self.get(grant) else {
                continue;
            };
            let ceiling = match grant {
                GrantType::RefreshToken => i64::MAX,
                _ => max_access_token_ttl,
            };
            if seconds <= 0 || seconds > ceiling {
                return Err(format!(
                    "ttl for {} must be between 1 and {ceiling} seconds",
                    grant.short_name()
                ));
            }
        }
        Ok(())
    }
}

/// The lifetime for `grant`: the client's override, else the tenant's, else the server's.
pub fn resolve(
    grant: GrantType,
    client: &TtlOverrides,
    tenant: Option<&TtlOverrides>,
    server: &TtlOverrides,
) -> EffectiveTtl {
    if let Some(seconds) = client.get(grant) {
        return EffectiveTtl {
            seconds,
            source: TtlSource::Client,
        };
    }
    if let Some(seconds) = tenant.and_then(|t| t.get(grant)) {
        return EffectiveTtl {
            seconds,
            source: TtlSource::Tenant,
        };
    }
    let seconds = server.get(grant).unwrap_or(900);
    EffectiveTtl {
        seconds,
        source: TtlSource::Server,
    }
}

/// Every grant's effective lifetime, by the grant's short name (its override's name).
pub fn resolve_all(
    client: &TtlOverrides,
    tenant: Option<&TtlOverrides>,
    server: &TtlOverrides,
) -> std::collections::BTreeMap<String, EffectiveTtl> {
    GrantType::ALL
        .into_iter()
        .map(|grant| {
            (
                grant.short_name().to_string(),
                resolve(grant, client, tenant, server),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only_cc(seconds: i64) -> TtlOverrides {
        TtlOverrides {
            client_credentials: Some(seconds),
            ..Default::default()
        }
    }

    #[test]
    fn client_beats_tenant_beats_server() {
        let server = only_cc(3600);
        let grant = GrantType::ClientCredentials;
        let none = TtlOverrides::default();
        assert_eq!(
            resolve(grant, &none, None, &server).source,
            TtlSource::Server
        );
        assert_eq!(
            resolve(grant, &none, Some(&only_cc(60)), &server).seconds,
            60
        );
        let from_client = resolve(grant, &only_cc(30), Some(&only_cc(60)), &server);
        assert_eq!(
            from_client,
            EffectiveTtl {
                seconds: 30,
                source: TtlSource::Client
            }
        );
    }

    #[test]
    fn lifetimes_over_the_ceiling_are_refused() {
        assert!(only_cc(86_400).validate(86_400).is_ok());
        assert!(only_cc(86_401).validate(86_400).is_err());
        assert!(only_cc(0).validate(86_400).is_err());
    }
}
