//! Who a caller is, below the HTTP edges: client keys and assertions, keygate's access tokens, users' passwords.
//! The OAuth endpoints, `/v1` and the pages check credentials here and answer in their own shapes.

pub mod access_token;
pub mod client;
pub mod client_assertion;
pub mod dpop;
pub mod id_token;
pub mod trusted_identity;
pub mod user_login;
