//! `keygate token`: an access token from an access key, for scripts and curl. A `kg_pk_` key signs a
//! `private_key_jwt` assertion (RFC 7523); a `kg_sk_` key authenticates with HTTP Basic.

use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::{json, Value};

use crate::crypto::client_keys::signer_from_private_jwk;
use crate::crypto::jwt;
use crate::domain::ids::random_base62;
use crate::domain::private_key::{self, PrivateKeyBundle};
use crate::domain::{secret_key, unix_now};
use crate::oauth::client_assertion::ASSERTION_TYPE;

/// What `keygate token` was asked for.
pub struct TokenRequest {
    pub key: String,
    pub client_id: Option<String>,
    pub issuer: String,
    pub scope: Option<String>,
    pub resources: Vec<String>,
}

/// Gets a token; returns the token endpoint's JSON answer.
pub fn fetch(request: TokenRequest) -> anyhow::Result<Value> {
    crate::crypto::install_tls_provider();
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()?;
    let mut form: Vec<(&str, String)> = vec![("grant_type", "client_credentials".into())];
    if let Some(scope) = &request.scope {
        form.push(("scope", scope.clone()));
    }
    form.extend(request.resources.iter().map(|r| ("resource", r.clone())));
    let key = request.key.trim();
    let (issuer, call) = if key.starts_with(private_key::PREFIX) {
        let bundle = PrivateKeyBundle::parse(key)?;
        let issuer = bundle.issuer.trim_end_matches('/').to_string();
        form.push(("client_assertion_type", ASSERTION_TYPE.into()));
        form.push(("client_assertion", assertion(&bundle, &issuer)?));
        (issuer.clone(), http.post(format!("{issuer}/oauth/token")))
    } else if key.starts_with(secret_key::PREFIX) {
        let issuer = request.issuer.trim_end_matches('/').to_string();
        let client_id = match request.client_id {
            Some(id) => id,
            None => discover_client_id(&http, &issuer, key)?,
        };
        (
            issuer.clone(),
            http.post(format!("{issuer}/oauth/token"))
                .basic_auth(client_id, Some(key)),
        )
    } else {
        bail!("not a keygate access key (expected kg_sk_… or kg_pk_…)");
    };
    let response = call
        .form(&form)
        .send()
        .with_context(|| format!("cannot reach {issuer}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .context("the token endpoint did not answer JSON")?;
    if !status.is_success() {
        bail!(
            "{issuer} refused: {} ({})",
            body["error"].as_str().unwrap_or("?"),
            body["error_description"].as_str().unwrap_or("")
        );
    }
    Ok(body)
}

/// A one-minute client assertion: iss = sub = client_id, aud = the token endpoint, a fresh jti.
fn assertion(bundle: &PrivateKeyBundle, issuer: &str) -> anyhow::Result<String> {
    let signer = signer_from_private_jwk(&bundle.jwk)?;
    let now = unix_now();
    let claims = json!({
        "iss": bundle.client_id,
        "sub": bundle.client_id,
        "aud": format!("{issuer}/oauth/token"),
        "iat": now,
        "exp": now + 60,
        "jti": random_base62(22),
    });
    jwt::encode(&signer, "JWT", &claims)
}

/// A secret key does not name its client: ask keygate whose it is.
fn discover_client_id(
    http: &reqwest::blocking::Client,
    issuer: &str,
    key: &str,
) -> anyhow::Result<String> {
    let response = http
        .post(format!("{issuer}/v1/verify"))
        .bearer_auth(key)
        .send()
        .with_context(|| format!("cannot reach {issuer}"))?;
    if !response.status().is_success() {
        bail!("{issuer} does not accept this key ({})", response.status());
    }
    let identity: Value = response.json()?;
    identity["client_id"]
        .as_str()
        .map(String::from)
        .context("no client_id in the verify answer")
}
