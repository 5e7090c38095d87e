//! `keygate token`: an access token from an access key, for scripts and curl, fetched by the SDK's
//! `TokenProvider` (a `kg_pk_` key signs a `private_key_jwt` assertion; a `kg_sk_` key uses HTTP Basic).

use anyhow::Context;
use serde_json::{json, Value};

/// What `keygate token` was asked for.
pub struct TokenRequest {
    pub key: String,
    pub client_id: Option<String>,
    pub issuer: String,
    pub scope: Option<String>,
    pub resources: Vec<String>,
}

/// Gets a token; returns it in the token endpoint's JSON shape.
pub fn fetch(request: TokenRequest) -> anyhow::Result<Value> {
    let mut builder = keygate_sdk::TokenProvider::builder(&request.key);
    // A private key names its keygate; the configured issuer is for secret keys.
    if !request
        .key
        .trim()
        .starts_with(keygate_sdk::private_key::PREFIX)
    {
        builder = builder.issuer(&request.issuer);
    }
    if let Some(client_id) = request.client_id {
        builder = builder.client_id(client_id);
    }
    if let Some(scope) = request.scope {
        builder = builder.scope(scope);
    }
    for resource in request.resources {
        builder = builder.resource(resource);
    }
    let provider = builder.build()?;
    let token = actix_web::rt::System::new()
        .block_on(provider.access_token())
        .with_context(|| format!("no token from {}", provider.issuer()))?;
    Ok(json!({
        "access_token": token.secret(),
        "token_type": "Bearer",
        "expires_in": token.expires_in,
        "scope": token.scope,
    }))
}
