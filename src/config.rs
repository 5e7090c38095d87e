//! Configuration: built-in defaults, then a TOML file, then `KEYGATE_*` environment variables (which win).
//!
//! Every key below can be set in the TOML file under its name, or as `KEYGATE_` + its name in upper case:
//!
//! | key | default | meaning |
//! |---|---|---|
//! | `bind` | `127.0.0.1:8080` | address the HTTP server listens on |
//! | `issuer` | `http://` + `bind` | the `iss` of every token and the base of every endpoint URL |
//! | `database_url` | `keygate.db` | an SQLite file path (or `sqlite://path`), or `postgres://…` |
//! | `database_pool_size` | `10` | connections per node |
//! | `database_timeout_seconds` | `3` | longest wait for a database connection; then the request answers 503 |
//! | `master_key` | – | base64 of 32 bytes that encrypt signing keys at rest |
//! | `master_key_file` | `keygate.master.key` | file holding the master key; created (0600) when absent |
//! | `signing_alg` | `RS256` | `RS256`, `ES256` or `EdDSA` for new signing keys |
//! | `ttl_client_credentials` | `3600` | access-token lifetime for the client_credentials grant, seconds |
//! | `ttl_password` | `900` | access-token lifetime for the password grant |
//! | `ttl_authorization_code` | `900` | access-token lifetime for the authorization_code grant |
//! | `ttl_refresh_token` | `2592000` | refresh-token lifetime: a sign-in's absolute limit |
//! | `ttl_jwt_bearer` | `900` | access-token lifetime for the jwt-bearer grant (a trusted issuer's token) |
//! | `ttl_token_exchange` | `900` | access-token lifetime for token exchange (a trusted issuer's token) |
//! | `refresh_token_idle_seconds` | `1209600` | a refresh token unused this long expires (idle limit) |
//! | `max_access_token_ttl` | `86400` | ceiling for every access-token lifetime, overrides included |
//! | `max_assertion_lifetime` | `3600` | how far ahead a `private_key_jwt` assertion's `exp` may be, seconds (Authlib signs 1 h) |
//! | `default_audience` | the issuer | `aud` of tokens requested without `resource`/`audience` |
//! | `credential_cache_seconds` | `5` | how long a node trusts a cached access key (revocation bound for other nodes) |
//! | `signing_key_refresh_seconds` | `30` | how often a node reloads signing keys from the database |
//! | `jwks_max_age` | `300` | `Cache-Control: max-age` of the JWKS |
//! | `workers` | number of cores | HTTP worker threads |
//! | `request_timeout_seconds` | `5` | a client must send a request's headers within this, else 408 and close |
//! | `body_timeout_seconds` | `10` | a client must send a request's whole body within this, else 408 |
//! | `keep_alive_seconds` | `5` | an idle keep-alive connection is closed after this |
//! | `max_connections` | `25000` | open connections per worker; further ones wait in the listen backlog |
//! | `shutdown_grace_seconds` | `30` | on SIGTERM/SIGINT, in-flight requests get this long to finish |
//! | `rate_limit_per_client` | `1000` | requests per second one client may make at the token, introspection, revocation and verify endpoints (burst: twice that); `0`: off |
//! | `rate_limit_per_tenant` | `5000` | the same for all clients of one tenant together |
//! | `rate_limit_per_address` | `0` (off) | requests per second from one source address at those endpoints and sign-in |
//! | `trusted_proxies` | `[]` | addresses or CIDR ranges of reverse proxies whose `X-Forwarded-For`/`Forwarded` name the client; from anyone else the TCP peer is the client |
//! | `trusted_issuer_fetch_timeout_ms` | `3000` | longest a fetch of a trusted issuer's discovery document or JWKS may take |
//! | `trusted_issuer_refetch_cooldown_seconds` | `30` | a trusted issuer's keys are fetched again for an unknown `kid` at most this often |
//! | `trusted_issuer_max_stale_seconds` | `86400` | how long the last good keys of an issuer that cannot be reached keep serving |
//! | `trusted_issuer_loopback_http` | `false` | allow `http://` issuers and JWKS on loopback addresses (tests and development) |
//! | `trusted_issuer_private_networks` | `false` | allow issuers and JWKS on private, loopback and link-local addresses |
//! | `registration_tenant` | unset | slug of the tenant that a registration without an initial access token goes to when it names none (`?tenant=`), for agents that know only the metadata; that tenant must have open registration on |
//! | `open_registration_per_address_per_hour` | `10` | registrations without an initial access token one source address may make an hour (burst: as many); `0`: off |
//! | `self_service_roles` | `["Admin", "Editor", "Creator", "Viewer"]` | roles users may pick on `/account/keys` (those the tenant has) |

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::domain::signing_alg::SigningAlg;
use crate::domain::ttl::TtlOverrides;

