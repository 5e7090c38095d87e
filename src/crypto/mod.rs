//! Cryptography: the master key that encrypts signing keys at rest, signing-key generation, and JWT signing.

pub mod client_keys;
pub mod jwt;
pub mod master_key;
pub mod password;
pub mod signing_key;

/// Makes aws-lc-rs the process's rustls provider (for outgoing HTTPS); later calls do nothing.
pub fn install_tls_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}
