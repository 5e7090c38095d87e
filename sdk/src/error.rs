//! The one error type of the SDK.

use std::time::Duration;

/// What went wrong fetching a token, checking a credential, or asking keygate.
///
/// ```
/// use keygate_sdk::{AccessKey, Error};
///
/// let refused = AccessKey::parse("not a key").unwrap_err();
/// assert!(matches!(refused, Error::InvalidKey(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The access key string is not a keygate access key, or the SDK was set up wrongly.
    #[error("invalid access key: {0}")]
    InvalidKey(String),
    /// The request carried no credential this SDK understands.
    #[error(
        "send Authorization: Bearer <access token or kg_sk_ key>, or Basic client credentials"
    )]
    MissingCredentials,
    /// A JWT access token failed verification.
    #[error("invalid access token: {0}")]
    InvalidToken(String),
    /// A DPoP-bound token came without a valid proof of its key for this request (RFC 9449 §7.1).
    #[error("invalid DPoP proof: {0}")]
    InvalidDpopProof(String),
    /// keygate did not accept a secret key or Basic credentials.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// keygate answered with an OAuth or API error that retrying will not change.
    #[error("keygate refused ({status}): {code}: {description}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The `error` code (`invalid_client`, `invalid_scope`, `forbidden`, …).
        code: String,
        /// The human-readable explanation, when keygate gave one.
        description: String,
    },
    /// keygate limits this caller; try again after this long.
    #[error("rate limited by keygate; retry after {0:?}")]
    Throttled(Duration),
    /// keygate could not be reached, or answered with a server error, after retries.
    #[error("keygate is unavailable: {0}")]
    Unavailable(String),
}
