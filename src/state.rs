//! `AppState`: what every handler shares.

use crate::client_address::TrustedProxies;
use crate::db::refresh_tokens::Rotation;
use crate::group_commit::GroupCommit;
use crate::replays::Replays;
use crate::service::sign_ins;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use crate::activity::Activity;
use crate::audit::AuditEvent;
use crate::audit::AuditLog;
use crate::config::Config;
use crate::crypto::client_keys;
use crate::crypto::password::PasswordHasherPool;
use crate::db::access_keys::{AccessKeyRow, KeyWithClient};
use crate::db::service_clients::ClientForToken;
use crate::db::trusted_issuers::TrustedIssuerRow;
use crate::db::{Db, DbConn};
use crate::domain::access_key::KeyRequest;
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::ClientId;
use crate::domain::service_client::ServiceClient;
use crate::domain::signing_alg::SigningAlg;
use crate::domain::time::UnixTime;
use crate::domain::ttl::TtlOverrides;
use crate::keyring::{Keyring, RotationTiming};
use crate::metrics::Metrics;
use crate::rate_limit::RateLimits;
use crate::remote_keys::RemoteKeys;
use crate::revocation::Revocations;
use crate::service::keys::{self, KeyView};
use crate::service::{clients, Actor, Changed, Effects, ServiceError};
use crate::throttle::{ClientAuthThrottle, LoginThrottle};
use crate::usage::KeyUsage;

/// An access key with its client, as read in one round trip and kept for `credential_cache_seconds`.
#[derive(Debug)]
pub struct CachedKey {
    pub key: AccessKeyRow,
    pub client: ServiceClient,
    pub tenant_ttl: Option<TtlOverrides>,
    /// The user owning the client is disabled: its keys do not work meanwhile.
    pub owner_disabled: bool,
}

impl From<KeyWithClient> for CachedKey {
    fn from((key, client, tenant_ttl, owner_disabled): KeyWithClient) -> CachedKey {
        CachedKey {
            key,
            client: client.into(),
            tenant_ttl: tenant_ttl.map(|ttl| ttl.0),
            owner_disabled: owner_disabled.unwrap_or(false),
        }
    }
}

/// Every origin some client registered for browser calls (CORS), cached briefly.
pub type OriginCache = moka::sync::Cache<(), Arc<std::collections::HashSet<String>>>;

/// Registered origins are re-read this often, so a new SPA client works within seconds on every node.
pub const ORIGINS_TTL: Duration = Duration::from_secs(10);

/// Access keys by key id. Entries expire after a bounded time so that revocation on another node is seen.
pub type CredentialCache = moka::sync::Cache<String, Arc<CachedKey>>;

/// The trusts of an issuer by its `iss`, and clients by id (those of tokens issued without an access key: trusted
/// identities', public clients'), kept like access keys (for `credential_cache_seconds`, dropped at once on this
/// node by a change): an exchange then costs one round trip, its `jti`, as a `private_key_jwt` assertion does, and
/// a public client's token none for its client.
pub type TrustCache = moka::sync::Cache<String, Arc<Vec<TrustedIssuerRow>>>;
pub type ClientCache = moka::sync::Cache<String, Arc<ClientForToken>>;

/// A DPoP proof's key as its header names it (RFC 9449 §4.2), with its algorithm and thumbprint. Every proof a client
/// makes with one key has the same header, so each node parses a header once and finds the key by its bytes after
/// that (`credentials::dpop::check`).
pub struct ProofKey {
    pub key: jsonwebtoken::DecodingKey,
    pub alg: jsonwebtoken::Algorithm,
    pub jkt: String,
}

/// Proof keys by their proofs' header segment; a key is cached only once it has made a good signature.
pub type ProofKeyCache = moka::sync::Cache<Box<str>, Arc<ProofKey>>;

/// Shared by all handlers of one node.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub keyring: Arc<Keyring>,
    pub credentials: CredentialCache,
    pub revocations: Arc<Revocations>,
    pub audit: AuditLog,
    pub usage: KeyUsage,
    pub activity: Activity,
    pub passwords: PasswordHasherPool,
    pub login_throttle: Arc<LoginThrottle>,
    pub client_auth_throttle: Arc<ClientAuthThrottle>,
    pub origins: OriginCache,
    pub metrics: Arc<Metrics>,
    pub rate_limits: Arc<RateLimits>,
    pub trusted_proxies: Arc<TrustedProxies>,
    /// Trusted issuers' keys, fetched and cached.
    pub remote_keys: Arc<RemoteKeys>,
    pub trusts: TrustCache,
    pub clients_by_id: ClientCache,
    /// Single-use identifiers, spent in groups.
    pub replays: Replays,
    /// Refresh-token rotations, written in groups on SQLite.
    pub rotations: GroupCommit<Rotation, bool>,
    /// DPoP proof keys, parsed once per node.
    pub proof_keys: ProofKeyCache,
}

