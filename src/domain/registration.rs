//! Dynamic client registration (RFC 7591, managed per RFC 7592): the metadata a client registers with, the policy
//! of the initial access token it registers under, and the client that metadata makes (docs/contract.md,
//! "Dynamic client registration").

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::grant_type::GrantType;
use super::scope::is_scope_token;
use super::service_client::{ClientSpec, Owner};
use super::trusted_issuer::is_loopback_host;
use super::ttl::TtlOverrides;

/// The grants a registered client may have: the ones a client uses on its own (the password grant, and the
/// trusted-identity grants that need an issuer's trust, are given by administrators only).
pub const REGISTRABLE_GRANTS: [GrantType; 3] = [
    GrantType::AuthorizationCode,
    GrantType::RefreshToken,
    GrantType::ClientCredentials,
];
/// keygate's own scopes (`keygate:admin`, `keygate:tenant-admin`, `keygate:authorize`) are never registered: they
/// are powers over keygate, given by an administrator.
const RESERVED_SCOPE_PREFIX: &str = "keygate:";
const MAX_URIS: usize = 20;
const MAX_SCOPES: usize = 50;
/// The most clients one initial access token may keep registered.
pub const MAX_CLIENTS_LIMIT: i64 = 100_000;

/// `token_endpoint_auth_method` (RFC 7591 §2): how the registered client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// A public client: no authentication, the code flow with PKCE.
    None,
    ClientSecretBasic,
    ClientSecretPost,
    /// Assertions signed with a key of the registered `jwks`.
    PrivateKeyJwt,
}

impl AuthMethod {
    pub const ALL: [AuthMethod; 4] = [
        AuthMethod::None,
        AuthMethod::ClientSecretBasic,
        AuthMethod::ClientSecretPost,
        AuthMethod::PrivateKeyJwt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::None => "none",
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
        }
    }

    /// Whether the client gets a secret key at registration.
    pub fn uses_secret(self) -> bool {
        matches!(
            self,
            AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost
        )
    }
}

/// The forms of redirect URI a policy allows: `https` anywhere, or `http` on a loopback address (RFC 8252 §7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RedirectForm {
    Https,
    Loopback,
}

/// The grants a client registered without an initial access token may have: those that act for a user who signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpenGrant {
    AuthorizationCode,
    RefreshToken,
}

/// A tenant's open registration policy as `PUT /v1/tenants/{id}/open-registration` takes it: an initial access
/// token's policy that names its grants, its scopes and its most clients (docs/contract.md).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenRegistrationInput {
    #[schema(min_items = 1)]
    pub grant_types: Vec<OpenGrant>,
    /// The scopes a client may register (never keygate's own); also what it gets when it asks for none.
    #[schema(min_items = 1, inline, value_type = Vec<crate::domain::scope::ScopeToken>)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub auth_methods: Option<Vec<AuthMethod>>,
    #[serde(default)]
    pub redirect_uri_forms: Option<Vec<RedirectForm>>,
    /// The most clients registered this way that may exist at once.
    #[serde(deserialize_with = "crate::domain::ttl::whole_number_required")]
    #[schema(minimum = 1, maximum = 100000)]
    pub max_clients: i64,
}

impl From<OpenRegistrationInput> for RegistrationPolicy {
    fn from(input: OpenRegistrationInput) -> RegistrationPolicy {
        let grant = |g: &OpenGrant| match g {
            OpenGrant::AuthorizationCode => GrantType::AuthorizationCode,
            OpenGrant::RefreshToken => GrantType::RefreshToken,
        };
        RegistrationPolicy {
            grant_types: Some(input.grant_types.iter().map(grant).collect()),
            scopes: Some(input.scopes),
            auth_methods: input.auth_methods,
            redirect_uri_forms: input.redirect_uri_forms,
            max_clients: Some(input.max_clients),
        }
    }
}

