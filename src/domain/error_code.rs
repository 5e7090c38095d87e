//! The stable `error` codes of `/v1` answers (`{"error": code, "message": text}`): clients match on these.

use serde::Serialize;

/// Every code a `/v1` answer can carry; the wire name is the snake_case variant name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // 400, 401, 403, 404, 408, 413, 429, 500, 503: the request's shape, the caller, the server.
    InvalidRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    RequestTimeout,
    PayloadTooLarge,
    RateLimited,
    TooManyFailures,
    InternalError,
    Unavailable,
    // 409: the request collides with what exists.
    Conflict,
    SlugTaken,
    UsernameTaken,
    EmailTaken,
    RoleExists,
    TooManyKeys,
    // 422: well-formed but refused by a rule.
    InvalidTenant,
    InvalidUser,
    WeakPassword,
    InvalidClient,
    InvalidOwner,
    PublicClient,
    InvalidExpiry,
    InvalidPublicKey,
    UnsupportedAlg,
    InvalidRole,
    UnknownRole,
    InvalidRecord,
    InvalidSubject,
    InvalidResource,
    InvalidPermission,
    UnknownReference,
    InvalidTrustedIssuer,
    InvalidRegistrationToken,
    // RFC 7591 §3.2.2 and RFC 6750 §3.1, for dynamic client registration.
    InvalidClientMetadata,
    InvalidRedirectUri,
    InvalidToken,
    // RFC 9449 §7.1: a DPoP proof that does not hold.
    InvalidDpopProof,
}

impl ErrorCode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidRequest => "invalid_request",
            Unauthorized => "unauthorized",
            Forbidden => "forbidden",
            NotFound => "not_found",
            RequestTimeout => "request_timeout",
            PayloadTooLarge => "payload_too_large",
            RateLimited => "rate_limited",
            TooManyFailures => "too_many_failures",
            InternalError => "internal_error",
            Unavailable => "unavailable",
            Conflict => "conflict",
            SlugTaken => "slug_taken",
            UsernameTaken => "username_taken",
            EmailTaken => "email_taken",
            RoleExists => "role_exists",
            TooManyKeys => "too_many_keys",
            InvalidTenant => "invalid_tenant",
            InvalidUser => "invalid_user",
            WeakPassword => "weak_password",
            InvalidClient => "invalid_client",
            InvalidOwner => "invalid_owner",
            PublicClient => "public_client",
            InvalidExpiry => "invalid_expiry",
            InvalidPublicKey => "invalid_public_key",
            UnsupportedAlg => "unsupported_alg",
            InvalidRole => "invalid_role",
            UnknownRole => "unknown_role",
            InvalidRecord => "invalid_record",
            InvalidSubject => "invalid_subject",
            InvalidResource => "invalid_resource",
            InvalidPermission => "invalid_permission",
            UnknownReference => "unknown_reference",
            InvalidTrustedIssuer => "invalid_trusted_issuer",
            InvalidRegistrationToken => "invalid_registration_token",
            InvalidClientMetadata => "invalid_client_metadata",
            InvalidRedirectUri => "invalid_redirect_uri",
            InvalidToken => "invalid_token",
            InvalidDpopProof => "invalid_dpop_proof",
        }
    }
}

impl ErrorCode {
    /// The input field a code is always about, if it is.
    pub fn field(self) -> Option<&'static str> {
        use ErrorCode::*;
        Some(match self {
            SlugTaken => "slug",
            UsernameTaken => "username",
            EmailTaken => "email",
            RoleExists => "name",
            WeakPassword => "password",
            InvalidOwner => "owner",
            InvalidExpiry => "expires_at",
            InvalidPublicKey => "public_key",
            InvalidPermission => "permission",
            _ => return None,
        })
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_are_the_serde_names() {
        for code in [
            ErrorCode::InvalidRequest,
            ErrorCode::TooManyKeys,
            ErrorCode::UnknownReference,
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }
}