/// The whole configuration of one keygate process.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Config {
    pub bind: String,
    pub issuer: Option<String>,
    pub database_url: String,
    pub database_pool_size: u32,
    pub database_timeout_seconds: u64,
    #[serde(skip_serializing)]
    pub master_key: Option<SecretString>,
    pub master_key_file: PathBuf,
    pub signing_alg: SigningAlg,
    pub ttl_client_credentials: i64,
    pub ttl_password: i64,
    pub ttl_authorization_code: i64,
    pub ttl_refresh_token: i64,
    pub ttl_jwt_bearer: i64,
    pub ttl_token_exchange: i64,
    pub refresh_token_idle_seconds: i64,
    pub max_access_token_ttl: i64,
    pub max_assertion_lifetime: i64,
    pub default_audience: Option<String>,
    pub credential_cache_seconds: u64,
    pub signing_key_refresh_seconds: u64,
    pub jwks_max_age: u64,
    /// The tick of a node's periodic work (audit and key-use writes, revocation sync, keyring reload), in ms.
    pub background_tick_ms: u64,
    pub workers: Option<usize>,
    pub request_timeout_seconds: u64,
    pub body_timeout_seconds: u64,
    pub keep_alive_seconds: u64,
    pub max_connections: usize,
    pub shutdown_grace_seconds: u64,
    pub rate_limit_per_client: u32,
    pub rate_limit_per_tenant: u32,
    pub rate_limit_per_address: u32,
    pub trusted_proxies: Vec<String>,
    pub trusted_issuer_fetch_timeout_ms: u64,
    pub trusted_issuer_refetch_cooldown_seconds: u64,
    pub trusted_issuer_max_stale_seconds: u64,
    pub trusted_issuer_loopback_http: bool,
    pub trusted_issuer_private_networks: bool,
    pub registration_tenant: Option<String>,
    pub open_registration_per_address_per_hour: u32,
    pub self_service_roles: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1:8080".into(),
            issuer: None,
            database_url: "keygate.db".into(),
            database_pool_size: 10,
            database_timeout_seconds: 3,
            master_key: None,
            master_key_file: "keygate.master.key".into(),
            signing_alg: SigningAlg::RS256,
            ttl_client_credentials: 3600,
            ttl_password: 900,
            ttl_authorization_code: 900,
            ttl_refresh_token: 30 * 24 * 3600,
            ttl_jwt_bearer: 900,
            ttl_token_exchange: 900,
            refresh_token_idle_seconds: 14 * 24 * 3600,
            max_access_token_ttl: 24 * 3600,
            max_assertion_lifetime: 3600,
            default_audience: None,
            credential_cache_seconds: 5,
            signing_key_refresh_seconds: 30,
            jwks_max_age: 300,
            background_tick_ms: 2000,
            workers: None,
            request_timeout_seconds: 5,
            body_timeout_seconds: 10,
            keep_alive_seconds: 5,
            max_connections: 25_000,
            shutdown_grace_seconds: 30,
            rate_limit_per_client: 1000,
            rate_limit_per_tenant: 5000,
            rate_limit_per_address: 0,
            trusted_proxies: Vec::new(),
            trusted_issuer_fetch_timeout_ms: 3000,
            trusted_issuer_refetch_cooldown_seconds: 30,
            trusted_issuer_max_stale_seconds: 24 * 3600,
            trusted_issuer_loopback_http: false,
            trusted_issuer_private_networks: false,
            registration_tenant: None,
            open_registration_per_address_per_hour: 10,
            self_service_roles: ["Admin", "Editor", "Creator", "Viewer"]
                .map(String::from)
                .to_vec(),
        }
    }
}

