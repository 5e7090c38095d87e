//! The keyring: the signing key in use and the JWKS, loaded from the database, decrypted once, and reloaded
//! periodically so that a rotation made by another node or the CLI is picked up.

use std::sync::{Arc, RwLock};

use anyhow::Context;
use serde_json::{json, Value};

use crate::crypto::jwt::{self, VerifyingKeys};
use crate::crypto::master_key::MasterKey;
use crate::crypto::signing_key::{self, Signer, SigningAlg};
use crate::db::signing_keys::{self, SigningKeyRow};
use crate::db::{Db, DbConn};
use crate::domain::unix_now;

/// What a node signs with and publishes, as of its last load.
pub struct LoadedKeys {
    pub signer: Arc<Signer>,
    /// The serialized JWKS document (RFC 7517 §5).
    pub jwks: actix_web::web::Bytes,
    /// Every published key, to verify our own tokens.
    pub verifying: VerifyingKeys,
    /// The published keys' metadata, for `/v1/signing-keys`.
    pub published: Vec<PublishedKey>,
}

/// A published signing key, without its private part.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PublishedKey {
    pub kid: String,
    pub alg: String,
    pub created_at: i64,
    /// When a newer key took over; absent for the active key.
    pub retired_at: Option<i64>,
    /// Until when a retired key stays in the JWKS.
    pub published_until: Option<i64>,
    pub active: bool,
}

/// The shared, periodically refreshed keyring.
pub struct Keyring {
    current: RwLock<Arc<LoadedKeys>>,
    db: Db,
    master_key: Arc<MasterKey>,
}

impl Keyring {
    /// Makes sure an active key of `alg` exists (creating one on first start), then loads the keyring.
    pub async fn open(
        db: Db,
        master_key: Arc<MasterKey>,
        alg: SigningAlg,
        retire_for: i64,
    ) -> anyhow::Result<Keyring> {
        let (db2, key2) = (db.clone(), master_key.clone());
        let loaded = actix_web::web::block(move || -> anyhow::Result<LoadedKeys> {
            let mut conn = db2.conn()?;
            ensure_active_key(&mut conn, &key2, alg, retire_for)?;
            load(&mut conn, &key2)
        })
        .await??;
        Ok(Keyring {
            current: RwLock::new(Arc::new(loaded)),
            db,
            master_key,
        })
    }

    /// The keys as of the last load.
    pub fn current(&self) -> Arc<LoadedKeys> {
        self.current
            .read()
            .map(|keys| keys.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Rotates to a new key of `alg` and applies it on this node at once.
    pub async fn rotate(&self, alg: SigningAlg, retire_for: i64) -> anyhow::Result<String> {
        let (db, master_key) = (self.db.clone(), self.master_key.clone());
        let kid =
            actix_web::web::block(move || rotate(&mut *db.conn()?, &master_key, alg, retire_for))
                .await??;
        self.reload().await?;
        Ok(kid)
    }

    /// Reloads from the database; on failure the keys in memory stay in use.
    pub async fn reload(&self) -> anyhow::Result<()> {
        let (db, master_key) = (self.db.clone(), self.master_key.clone());
        let loaded = actix_web::web::block(move || load(&mut *db.conn()?, &master_key)).await??;
        match self.current.write() {
            Ok(mut current) => *current = Arc::new(loaded),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(loaded),
        }
        Ok(())
    }
}

/// Creates a signing key when there is no active one, or when the active one uses another algorithm.
fn ensure_active_key(
    conn: &mut DbConn,
    master_key: &MasterKey,
    alg: SigningAlg,
    retire_for: i64,
) -> anyhow::Result<()> {
    let published = signing_keys::find_published(conn, unix_now())?;
    let active = published.iter().find(|k| k.retired_at.is_none());
    if active.is_none_or(|k| k.alg != alg.as_str()) {
        let kid = rotate(conn, master_key, alg, retire_for)?;
        tracing::info!(kid, alg = alg.as_str(), "created a signing key");
    }
    Ok(())
}

/// Generates a new signing key, seals it, stores it, and retires the previous one for `retire_for` seconds.
pub fn rotate(
    conn: &mut DbConn,
    master_key: &MasterKey,
    alg: SigningAlg,
    retire_for: i64,
) -> anyhow::Result<String> {
    let generated = signing_key::generate(alg)?;
    let now = unix_now();
    let row = SigningKeyRow {
        private_key: master_key.seal(generated.kid.as_bytes(), &generated.pkcs8)?,
        public_jwk: generated.public_jwk.to_string(),
        kid: generated.kid.clone(),
        alg: alg.as_str().to_string(),
        created_at: now,
        retired_at: None,
        published_until: None,
    };
    signing_keys::rotate(conn, &row, now + retire_for)?;
    Ok(generated.kid)
}

fn load(conn: &mut DbConn, master_key: &MasterKey) -> anyhow::Result<LoadedKeys> {
    let published = signing_keys::find_published(conn, unix_now())?;
    let active = published
        .iter()
        .find(|k| k.retired_at.is_none())
        .context("no active signing key in the database (run `keygate signing-key rotate`)")?;
    let alg = SigningAlg::parse(&active.alg)
        .with_context(|| format!("unknown algorithm {}", active.alg))?;
    let pkcs8 = master_key
        .open(active.kid.as_bytes(), &active.private_key)
        .with_context(|| {
            format!(
                "cannot decrypt signing key {}: is this the master key it was made with?",
                active.kid
            )
        })?;
    let signer = Signer::from_pkcs8(&active.kid, alg, &pkcs8)?;
    let keys: Vec<Value> = published
        .iter()
        .filter_map(|k| serde_json::from_str(&k.public_jwk).ok())
        .collect();
    let jwks = serde_json::to_vec(&json!({ "keys": keys }))?;
    let verifying = keys
        .iter()
        .filter_map(|jwk| {
            Some((
                jwk.get("kid")?.as_str()?.to_string(),
                jwt::verifying_key(jwk)?,
            ))
        })
        .collect();
    let published = published
        .iter()
        .map(|k| PublishedKey {
            kid: k.kid.clone(),
            alg: k.alg.clone(),
            created_at: k.created_at,
            retired_at: k.retired_at,
            published_until: k.published_until,
            active: k.kid == active.kid,
        })
        .collect();
    Ok(LoadedKeys {
        signer: Arc::new(signer),
        jwks: jwks.into(),
        verifying,
        published,
    })
}
