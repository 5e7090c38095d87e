//! Private access keys: `kg_pk_` + base64url(JSON `{client_id, issuer, jwk}`) (docs/contract.md, "Access keys"). The format has one
//! home, the SDK, which reads what keygate writes with it.

pub use keygate_sdk::private_key::{PrivateKeyBundle, PrivateKeyError, PREFIX};
