//! Cryptography: the master key that encrypts signing keys at rest, signing-key generation, and JWT signing.

pub mod jwt;
pub mod master_key;
pub mod signing_key;
