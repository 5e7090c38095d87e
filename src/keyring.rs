//! The keyring: the signing key in use and the JWKS, loaded from the database, decrypted once, and reloaded
//! periodically so that a rotation made by another node or the CLI is picked up.

use std::sync::{Arc, RwLock};

use anyhow::Context;
use serde_json::{json, Value};

use crate::config::Config;
use crate::crypto::jwt::{self, VerifyingKeys};
use crate::crypto::master_key::MasterKey;
use crate::crypto::signing_key::{self, Signer};
use crate::db::column::Json;
use crate::db::signing_keys::{self, SigningKeyRow};
use crate::db::{Db, DbConn};
use crate::domain::signing_alg::SigningAlg;
use crate::domain::time::UnixTime;

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
    pub alg: SigningAlg,
    pub created_at: UnixTime,
    /// When it stops signing (a newer key takes over); absent for the newest key.
    pub retired_at: Option<UnixTime>,
    /// Until when a retired key stays in the JWKS.
    pub published_until: Option<i64>,
    /// When it starts signing: a rotated key is published first.
    pub activates_at: UnixTime,
    /// Whether this node signs with it now.
    pub active: bool,
}

/// The shared, periodically refreshed keyring.
pub struct Keyring {
    current: RwLock<Arc<LoadedKeys>>,
    db: Db,
    master_key: Arc<MasterKey>,
}

impl Keyring {
    /// Makes sure a key of `alg` exists (the first one active at once, a change of algorithm scheduled), then loads
    /// the keyring.
    pub async fn open(
        db: Db,
        master_key: Arc<MasterKey>,
        alg: SigningAlg,
        timing: RotationTiming,
    ) -> anyhow::Result<Keyring> {
        let (db2, key2) = (db.clone(), master_key.clone());
        let loaded = actix_web::web::block(move || -> anyhow::Result<LoadedKeys> {
            let mut conn = db2.conn()?;
            ensure_key(&mut conn, &key2, alg, timing)?;
            load(&mut conn, &key2)
        })
        .await??;
        Ok(Keyring {
            current: RwLock::new(Arc::new(loaded)),
            db,
            master_key,
        })
    }

    /// The key that binds page forms' CSRF tokens, derived from the master key.
    pub fn forms_key(&self) -> &aws_lc_rs::hmac::Key {
        self.master_key.forms_key()
    }

