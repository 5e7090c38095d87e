//! OpenID Connect ID tokens (Core 1.0 §2): who signed in, for which client, when, in which session. Signed by the
//! keyring like access tokens, with `typ: JWT`, so that neither passes for the other. The profile and email claims
//! are also what userinfo answers (Core 1.0 §5.3).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::crypto::jwt;
use crate::db::users::UserRow;
use crate::domain::scope::Scopes;
use crate::domain::signing_alg::SigningAlg;
use crate::domain::time::UnixTime;
use crate::state::AppState;

/// The `typ` of an ID token (Core 1.0 does not register one; `JWT` is what libraries expect, and it is not `at+jwt`).
pub const TYPE: &str = "JWT";

/// The scope that asks for an ID token.
pub const OPENID: &str = "openid";

/// What an ID token says of a sign-in: whose, when, in which session, and the nonce to echo.
pub struct SignInFacts {
    pub user: UserRow,
    pub auth_time: UnixTime,
    pub nonce: Option<String>,
    pub session_id: Option<String>,
}

/// The standard claims a user's profile gives, as far as the granted scopes allow (Core 1.0 §5.4).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ProfileClaims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
}

impl ProfileClaims {
    /// `profile` gives `name` and `preferred_username`; `email` gives `email` and `email_verified` when set.
    pub fn of(user: &UserRow, scopes: &Scopes) -> ProfileClaims {
        let has = |scope: &str| scopes.tokens().iter().any(|s| s == scope);
        let (profile, email) = (has("profile"), has("email") && user.email.is_some());
        ProfileClaims {
            name: user.display_name.clone().filter(|_| profile),
            preferred_username: profile.then(|| user.username.clone()),
            email: user.email.clone().filter(|_| email),
            email_verified: email.then_some(user.email_verified),
        }
    }
}

/// The claims of an ID token (Core 1.0 §2, §3.1.3.6).
#[derive(Debug, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub azp: String,
    pub exp: UnixTime,
    pub iat: UnixTime,
    pub auth_time: UnixTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub tid: String,
    #[serde(flatten)]
    pub profile: ProfileClaims,
}

/// Whether `scopes` ask for an ID token.
pub fn is_requested(scopes: &Scopes) -> bool {
    scopes.tokens().iter().any(|s| s == OPENID)
}

/// `at_hash`: the left half of the access token's hash with the hash of the signing algorithm (Core 1.0 §3.1.3.6;
/// SHA-512 for Ed25519, as OpenID's EdDSA registration and the client libraries take it).
fn at_hash(alg: SigningAlg, access_token: &str) -> String {
    let algorithm = match alg {
        SigningAlg::RS256 | SigningAlg::ES256 => &aws_lc_rs::digest::SHA256,
        SigningAlg::EdDSA => &aws_lc_rs::digest::SHA512,
    };
    let digest = aws_lc_rs::digest::digest(algorithm, access_token.as_bytes());
    let bytes = digest.as_ref();
    URL_SAFE_NO_PAD.encode(&bytes[..bytes.len() / 2])
}

/// Signs the ID token of a sign-in for `client_id`, issued beside `access_token` and living as long.
pub fn sign(
    state: &AppState,
    client_id: &str,
    facts: SignInFacts,
    scopes: &Scopes,
    access_token: &str,
    expires_in: i64,
) -> anyhow::Result<String> {
    let keys = state.keyring.current();
    let iat = UnixTime::now();
    let claims = IdTokenClaims {
        iss: state.config.issuer(),
        sub: facts.user.id.clone(),
        aud: client_id.to_string(),
        azp: client_id.to_string(),
        exp: iat + expires_in,
        iat,
        auth_time: facts.auth_time,
        nonce: facts.nonce,
        at_hash: Some(at_hash(keys.signer.alg, access_token)),
        sid: facts.session_id,
        tid: facts.user.tenant_id.clone(),
        profile: ProfileClaims::of(&facts.user, scopes),
    };
    jwt::encode(&keys.signer, TYPE, &claims)
}

/// An ID token keygate issued, checked for the signature and issuer only: `id_token_hint` may name an expired one
/// (RP-Initiated Logout 1.0 §2).
pub fn verify_hint(state: &AppState, token: &str) -> Option<IdTokenClaims> {
    let keys = state.keyring.current();
    jwt::verify_signature(&keys.verifying, token, TYPE, &state.config.issuer()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The access token and `at_hash` of OpenID Connect Core 1.0 §A.3 (RS256: the left 128 bits of SHA-256).
    #[test]
    fn at_hash_is_the_left_half_of_the_hash() {
        let hash = at_hash(
            SigningAlg::RS256,
            "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y",
        );
        assert_eq!(hash, "77QmUPtjPfzWtF2AnpK9RQ");
        assert_eq!(at_hash(SigningAlg::EdDSA, "x").len(), 43);
    }
}