/// What the clients registered under an initial access token may be. Absent fields allow everything keygate
/// registers: the grants of `REGISTRABLE_GRANTS`, any scope but keygate's own, every authentication method, both
/// redirect forms, and any number of clients.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationPolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types: Option<Vec<GrantType>>,
    /// The scopes a client may register; also what it gets when it asks for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_methods: Option<Vec<AuthMethod>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri_forms: Option<Vec<RedirectForm>>,
    /// The most clients registered with the token that may exist at once.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::domain::ttl::whole_number"
    )]
    #[schema(minimum = 1, maximum = 100000)]
    pub max_clients: Option<i64>,
}

impl RegistrationPolicy {
    /// Refuses a policy that would allow what no registration may have; the message names the field.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if let Some(grants) = &self.grant_types {
            if let Some(bad) = grants.iter().find(|g| !REGISTRABLE_GRANTS.contains(g)) {
                return Err((
                    "policy",
                    format!("{} cannot be registered: allow only authorization_code, refresh_token or client_credentials", bad.as_str()),
                ));
            }
        }
        if let Some(scopes) = &self.scopes {
            if let Some(bad) = scopes.iter().find(|s| !registrable_scope(s)) {
                return Err((
                    "policy",
                    format!("{bad:?} cannot be registered: scope tokens, not keygate's own"),
                ));
            }
        }
        if self
            .max_clients
            .is_some_and(|n| !(1..=MAX_CLIENTS_LIMIT).contains(&n))
        {
            return Err((
                "policy",
                format!("max_clients must be 1 to {MAX_CLIENTS_LIMIT}"),
            ));
        }
        Ok(())
    }

    /// The stricter rules of a policy for registration without an initial access token, which anyone may use: it
    /// names its scopes and a most number of clients, and registers only clients that act for a user who signs in
    /// (no `client_credentials`: a stranger's client would act as the tenant's own).
    pub fn validate_open(&self) -> Result<(), (&'static str, String)> {
        self.validate()?;
        if self.scopes.is_none() {
            return Err(("policy", "open registration must name its scopes".into()));
        }
        if self.max_clients.is_none() {
            return Err((
                "policy",
                "open registration must bound its clients with max_clients".into(),
            ));
        }
        if self.allows_grant(GrantType::ClientCredentials) {
            return Err((
                "policy",
                "open registration may not allow client_credentials: name authorization_code and refresh_token in grant_types"
                    .into(),
            ));
        }
        Ok(())
    }

    fn allows_grant(&self, grant: GrantType) -> bool {
        REGISTRABLE_GRANTS.contains(&grant)
            && self.grant_types.as_ref().is_none_or(|g| g.contains(&grant))
    }

    fn allows_method(&self, method: AuthMethod) -> bool {
        self.auth_methods
            .as_ref()
            .is_none_or(|m| m.contains(&method))
    }

    fn allows_form(&self, form: RedirectForm) -> bool {
        self.redirect_uri_forms
            .as_ref()
            .is_none_or(|f| f.contains(&form))
    }
}

fn registrable_scope(scope: &str) -> bool {
    is_scope_token(scope) && !scope.starts_with(RESERVED_SCOPE_PREFIX)
}

/// A refused registration, in RFC 7591 §3.2.2's codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    #[error("{0}")]
    InvalidRedirectUri(String),
    #[error("{0}")]
    InvalidClientMetadata(String),
}

fn metadata_error(message: impl Into<String>) -> MetadataError {
    MetadataError::InvalidClientMetadata(message.into())
}

/// Client metadata as registered (RFC 7591 §2) and echoed back in every registration answer. Metadata keygate does
/// not know is ignored, as §2 asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClientMetadata {
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default = "default_auth_method")]
    pub token_endpoint_auth_method: AuthMethod,
    #[serde(default = "default_grant_types")]
    pub grant_types: Vec<GrantType>,
    /// Absent: `["code"]` with the authorization_code grant, else none.
    #[serde(default)]
    pub response_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tos_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<String>,
    /// Space-separated scopes; absent: the policy's scopes, if it names some.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The public keys of a `private_key_jwt` client, `{"keys": [...]}` (`jwks_uri` is not supported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post_logout_redirect_uris: Vec<String>,
    /// RFC 9449 §5.2: every token request of the client carries a DPoP proof.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dpop_bound_access_tokens: bool,
}