impl Config {
    /// Defaults, then the TOML file (when given), then `KEYGATE_*` variables.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            anyhow::ensure!(
                path.exists(),
                "configuration file {} does not exist",
                path.display()
            );
            figment = figment.merge(Toml::file(path));
        }
        // KEYGATE_CONFIG names the file itself; it is not a setting.
        let env = Env::prefixed("KEYGATE_").ignore(&["CONFIG", "LOG", "LOG_FORMAT"]);
        let config: Config = figment
            .merge(env)
            .extract()
            .context("invalid configuration")?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        let ttls = self.server_ttl();
        for value in [
            ttls.client_credentials,
            ttls.password,
            ttls.authorization_code,
            ttls.jwt_bearer,
            ttls.token_exchange,
        ] {
            let ttl = value.unwrap_or_default();
            anyhow::ensure!(
                ttl > 0 && ttl <= self.max_access_token_ttl,
                "access-token lifetimes must be between 1 and max_access_token_ttl ({}) seconds",
                self.max_access_token_ttl
            );
        }
        anyhow::ensure!(
            self.ttl_refresh_token > 0,
            "ttl_refresh_token must be positive"
        );
        anyhow::ensure!(
            self.database_pool_size > 0,
            "database_pool_size must be positive"
        );
        anyhow::ensure!(
            self.database_timeout_seconds > 0
                && self.request_timeout_seconds > 0
                && self.body_timeout_seconds > 0,
            "database_timeout_seconds, request_timeout_seconds and body_timeout_seconds must be positive"
        );
        crate::client_address::TrustedProxies::parse(&self.trusted_proxies)?;
        anyhow::ensure!(
            self.max_assertion_lifetime > 0,
            "max_assertion_lifetime must be positive"
        );
        anyhow::ensure!(self.max_connections > 0, "max_connections must be positive");
        anyhow::ensure!(
            (1..=60_000).contains(&self.trusted_issuer_fetch_timeout_ms),
            "trusted_issuer_fetch_timeout_ms must be 1 to 60000"
        );
        anyhow::ensure!(
            (10..=60_000).contains(&self.background_tick_ms),
            "background_tick_ms must be 10 to 60000"
        );
        Ok(())
    }

    /// The server-wide token lifetimes, the last step of TTL resolution.
    pub fn background_tick(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.background_tick_ms)
    }

    /// Ticks between two runs of a task due every `seconds` (at least one).
    pub fn ticks_per(&self, seconds: u64) -> u64 {
        (seconds.saturating_mul(1000) / self.background_tick_ms).max(1)
    }

    pub fn server_ttl(&self) -> TtlOverrides {
        TtlOverrides {
            client_credentials: Some(self.ttl_client_credentials),
            password: Some(self.ttl_password),
            authorization_code: Some(self.ttl_authorization_code),
            refresh_token: Some(self.ttl_refresh_token),
            jwt_bearer: Some(self.ttl_jwt_bearer),
            token_exchange: Some(self.ttl_token_exchange),
        }
    }

    /// The issuer URL without a trailing slash.
    pub fn issuer(&self) -> String {
        match &self.issuer {
            Some(issuer) => issuer.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.bind),
        }
    }

    /// The issuer as seen once the listener is bound (port 0 resolves to the real port).
    pub fn with_bound_address(mut self, addr: SocketAddr) -> Config {
        if self.issuer.is_none() {
            self.issuer = Some(format!("http://{addr}"));
        }
        self.bind = addr.to_string();
        self
    }

    /// Which URLs a trusted issuer may name.
    pub fn trusted_issuer_urls(&self) -> crate::domain::trusted_issuer::UrlPolicy {
        crate::domain::trusted_issuer::UrlPolicy {
            loopback_http: self.trusted_issuer_loopback_http,
        }
    }

    pub fn default_audience(&self) -> String {
        self.default_audience
            .clone()
            .unwrap_or_else(|| self.issuer())
    }
}
