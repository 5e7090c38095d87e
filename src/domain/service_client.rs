//! Service clients: the OAuth2 clients of tenants, users and internal services, and the rules for making one.

use serde::{Deserialize, Serialize};

use super::grant_type::GrantType;
use super::ids::IdKind;
use super::scope::{self, ADMIN};
use super::ttl::TtlOverrides;
use crate::domain::time::UnixTime;

/// Who owns a client: a user, the tenant itself, or (when absent) nobody.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Owner {
    #[serde(rename = "type")]
    pub kind: OwnerKind,
    /// A user's id (`usr_…`) or the tenant's (`ten_…`), as `type` says.
    #[schema(pattern = "^(usr|ten)_[0-9A-Za-z]{22}$")]
    pub id: String,
}

/// An absolute URI without a fragment, as the OpenAPI document describes redirect URIs and origins (a safe
/// subset: any absolute URI without a fragment is accepted).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, pattern = "^[a-z][a-z0-9+.-]*://[a-z0-9.-]+(:[0-9]{1,4})?(/[A-Za-z0-9._~-]*)*$")]
pub struct AbsoluteUri(pub String);

/// The kinds of owner a client may have.
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
#[serde(rename_all = "snake_case")]
pub enum OwnerKind {
    User,
    Tenant,
}

impl OwnerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerKind::User => "user",
            OwnerKind::Tenant => "tenant",
        }
    }

    pub fn parse(s: &str) -> Option<OwnerKind> {
        match s {
            "user" => Some(OwnerKind::User),
            "tenant" => Some(OwnerKind::Tenant),
            _ => None,
        }
    }
}

/// A service client as the rest of keygate sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceClient {
    pub id: String,
    pub tenant_id: Option<String>,
    pub name: String,
    pub owner: Option<Owner>,
    pub public: bool,
    pub grant_types: Vec<GrantType>,
    pub scopes: Vec<String>,
    pub default_scopes: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub allowed_origins: Vec<String>,
    /// Where RP-initiated logout may send the browser back to (OpenID Connect RP-Initiated Logout 1.0).
    pub post_logout_redirect_uris: Vec<String>,
    pub ttl: TtlOverrides,
    pub created_at: UnixTime,
    /// Every token request must carry a DPoP proof, and its tokens are bound to the proof's key (RFC 9449 §5.2).
    pub dpop_bound_access_tokens: bool,
}

/// What a caller asks for when creating a client; `validate` before storing it.
#[derive(Debug, Clone)]
pub struct ClientSpec {
    pub name: String,
    pub tenant_id: Option<String>,
    pub owner: Option<Owner>,
    pub public: bool,
    pub grant_types: Vec<GrantType>,
    pub scopes: Vec<String>,
    pub default_scopes: Option<Vec<String>>,
    pub redirect_uris: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub ttl: TtlOverrides,
    pub dpop_bound_access_tokens: bool,
}

/// Why a client specification is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClientSpecError {
    #[error("name must be 1 to 200 characters")]
    Name,
    #[error("{0}")]
    Scope(String),
    #[error("keygate:admin may only be given to global clients (no tenant)")]
    AdminScopeInTenant,
    #[error("default scopes must be among the client's scopes")]
    DefaultScopes,
    #[error("a client needs at least one grant type")]
    NoGrantTypes,
    #[error("public clients cannot use client_credentials (RFC 6749 §4.4) or the trusted-identity grants: those act as the client itself")]
    PublicClientCredentials,
    #[error("{0:?} is not a valid id for this field")]
    BadId(String),
    #[error("a tenant owner must be the client's own tenant")]
    TenantOwner,
    /// A URI of the list named (`redirect_uris`, …).
    #[error("{1:?} is not an absolute URI without a fragment")]
    BadUri(&'static str, String),
    #[error("{0}")]
    Ttl(String),
}

impl ClientSpecError {
    /// The field of the client's JSON it is about.
    pub fn field(&self) -> &'static str {
        match self {
            ClientSpecError::Name => "name",
            ClientSpecError::Scope(_) | ClientSpecError::AdminScopeInTenant => "scopes",
            ClientSpecError::DefaultScopes => "default_scopes",
            ClientSpecError::NoGrantTypes | ClientSpecError::PublicClientCredentials => {
                "grant_types"
            }
            ClientSpecError::BadId(_) | ClientSpecError::TenantOwner => "owner",
            ClientSpecError::BadUri(field, _) => field,
            ClientSpecError::Ttl(_) => "ttl",
        }
    }
}