fn default_auth_method() -> AuthMethod {
    AuthMethod::ClientSecretBasic
}

fn default_grant_types() -> Vec<GrantType> {
    vec![GrantType::AuthorizationCode]
}

/// Text a person reads (a name, a version): 1 to 200 characters, no control characters.
fn readable(text: &str) -> bool {
    let length = text.chars().count();
    (1..=200).contains(&length) && !text.chars().any(char::is_control)
}

impl ClientMetadata {
    /// Reads a registration request's JSON object; a field of the wrong type is `invalid_client_metadata`.
    pub fn parse(body: Value) -> Result<ClientMetadata, MetadataError> {
        if !body.is_object() {
            return Err(metadata_error("the client metadata must be a JSON object"));
        }
        if body.get("jwks_uri").is_some() {
            return Err(metadata_error(
                "jwks_uri is not supported: register the public keys in jwks",
            ));
        }
        if body.get("software_statement").is_some() {
            return Err(metadata_error("software statements are not supported"));
        }
        let response_types_given = body.get("response_types").is_some();
        let mut metadata: ClientMetadata = serde_json::from_value(body)
            .map_err(|e| metadata_error(format!("invalid client metadata: {e}")))?;
        metadata.grant_types.dedup();
        // RFC 7591 §2's default ("code") would contradict a client that asked only for other grants.
        if !response_types_given && metadata.grant_types.contains(&GrantType::AuthorizationCode) {
            metadata.response_types = vec!["code".into()];
        }
        Ok(metadata)
    }

    /// The scopes asked for, or the policy's when none are.
    pub fn scopes(&self, policy: &RegistrationPolicy) -> Vec<String> {
        match &self.scope {
            Some(scope) => scope.split_whitespace().map(String::from).collect(),
            None => policy.scopes.clone().unwrap_or_default(),
        }
    }

    /// Checks the metadata against RFC 7591 and the token's policy.
    pub fn check(&self, policy: &RegistrationPolicy) -> Result<(), MetadataError> {
        let method = self.token_endpoint_auth_method;
        if !policy.allows_method(method) {
            return Err(metadata_error(format!(
                "token_endpoint_auth_method {} is not allowed here",
                method.as_str()
            )));
        }
        if self.grant_types.is_empty() {
            return Err(metadata_error("grant_types must name at least one grant"));
        }
        if let Some(bad) = self.grant_types.iter().find(|g| !policy.allows_grant(**g)) {
            return Err(metadata_error(format!(
                "the grant type {} is not allowed here",
                bad.as_str()
            )));
        }
        let code = self.grant_types.contains(&GrantType::AuthorizationCode);
        // RFC 7591 §2.1: the code grant and the code response type go together; keygate has no implicit flow.
        let answers_code = !self.response_types.is_empty();
        if self.response_types.iter().any(|r| r != "code") || code != answers_code {
            return Err(metadata_error(
                "response_types must be [\"code\"] with the authorization_code grant, and empty without it",
            ));
        }
        if method == AuthMethod::None && self.grant_types.contains(&GrantType::ClientCredentials) {
            return Err(metadata_error(
                "a client without authentication (none) cannot use client_credentials",
            ));
        }
        match (method, &self.jwks) {
            (AuthMethod::PrivateKeyJwt, None) => {
                return Err(metadata_error(
                    "private_key_jwt needs the client's public keys in jwks",
                ))
            }
            (AuthMethod::PrivateKeyJwt, Some(jwks)) => {
                let keys = jwks.get("keys").and_then(Value::as_array);
                if keys.is_none_or(|k| k.is_empty()) {
                    return Err(metadata_error(
                        "jwks must be {\"keys\": [...]} with at least one public key",
                    ));
                }
            }
            (_, Some(_)) => {
                return Err(metadata_error("jwks is only for private_key_jwt"));
            }
            (_, None) => {}
        }
        self.check_redirect_uris(policy, code)?;
        let scopes = self.scopes(policy);
        if scopes.len() > MAX_SCOPES {
            return Err(metadata_error(format!("at most {MAX_SCOPES} scopes")));
        }
        for scope in &scopes {
            let allowed = policy.scopes.as_ref().is_none_or(|s| s.contains(scope));
            if !registrable_scope(scope) || !allowed {
                return Err(metadata_error(format!(
                    "the scope {scope:?} is not allowed here"
                )));
            }
        }
        for (field, text) in [
            ("client_name", &self.client_name),
            ("software_id", &self.software_id),
            ("software_version", &self.software_version),
        ] {
            if text.as_deref().is_some_and(|t| !readable(t)) {
                return Err(metadata_error(format!(
                    "{field} must be 1 to 200 characters without control characters"
                )));
            }
        }
        for (field, uri) in [
            ("client_uri", &self.client_uri),
            ("logo_uri", &self.logo_uri),
            ("tos_uri", &self.tos_uri),
            ("policy_uri", &self.policy_uri),
        ] {
            let web_page = |u: &str| url::Url::parse(u).is_ok_and(|u| u.scheme() == "https");
            if uri
                .as_deref()
                .is_some_and(|u| !web_page(u) || u.len() > 2000)
            {
                return Err(metadata_error(format!("{field} must be an https URL")));
            }
        }
        if self.contacts.len() > MAX_URIS || self.contacts.iter().any(|c| !readable(c)) {
            return Err(metadata_error(format!(
                "contacts must be at most {MAX_URIS} addresses of 1 to 200 characters"
            )));
        }
        Ok(())
    }