impl AppState {
    pub fn new(db: Db, config: Arc<Config>, keyring: Arc<Keyring>) -> anyhow::Result<AppState> {
        let credentials = moka::sync::Cache::builder()
            .max_capacity(100_000)
            .time_to_live(Duration::from_secs(config.credential_cache_seconds.max(1)))
            .support_invalidation_closures()
            .build();
        let cached_for = Duration::from_secs(config.credential_cache_seconds.max(1));
        let trusts = moka::sync::Cache::builder()
            .max_capacity(10_000)
            .time_to_live(cached_for)
            .build();
        let clients_by_id = moka::sync::Cache::builder()
            .max_capacity(100_000)
            .time_to_live(cached_for)
            .support_invalidation_closures()
            .build();
        let rate_limits = Arc::new(RateLimits::new(&config));
        // Config::load refused a bad list; a configuration built in code with one trusts no proxy.
        let trusted_proxies =
            Arc::new(TrustedProxies::parse(&config.trusted_proxies).unwrap_or_default());
        let remote_keys = Arc::new(RemoteKeys::new(&config)?);
        Ok(AppState {
            db,
            config,
            keyring,
            credentials,
            revocations: Arc::default(),
            audit: AuditLog::default(),
            usage: KeyUsage::default(),
            activity: Activity::default(),
            passwords: PasswordHasherPool::default(),
            login_throttle: Arc::default(),
            client_auth_throttle: Arc::default(),
            origins: moka::sync::Cache::builder()
                .max_capacity(1)
                .time_to_live(ORIGINS_TTL)
                .build(),
            metrics: Arc::default(),
            rate_limits,
            trusted_proxies,
            remote_keys,
            trusts,
            clients_by_id,
            replays: crate::replays::replays(),
            rotations: GroupCommit::new("keygate-rotations", sign_ins::rotate_refresh_tokens),
            proof_keys: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_idle(Duration::from_secs(600))
                .build(),
        })
    }

    /// Where `req` comes from (see `client_address`): what throttling, rate limits and the audit count.
    pub fn client_address(&self, req: &actix_web::HttpRequest) -> Option<std::net::IpAddr> {
        crate::client_address::of(req, &self.trusted_proxies)
    }

    /// Runs a service operation on the blocking pool and applies what it changed to this node at once.
    pub async fn change<T, F>(&self, operation: F) -> Result<T, ServiceError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<Changed<T>, ServiceError> + Send + 'static,
    {
        let changed = self.db.write_as(operation).await?;
        self.apply(changed.effects);
        Ok(changed.value)
    }

    /// Adds an access key to `client_id`: refuses early what `service::keys::create` would (before an RSA key is
    /// generated for nothing), makes the key on the blocking pool, then stores it. The answer carries the key, once.
    pub async fn add_key(
        &self,
        actor: &Actor,
        client_id: &ClientId,
        request: KeyRequest,
        expires_at: Option<UnixTime>,
    ) -> Result<KeyView, ServiceError> {
        let (checker, asked) = (actor.clone(), client_id.clone());
        let client = self
            .db
            .run_as(move |conn| {
                let client = clients::find_writable(conn, &checker, &asked)?;
                keys::check_new_key(&client, expires_at).map(|()| client)
            })
            .await?;
        let (id, issuer) = (client.id.clone(), self.config.issuer());
        let made = actix_web::web::block(move || client_keys::make(request, &id, &issuer))
            .await
            .map_err(|e| ServiceError::Internal(e.into()))?
            .map_err(|e| ServiceError::refused(ErrorCode::InvalidPublicKey, e.to_string()))?;
        let (actor, client_id) = (actor.clone(), client_id.clone());
        self.change(move |conn| keys::create(conn, &actor, &client_id, &made, expires_at))
            .await
    }

    /// Rotates to a new signing key of `alg` (reloading this node's keys at once) and audits it: the new key's id.
    pub async fn rotate_signing_key(
        &self,
        actor: &Actor,
        alg: SigningAlg,
        timing: RotationTiming,
    ) -> anyhow::Result<String> {
        let kid = self.keyring.rotate(alg, timing).await?;
        self.audit.record(AuditEvent {
            actor: Some(actor.subject.clone()),
            target: Some(kid.clone()),
            ..AuditEvent::new("signing_key.rotated")
        });
        Ok(kid)
    }

    /// Forgets cached keys that a change made stale and refuses the tokens of subjects it revoked.
    pub fn apply(&self, effects: Effects) {
        if !effects.stale.is_empty() {
            let stale: HashSet<String> = effects.stale.into_iter().collect();
            for id in &stale {
                self.trusts.invalidate(id);
            }
            let gone = stale.clone();
            let invalidated = self.clients_by_id.invalidate_entries_if(move |id, entry| {
                let row = &entry.0;
                [Some(id), row.tenant_id.as_ref(), row.owner_id.as_ref()]
                    .into_iter()
                    .flatten()
                    .any(|id| gone.contains(id))
            });
            if invalidated.is_err() {
                self.clients_by_id.invalidate_all();
            }
            self.forget_keys(move |entry| {
                let client = &entry.client;
                let owner = client.owner.as_ref().map(|o| &o.id);
                [
                    Some(&entry.key.id),
                    Some(&client.id),
                    client.tenant_id.as_ref(),
                    owner,
                ]
                .into_iter()
                .flatten()
                .any(|id| stale.contains(id))
            });
        }
        self.revocations.remember_subjects(effects.revoked);
    }

    /// Drops cached keys matching `stale` on this node, so that a revocation or deletion applies at once.
    pub fn forget_keys(&self, stale: impl Fn(&CachedKey) -> bool + Send + Sync + 'static) {
        if let Err(error) = self
            .credentials
            .invalidate_entries_if(move |_, entry| stale(entry))
        {
            tracing::error!(error = %error, "credential cache invalidation failed; clearing it");
            self.credentials.invalidate_all();
        }
    }
}