    /// The keys as of the last load.
    pub fn current(&self) -> Arc<LoadedKeys> {
        self.current
            .read()
            .map(|keys| keys.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Rotates to a new key of `alg` and reloads this node's keys at once.
    pub async fn rotate(&self, alg: SigningAlg, timing: RotationTiming) -> anyhow::Result<String> {
        let (db, master_key) = (self.db.clone(), self.master_key.clone());
        let kid = actix_web::web::block(move || rotate(&mut *db.conn()?, &master_key, alg, timing))
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

/// When a rotated key starts signing, and how long the key it replaces stays published.
#[derive(Debug, Clone, Copy)]
pub struct RotationTiming {
    /// Seconds from the rotation until the new key signs.
    pub activates_in: i64,
    /// Seconds a replaced key stays in the JWKS after it stops signing: the longest access-token lifetime.
    pub retire_for: i64,
}

impl RotationTiming {
    /// The new key is in every node's JWKS (one keyring reload) and in every verifier's cached copy (one JWKS
    /// max-age) before any node signs with it, so no verifier meets an unknown `kid`. One more second covers
    /// times kept in whole seconds.
    pub fn scheduled(config: &Config) -> RotationTiming {
        RotationTiming {
            activates_in: (config.jwks_max_age + reload_every(config) + 1) as i64,
            retire_for: config.max_access_token_ttl,
        }
    }

    /// The new key signs at once (the old one may be compromised); verifiers refetch on the unknown `kid`.
    pub fn immediate(config: &Config) -> RotationTiming {
        RotationTiming {
            activates_in: 0,
            retire_for: config.max_access_token_ttl,
        }
    }
}

/// Whole seconds, rounded up, between two keyring reloads of a node: the configured refresh in background ticks.
fn reload_every(config: &Config) -> u64 {
    let ticks = config.ticks_per(config.signing_key_refresh_seconds);
    (ticks * config.background_tick_ms).div_ceil(1000)
}

/// Makes the first signing key, active at once, or schedules a key of `alg` when the newest key has another one.
fn ensure_key(
    conn: &mut DbConn,
    master_key: &MasterKey,
    alg: SigningAlg,
    timing: RotationTiming,
) -> anyhow::Result<()> {
    let newest_is = |keys: &[SigningKeyRow]| {
        keys.iter()
            .max_by_key(|k| (k.activates_at, k.created_at))
            .map(|k| k.alg == alg)
    };
    let published = signing_keys::find_published(conn, UnixTime::now())?;
    // A node given the wrong master key must not add a key only it can open: check before writing anything.
    if let Some(newest) = published
        .iter()
        .max_by_key(|k| (k.activates_at, k.created_at))
    {
        master_key
            .open(newest.kid.as_bytes(), &newest.private_key)
            .with_context(|| {
                format!(
                    "cannot decrypt signing key {}: is this the master key it was made with?",
                    newest.kid
                )
            })?;
    }
    let timing = match newest_is(&published) {
        Some(true) => return Ok(()),
        Some(false) => timing,
        None => RotationTiming {
            activates_in: 0,
            ..timing
        },
    };
    // Two nodes starting together on an empty database: the check is repeated under the rotation lock.
    if let Some(kid) = rotate_if(conn, master_key, alg, timing, |keys| {
        newest_is(keys) != Some(true)
    })? {
        tracing::info!(kid, alg = alg.as_str(), "created a signing key");
    }
    Ok(())
}

/// Generates a new signing key, seals it, and stores it to sign from `timing.activates_in` seconds on, when the
/// previous key retires.
pub fn rotate(
    conn: &mut DbConn,
    master_key: &MasterKey,
    alg: SigningAlg,
    timing: RotationTiming,
) -> anyhow::Result<String> {
    rotate_if(conn, master_key, alg, timing, |_| true)?.context("the rotation was not stored")
}

fn rotate_if(
    conn: &mut DbConn,
    master_key: &MasterKey,
    alg: SigningAlg,
    timing: RotationTiming,
    needed: impl FnOnce(&[SigningKeyRow]) -> bool,
) -> anyhow::Result<Option<String>> {
    let generated = signing_key::generate(alg)?;
    let now = UnixTime::now();
    let row = SigningKeyRow {
        private_key: master_key.seal(generated.kid.as_bytes(), &generated.pkcs8)?,
        public_jwk: Json(generated.public_jwk),
        kid: generated.kid.clone(),
        alg,
        created_at: now,
        retired_at: None,
        published_until: None,
        activates_at: now + timing.activates_in,
    };
    let stored = signing_keys::rotate_if(conn, &row, timing.retire_for, needed)?;
    Ok(stored.then_some(generated.kid))
}

fn load(conn: &mut DbConn, master_key: &MasterKey) -> anyhow::Result<LoadedKeys> {
    let now = UnixTime::now();
    let published = signing_keys::find_published(conn, now)?;
    let active = published
        .iter()
        .filter(|k| k.activates_at <= now && k.retired_at.is_none_or(|retired| retired > now))
        .max_by_key(|k| (k.activates_at, k.created_at))
        .context("no active signing key in the database (run `keygate signing-key rotate`)")?;
    let pkcs8 = master_key
        .open(active.kid.as_bytes(), &active.private_key)
        .with_context(|| {
            format!(
                "cannot decrypt signing key {}: is this the master key it was made with?",
                active.kid
            )
        })?;
    let signer = Signer::from_pkcs8(&active.kid, active.alg, &pkcs8)?;
    let keys: Vec<&Value> = published.iter().map(|k| &k.public_jwk.0).collect();
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
            alg: k.alg,
            created_at: k.created_at,
            retired_at: k.retired_at,
            published_until: k.published_until,
            activates_at: k.activates_at,
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