    /// Redirect URIs (RFC 7591 §2, RFC 8252 §7.3 and §8.4): required for the code grant, each `https` or `http` on a
    /// loopback address as the policy allows, absolute, without a fragment.
    fn check_redirect_uris(
        &self,
        policy: &RegistrationPolicy,
        code: bool,
    ) -> Result<(), MetadataError> {
        if code && self.redirect_uris.is_empty() {
            return Err(MetadataError::InvalidRedirectUri(
                "the authorization_code grant needs redirect_uris".into(),
            ));
        }
        if self.redirect_uris.len() > MAX_URIS || self.post_logout_redirect_uris.len() > MAX_URIS {
            return Err(MetadataError::InvalidRedirectUri(format!(
                "at most {MAX_URIS} redirect URIs"
            )));
        }
        for uri in self
            .redirect_uris
            .iter()
            .chain(&self.post_logout_redirect_uris)
        {
            let refuse = |why: &str| MetadataError::InvalidRedirectUri(format!("{uri:?} {why}"));
            let parsed = url::Url::parse(uri).map_err(|_| refuse("is not an absolute URI"))?;
            if parsed.fragment().is_some() || uri.contains('#') {
                return Err(refuse("has a fragment (RFC 6749 §3.1.2)"));
            }
            if uri.len() > 2000 || parsed.cannot_be_a_base() || parsed.host().is_none() {
                return Err(refuse("is not a web address of at most 2000 characters"));
            }
            let form = match parsed.scheme() {
                "https" => RedirectForm::Https,
                "http" if is_loopback_host(&parsed) => RedirectForm::Loopback,
                _ => {
                    return Err(refuse(
                        "must be https, or http on a loopback address (RFC 8252 §7.3)",
                    ))
                }
            };
            if !policy.allows_form(form) {
                return Err(refuse("is of a form this registration does not allow"));
            }
        }
        Ok(())
    }

