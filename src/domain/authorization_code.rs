//! Authorization codes (RFC 6749 §4.1): how long one lives and how it is stored.

/// How long a code may wait to be exchanged (RFC 6749 §4.1.2 recommends at most 10 minutes).
pub const LIFETIME_SECONDS: i64 = 60;

/// The stored form of a code: its SHA-256, hex.
pub fn hash(code: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, code.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}