impl ClientSpec {
    /// A confidential client for client_credentials with the given scopes.
    pub fn confidential(name: &str, tenant_id: Option<String>, scopes: Vec<String>) -> ClientSpec {
        ClientSpec {
            name: name.to_string(),
            tenant_id,
            owner: None,
            public: false,
            grant_types: vec![GrantType::ClientCredentials],
            scopes,
            default_scopes: None,
            redirect_uris: Vec::new(),
            allowed_origins: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            ttl: TtlOverrides::default(),
            dpop_bound_access_tokens: false,
        }
    }

    /// Checks every rule of a client that needs no database (docs/contract.md, "Identifiers and references").
    pub fn validate(&self, max_access_token_ttl: i64) -> Result<(), ClientSpecError> {
        let name_len = self.name.trim().chars().count();
        if name_len == 0 || name_len > 200 {
            return Err(ClientSpecError::Name);
        }
        self.validate_ids()?;
        self.validate_scopes()?;
        if self.grant_types.is_empty() {
            return Err(ClientSpecError::NoGrantTypes);
        }
        let as_itself = |g: &GrantType| *g == GrantType::ClientCredentials || g.is_federated();
        if self.public && self.grant_types.iter().any(as_itself) {
            return Err(ClientSpecError::PublicClientCredentials);
        }
        let lists = [
            ("redirect_uris", &self.redirect_uris),
            ("allowed_origins", &self.allowed_origins),
            ("post_logout_redirect_uris", &self.post_logout_redirect_uris),
        ];
        for (field, uris) in lists {
            for uri in uris {
                let bad = || ClientSpecError::BadUri(field, uri.clone());
                let parsed = url::Url::parse(uri).map_err(|_| bad())?;
                if parsed.fragment().is_some() || parsed.cannot_be_a_base() {
                    return Err(bad());
                }
            }
        }
        self.ttl
            .validate(max_access_token_ttl)
            .map_err(ClientSpecError::Ttl)
    }

    fn validate_ids(&self) -> Result<(), ClientSpecError> {
        if let Some(tenant_id) = &self.tenant_id {
            if !IdKind::Tenant.matches(tenant_id) {
                return Err(ClientSpecError::BadId(tenant_id.clone()));
            }
        }
        match &self.owner {
            Some(Owner {
                kind: OwnerKind::Tenant,
                id,
            }) if self.tenant_id.as_ref() != Some(id) => Err(ClientSpecError::TenantOwner),
            Some(Owner {
                kind: OwnerKind::User,
                id,
            }) if !IdKind::User.matches(id) => Err(ClientSpecError::BadId(id.clone())),
            _ => Ok(()),
        }
    }

    fn validate_scopes(&self) -> Result<(), ClientSpecError> {
        if let Some(bad) = self.scopes.iter().find(|s| !scope::is_scope_token(s)) {
            return Err(ClientSpecError::Scope(format!(
                "{bad:?} is not a valid scope token"
            )));
        }
        if self.tenant_id.is_some() && self.scopes.iter().any(|s| s == ADMIN) {
            return Err(ClientSpecError::AdminScopeInTenant);
        }
        let defaults = self.default_scopes.as_deref().unwrap_or_default();
        if defaults.iter().any(|d| !self.scopes.contains(d)) {
            return Err(ClientSpecError::DefaultScopes);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: i64 = 86_400;

    #[test]
    fn admin_scope_is_only_for_global_clients() {
        let global = ClientSpec::confidential("admin", None, vec![ADMIN.into()]);
        assert_eq!(global.validate(MAX), Ok(()));
        let tenant =
            ClientSpec::confidential("x", Some(IdKind::Tenant.generate()), vec![ADMIN.into()]);
        assert_eq!(
            tenant.validate(MAX),
            Err(ClientSpecError::AdminScopeInTenant)
        );
    }

    #[test]
    fn public_clients_cannot_use_client_credentials() {
        let mut spec = ClientSpec::confidential("spa", None, vec![]);
        spec.public = true;
        assert_eq!(
            spec.validate(MAX),
            Err(ClientSpecError::PublicClientCredentials)
        );
    }

    #[test]
    fn defaults_must_be_allowed_and_names_not_blank() {
        let mut spec = ClientSpec::confidential("svc", None, vec!["a".into()]);
        spec.default_scopes = Some(vec!["b".into()]);
        assert_eq!(spec.validate(MAX), Err(ClientSpecError::DefaultScopes));
        assert_eq!(
            ClientSpec::confidential("  ", None, vec![]).validate(MAX),
            Err(ClientSpecError::Name)
        );
    }
}
