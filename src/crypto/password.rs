//! User passwords: argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane), run on the blocking pool behind a
//! limit of one hash per core, so that a burst of sign-ins queues instead of exhausting memory and threads.

use std::sync::{Arc, LazyLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

/// The shortest and longest passwords accepted (NIST SP 800-63B: at least 8; a cap keeps hashing bounded).
pub const MIN_LENGTH: usize = 8;
pub const MAX_LENGTH: usize = 256;

/// A hash of a password nobody has, so that an unknown user costs the same as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    hash_blocking(&SecretString::from("keygate-dummy-password")).unwrap_or_default()
});

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Why a password is not acceptable as a new password.
pub fn check_policy(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if !(MIN_LENGTH..=MAX_LENGTH).contains(&length) {
        return Err(format!(
            "passwords must be {MIN_LENGTH} to {MAX_LENGTH} characters"
        ));
    }
    Ok(())
}

/// The PHC string of a new salted hash. Slow on purpose: call it from the blocking pool.
pub fn hash_blocking(password: &SecretString) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = argon2()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `password` matches `hash`; `None` stands for an unknown user and is checked against a dummy hash.
pub fn verify_blocking(password: &SecretString, hash: Option<&str>) -> bool {
    let known = hash.is_some();
    let stored = hash.unwrap_or(DUMMY_HASH.as_str());
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    argon2()
        .verify_password(password.expose_secret().as_bytes(), &parsed)
        .is_ok()
        && known
}

/// Runs argon2 work on the blocking pool, at most one job per core at a time.
#[derive(Clone)]
pub struct PasswordHasherPool {
    permits: Arc<Semaphore>,
}

impl Default for PasswordHasherPool {
    fn default() -> Self {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        PasswordHasherPool {
            permits: Arc::new(Semaphore::new(cores)),
        }
    }
}

impl PasswordHasherPool {
    pub async fn hash(&self, password: SecretString) -> anyhow::Result<String> {
        let _permit = self.permits.acquire().await?;
        actix_web::web::block(move || hash_blocking(&password)).await?
    }

    pub async fn verify(
        &self,
        password: SecretString,
        hash: Option<String>,
    ) -> anyhow::Result<bool> {
        let _permit = self.permits.acquire().await?;
        Ok(actix_web::web::block(move || verify_blocking(&password, hash.as_deref())).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password_and_unknown_users_never_match() {
        let hash = hash_blocking(&"correct horse".to_string().into()).unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_blocking(
            &"correct horse".to_string().into(),
            Some(&hash)
        ));
        assert!(!verify_blocking(
            &"wrong horse".to_string().into(),
            Some(&hash)
        ));
        assert!(!verify_blocking(
            &"keygate-dummy-password".to_string().into(),
            None
        ));
    }

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert!(check_policy("short").is_err());
        assert!(check_policy(&"x".repeat(300)).is_err());
        assert!(check_policy("long enough").is_ok());
    }
}
