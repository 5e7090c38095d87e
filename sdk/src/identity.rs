//! Who a verified caller is.

use serde::Deserialize;

/// How the caller proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum VerifiedBy {
    /// A keygate JWT access token, verified against the JWKS.
    AccessToken,
    /// A secret key sent as `Authorization: Bearer kg_sk_…`, verified by keygate.
    SecretKey,
    /// Client id and secret key with HTTP Basic, verified by keygate.
    Basic,
    /// A trusted issuer's own JWT (a CI job's, a Kubernetes service account's), mapped to its client by keygate
    /// (see [`VerifierBuilder::trusted_identities`](crate::VerifierBuilder::trusted_identities)).
    TrustedIdentity,
}

/// The workload identity behind a trusted-identity credential: the external JWT's issuer and subject.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ExternalIdentity {
    /// The external issuer (`iss`), such as `https://token.actions.githubusercontent.com`.
    #[serde(rename = "iss")]
    pub issuer: String,
    /// Its subject (`sub`), such as `repo:acme/api:ref:refs/heads/main`.
    #[serde(rename = "sub")]
    pub subject: String,
}

/// The identity behind a verified credential.
///
/// ```
/// # fn check(identity: &keygate_sdk::Identity) {
/// if identity.has_scope("documents:read") {
///     println!("{} of tenant {:?}", identity.subject, identity.tenant_id);
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The user of a user's token, else the client.
    pub subject: String,
    /// The service client.
    pub client_id: String,
    /// The client's tenant; `None` for global clients.
    pub tenant_id: Option<String>,
    /// The token's scopes, or all the client's scopes for a key.
    pub scopes: Vec<String>,
    /// The access key used (secret keys and Basic).
    pub key_id: Option<String>,
    /// When an access token (or a trusted issuer's JWT) expires (Unix seconds).
    pub expires_at: Option<i64>,
    /// The external identity, for a trusted issuer's JWT and for an access token exchanged for one.
    pub external: Option<ExternalIdentity>,
    /// The thumbprint of the DPoP key a bound token was proved with (RFC 9449 `cnf.jkt`).
    pub dpop_jkt: Option<String>,
    /// How the credential was checked.
    pub verified_by: VerifiedBy,
}

impl Identity {
    /// Whether the credential carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// The answer of `POST /v1/verify`.
#[derive(Deserialize)]
pub(crate) struct VerifyAnswer {
    sub: String,
    client_id: String,
    tid: Option<String>,
    #[serde(default)]
    scope: String,
    key_id: Option<String>,
    exp: Option<i64>,
    ext: Option<ExternalIdentity>,
    cnf: Option<Confirmation>,
    verified_by: VerifiedBy,
}

/// A token's `cnf` claim (RFC 7800), as far as DPoP uses it.
#[derive(Deserialize)]
pub(crate) struct Confirmation {
    pub(crate) jkt: String,
}

impl From<VerifyAnswer> for Identity {
    fn from(answer: VerifyAnswer) -> Identity {
        Identity {
            subject: answer.sub,
            client_id: answer.client_id,
            tenant_id: answer.tid,
            scopes: split_scope(&answer.scope),
            key_id: answer.key_id,
            expires_at: answer.exp,
            external: answer.ext,
            dpop_jkt: answer.cnf.map(|c| c.jkt),
            verified_by: answer.verified_by,
        }
    }
}

/// The tokens of a space-separated `scope`.
pub(crate) fn split_scope(scope: &str) -> Vec<String> {
    scope.split_whitespace().map(String::from).collect()
}