    /// The client this metadata makes in `tenant_id`, owned by `owner`. A public client's redirect origins may call
    /// the token endpoint from a browser.
    pub fn client_spec(
        &self,
        tenant_id: &str,
        owner: Option<Owner>,
        policy: &RegistrationPolicy,
    ) -> ClientSpec {
        let public = self.token_endpoint_auth_method == AuthMethod::None;
        let mut allowed_origins: Vec<String> = Vec::new();
        if public {
            for uri in &self.redirect_uris {
                if let Ok(url) = url::Url::parse(uri) {
                    let origin = url.origin().ascii_serialization();
                    if !allowed_origins.contains(&origin) {
                        allowed_origins.push(origin);
                    }
                }
            }
        }
        ClientSpec {
            name: self
                .client_name
                .clone()
                .unwrap_or_else(|| "Registered client".into()),
            tenant_id: Some(tenant_id.to_string()),
            owner,
            public,
            grant_types: self.grant_types.clone(),
            scopes: self.scopes(policy),
            default_scopes: None,
            redirect_uris: self.redirect_uris.clone(),
            allowed_origins,
            post_logout_redirect_uris: self.post_logout_redirect_uris.clone(),
            ttl: TtlOverrides::default(),
            dpop_bound_access_tokens: self.dpop_bound_access_tokens,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn metadata(body: Value) -> Result<ClientMetadata, MetadataError> {
        let metadata = ClientMetadata::parse(body)?;
        metadata.check(&RegistrationPolicy::default())?;
        Ok(metadata)
    }

    #[test]
    fn a_native_client_with_a_loopback_redirect_registers_as_public() {
        let m = metadata(json!({"redirect_uris": ["http://127.0.0.1:5173/callback"],
            "token_endpoint_auth_method": "none", "grant_types": ["authorization_code", "refresh_token"],
            "client_name": "agent", "unknown_field": 1}))
        .unwrap();
        let spec = m.client_spec("ten_x", None, &RegistrationPolicy::default());
        assert!(spec.public);
        assert_eq!(spec.allowed_origins, ["http://127.0.0.1:5173"]);
        assert_eq!(m.response_types, ["code"]);
        let backend = metadata(json!({"grant_types": ["client_credentials"]})).unwrap();
        assert!(
            backend.response_types.is_empty(),
            "no code response for a backend"
        );
    }

    #[test]
    fn redirect_uris_of_other_forms_and_fragments_are_invalid_redirect_uri() {
        for uri in [
            "http://example.com/cb",
            "https://example.com/cb#x",
            "myapp:/cb",
            "relative",
        ] {
            let body = json!({"redirect_uris": [uri]});
            assert!(
                matches!(metadata(body), Err(MetadataError::InvalidRedirectUri(_))),
                "{uri}"
            );
        }
        let https_only = RegistrationPolicy {
            redirect_uri_forms: Some(vec![RedirectForm::Https]),
            ..Default::default()
        };
        let loopback =
            ClientMetadata::parse(json!({"redirect_uris": ["http://localhost:1/cb"]})).unwrap();
        assert!(loopback.check(&https_only).is_err());
    }

    #[test]
    fn keygates_own_scopes_and_unregistrable_grants_are_refused() {
        for body in [
            json!({"grant_types": ["client_credentials"], "response_types": [], "scope": "keygate:admin"}),
            json!({"grant_types": ["password"], "response_types": []}),
            json!({"grant_types": ["client_credentials"], "response_types": [], "token_endpoint_auth_method": "none"}),
            json!({"grant_types": ["client_credentials"], "response_types": [], "token_endpoint_auth_method": "private_key_jwt"}),
            json!({"redirect_uris": ["https://a.example/cb"], "response_types": ["token"]}),
            json!({"redirect_uris": "https://a.example/cb"}),
        ] {
            assert!(
                matches!(
                    metadata(body.clone()),
                    Err(MetadataError::InvalidClientMetadata(_))
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn a_policy_bounds_scopes_methods_and_grants() {
        let policy = RegistrationPolicy {
            scopes: Some(vec!["mcp:tools".into()]),
            auth_methods: Some(vec![AuthMethod::None]),
            ..Default::default()
        };
        let asked = |body: Value| ClientMetadata::parse(body).unwrap().check(&policy);
        let base = json!({"redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "none"});
        assert!(asked(base.clone()).is_ok());
        let mut wider = base.clone();
        wider["scope"] = json!("mcp:tools files:write");
        assert!(asked(wider).is_err());
        let mut secret = base;
        secret["token_endpoint_auth_method"] = json!("client_secret_basic");
        assert!(asked(secret).is_err());
        assert!(RegistrationPolicy {
            grant_types: Some(vec![GrantType::Password]),
            ..Default::default()
        }
        .validate()
        .is_err());
    }
}
