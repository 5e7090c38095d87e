//! Pure rules of keygate: identifiers, access-key formats, scopes, grant types, token lifetimes.

pub mod access;
pub mod access_key;
pub mod authorization_code;
pub mod error_code;
pub mod grant_type;
pub mod ids;
pub mod oauth_text;
pub mod pkce;
pub mod private_key;
pub mod registration;
pub mod resource;
pub mod scope;
pub mod secret_key;
pub mod service_client;
pub mod signing_alg;
pub mod tenant;
pub mod time;
pub mod trusted_issuer;
pub mod ttl;
pub mod user;
