//! Verification for resource servers: keygate JWTs offline against the JWKS, and secret keys or Basic credentials
//! through `POST /v1/verify` with a short cache.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use aws_lc_rs::digest::{digest, SHA256};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use tokio::sync::{Mutex, OnceCell};

use crate::access_key::SECRET_PREFIX;
use crate::dpop::{ProvedRequest, SpentProofs};
use crate::http::{self, Retry};
use crate::identity::{split_scope, Confirmation, ExternalIdentity, VerifyAnswer};
use crate::jwks::{self, KeySet, VerifyingKey};
use crate::{Error, Identity, ResourceMetadata, VerifiedBy};

/// Verifies what callers of a resource server send: `Bearer <keygate JWT>`, `Bearer kg_sk_…`, or Basic.
///
/// JWTs are checked here, with no round trip once the JWKS is cached: signature by a published key whose `alg`
/// is allowed and is the key's own, `typ` `at+jwt` (RFC 9068), `iss`, `aud` when an audience is set, `exp` and
/// `nbf` with leeway. The JWKS is kept for its `Cache-Control: max-age` and refetched early when a token names
/// an unknown `kid`, at most once per `refetch_interval`. Secret keys and Basic credentials are sent to keygate
/// and the answer kept for `credential_cache` (keyed by a hash, never by the secret). Cheap to clone.
///
/// ```no_run
/// # async fn run(authorization: &str) -> Result<(), keygate_sdk::Error> {
/// use keygate_sdk::Verifier;
///
/// let verifier = Verifier::builder("https://auth.example.com")
///     .audience("https://api.example.com")
///     .build();
/// let identity = verifier.verify_authorization(authorization).await?;
/// println!("called by {}", identity.subject);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    retry: Retry,
    issuer: String,
    validations: Vec<(Algorithm, Validation)>,
    refetch_interval: Duration,
    jwks_uri: OnceCell<String>,
    keys: RwLock<Option<Arc<KeySet>>>,
    /// Held while fetching the JWKS; holds when it was last attempted.
    last_fetch: Mutex<Option<Instant>>,
    credentials: Option<moka::future::Cache<[u8; 32], Identity>>,
    realm: String,
    trusted_identities: bool,
    spent_proofs: SpentProofs,
    public_url: Option<String>,
    resource_metadata: Option<ResourceMetadata>,
}

/// Builds a [`Verifier`] with options.
///
/// ```no_run
/// use std::time::Duration;
/// use jsonwebtoken::Algorithm;
/// use keygate_sdk::Verifier;
///
/// let verifier = Verifier::builder("https://auth.example.com")
///     .algorithms(&[Algorithm::EdDSA])
///     .leeway(Duration::from_secs(10))
///     .credential_cache(Duration::ZERO)
///     .build();
/// ```
pub struct VerifierBuilder {
    issuer: String,
    audience: Option<String>,
    algorithms: Vec<Algorithm>,
    leeway: Duration,
    refetch_interval: Duration,
    credential_cache: Duration,
    realm: String,
    http: Option<reqwest::Client>,
    trusted_identities: bool,
    public_url: Option<String>,
    resource: Option<(String, Vec<String>)>,
}

impl VerifierBuilder {
    /// Accept only tokens whose `aud` contains `audience` (default: any audience).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The JWS algorithms to accept (default RS256, ES256, EdDSA: keygate's; never `none` or HMAC).
    pub fn algorithms(mut self, algorithms: &[Algorithm]) -> Self {
        self.algorithms = algorithms.to_vec();
        self
    }

    /// Clock skew allowed on `exp` and `nbf` (default 30 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The shortest time between two JWKS fetches, however many unknown `kid`s arrive (default 10 s).
    pub fn refetch_interval(mut self, interval: Duration) -> Self {
        self.refetch_interval = interval;
        self
    }

    /// How long keygate's answer about a secret key or Basic credentials is reused (default 5 s; zero: ask every
    /// time). A revoked key is refused by this process at most this long after keygate refuses it.
    pub fn credential_cache(mut self, ttl: Duration) -> Self {
        self.credential_cache = ttl;
        self
    }

    /// The realm named in `WWW-Authenticate` challenges (default `api`).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// Also accept the JWTs of the issuers keygate trusts (a CI job's or a Kubernetes service account's own token):
    /// a JWT whose `iss` is not keygate's is sent to `POST /v1/verify`, which checks it against its trust and maps
    /// it to the client, and the answer is reused like a secret key's ([`credential_cache`](Self::credential_cache)).
    /// The trust's audiences apply to such a token, not [`audience`](Self::audience). Default off: a JWT of another
    /// issuer is refused here, without a request.
    pub fn trusted_identities(mut self, accept: bool) -> Self {
        self.trusted_identities = accept;
        self
    }

    /// Where clients reach this API, before the path (`https://api.example.com`): the URL a DPoP proof names is this
    /// and the request's path. Default: the request's scheme and `Host` as actix-web sees them, which behind a
    /// proxy are the proxy's unless it forwards them.
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into().trim_end_matches('/').to_string());
        self
    }

    /// This API's resource identifier (its URL, `https://api.example.com` or `https://api.example.com/mcp`) and the
    /// scopes it knows: its protected resource metadata (RFC 9728) names keygate as its authorization server, and a
    /// 401 points to that metadata (`resource_metadata="…"`), so that an agent that has only the API's URL finds
    /// where to register and sign in. Serve it with [`actix::resource_metadata`](crate::actix::resource_metadata).
    /// Tokens requested with `resource=` this URL carry it as `aud`: set [`audience`](Self::audience) to it too.
    pub fn resource(mut self, resource: impl Into<String>, scopes: &[&str]) -> Self {
        self.resource = Some((
            resource.into(),
            scopes.iter().map(|s| s.to_string()).collect(),
        ));
        self
    }

    /// Use this HTTP client (for proxies, custom roots or timeouts).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The verifier. Nothing is fetched until the first verification.
    pub fn build(self) -> Verifier {
        let resource_metadata = self.resource.as_ref().map(|(resource, scopes)| {
            let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
            ResourceMetadata::new(resource, &self.issuer, &scopes)
        });
        let validations = self
            .algorithms
            .iter()
            .filter(|alg| ALLOWED.contains(alg))
            .map(|&alg| (alg, self.validation(alg)))
            .collect();
        let credentials = (!self.credential_cache.is_zero()).then(|| {
            moka::future::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(self.credential_cache)
                .build()
        });
        Verifier {
            inner: Arc::new(Inner {
                http: self.http.unwrap_or_else(http::client),
                // A request waits on these: one quick retry, no more.
                retry: Retry {
                    attempts: 2,
                    first_backoff: Duration::from_millis(50),
                },
                issuer: self.issuer,
                validations,
                refetch_interval: self.refetch_interval,
                jwks_uri: OnceCell::new(),
                keys: RwLock::new(None),
                last_fetch: Mutex::new(None),
                credentials,
                realm: self.realm,
                trusted_identities: self.trusted_identities,
                spent_proofs: SpentProofs::new(),
                public_url: self.public_url,
                resource_metadata,
            }),
        }
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[&self.issuer]);
        match &self.audience {
            Some(audience) => validation.set_audience(&[audience]),
            None => validation.validate_aud = false,
        }
        validation.validate_nbf = true;
        validation.leeway = self.leeway.as_secs();
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation
    }
}

/// The asymmetric algorithms a verifier may be told to accept.
const ALLOWED: [Algorithm; 7] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// The claims of a keygate access token that make an identity.
#[derive(Deserialize)]
struct Claims {
    sub: String,
    client_id: String,
    tid: Option<String>,
    #[serde(default)]
    scope: String,
    exp: i64,
    /// The external identity an exchanged token was got with.
    ext: Option<ExternalIdentity>,
    /// The DPoP key the token is bound to.
    cnf: Option<Confirmation>,
}

impl Verifier {
    /// A verifier for tokens and keys of the keygate at `issuer`, with the defaults.
    pub fn new(issuer: &str) -> Verifier {
        Verifier::builder(issuer).build()
    }

    /// A builder for the keygate at `issuer`.
    pub fn builder(issuer: &str) -> VerifierBuilder {
        VerifierBuilder {
            issuer: http::normalize_issuer(issuer),
            audience: None,
            algorithms: vec![Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA],
            leeway: Duration::from_secs(30),
            refetch_interval: Duration::from_secs(10),
            credential_cache: Duration::from_secs(5),
            realm: "api".into(),
            http: None,
            trusted_identities: false,
            public_url: None,
            resource: None,
        }
    }

    /// The realm of this verifier's challenges.
    pub fn realm(&self) -> &str {
        &self.inner.realm
    }

    /// This API's protected resource metadata, when it has a resource identifier ([`VerifierBuilder::resource`]).
    pub fn resource_metadata(&self) -> Option<&ResourceMetadata> {
        self.inner.resource_metadata.as_ref()
    }

    /// Where clients reach this API, when configured ([`VerifierBuilder::public_url`]).
    pub fn public_url(&self) -> Option<&str> {
        self.inner.public_url.as_deref()
    }

    /// Verifies the credentials of a request: its `Authorization` header, its `DPoP` header if any, and the method
    /// and URL the client called (for a DPoP proof). A DPoP-bound token (RFC 9449) is accepted only as
    /// `Authorization: DPoP <token>` with a proof of its key for this request, used once in this process; anything
    /// else as [`verify_authorization`](Self::verify_authorization) does.
    pub async fn verify_request(
        &self,
        authorization: &str,
        dpop: Option<&str>,
        request: ProvedRequest<'_>,
    ) -> Result<Identity, Error> {
        let Some(token) = strip_scheme(authorization, "dpop") else {
            return self.verify_authorization(authorization).await;
        };
        let (mut identity, cnf) = self.decode_token(token).await?;
        let jkt = cnf.ok_or_else(|| {
            Error::InvalidToken("the token is not DPoP-bound: send it as Bearer".into())
        })?;
        let proof = dpop.ok_or_else(|| Error::InvalidDpopProof("no DPoP header".into()))?;
        self.inner
            .spent_proofs
            .check(proof, request, token, &jkt.jkt)?;
        identity.dpop_jkt = Some(jkt.jkt);
        Ok(identity)
    }

    /// Verifies an `Authorization` header value: `Bearer <JWT>`, `Bearer kg_sk_…`, or `Basic …`. A DPoP-bound
    /// token needs its request: see [`verify_request`](Self::verify_request).
    pub async fn verify_authorization(&self, authorization: &str) -> Result<Identity, Error> {
        let (scheme, credential) = authorization
            .trim()
            .split_once(' ')
            .ok_or(Error::MissingCredentials)?;
        let credential = credential.trim();
        if credential.is_empty() {
            return Err(Error::MissingCredentials);
        }
        if scheme.eq_ignore_ascii_case("bearer") {
            if credential.starts_with(SECRET_PREFIX) {
                return self.verify_secret_key(credential).await;
            }
            return self.verify_token(credential).await;
        }
        if scheme.eq_ignore_ascii_case("basic") {
            return self.ask_keygate(format!("Basic {credential}")).await;
        }
        if scheme.eq_ignore_ascii_case("dpop") {
            return Err(Error::InvalidDpopProof(
                "a DPoP token is verified with its request (verify_request)".into(),
            ));
        }
        Err(Error::MissingCredentials)
    }

    /// Verifies a secret key (`kg_sk_…`) sent on its own, as an API key.
    pub async fn verify_secret_key(&self, key: &str) -> Result<Identity, Error> {
        self.ask_keygate(format!("Bearer {}", key.trim())).await
    }

    /// Verifies a client id and secret key, as HTTP Basic sends them.
    pub async fn verify_basic(&self, client_id: &str, secret: &str) -> Result<Identity, Error> {
        let encoded = STANDARD.encode(format!("{client_id}:{secret}"));
        self.ask_keygate(format!("Basic {encoded}")).await
    }

    /// Verifies a keygate JWT access token presented as a bearer token against the issuer's JWKS, or, when
    /// [`trusted_identities`](VerifierBuilder::trusted_identities) is on, another issuer's JWT through keygate.
    /// A DPoP-bound token is refused: without its proof it is no more than a stolen copy.
    pub async fn verify_token(&self, token: &str) -> Result<Identity, Error> {
        if self.inner.trusted_identities
            && unverified_issuer(token).is_some_and(|iss| iss != self.inner.issuer)
        {
            return self.ask_keygate(format!("Bearer {token}")).await;
        }
        match self.decode_token(token).await? {
            (identity, None) => Ok(identity),
            (_, Some(_)) => Err(Error::InvalidToken(
                "the token is bound to a DPoP key: send it as Authorization: DPoP with a proof"
                    .into(),
            )),
        }
    }

    /// A keygate access token's identity and its DPoP binding, once its signature and claims hold.
    async fn decode_token(&self, token: &str) -> Result<(Identity, Option<Confirmation>), Error> {
        let invalid = |why: &str| Error::InvalidToken(why.to_string());
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid("not a JWT"))?;
        // RFC 9068 §4: the type of an access token is at+jwt, compared case-insensitively.
        let typ = header.typ.as_deref().unwrap_or_default();
        if !typ.eq_ignore_ascii_case("at+jwt") && !typ.eq_ignore_ascii_case("application/at+jwt") {
            return Err(invalid("not an access token (typ)"));
        }
        let (_, validation) = self
            .inner
            .validations
            .iter()
            .find(|(alg, _)| *alg == header.alg)
            .ok_or_else(|| invalid("algorithm not allowed"))?;
        let kid = header.kid.ok_or_else(|| invalid("no kid"))?;
        let key = self.key(&kid).await?;
        // A key verifies only with its own algorithm (RFC 8725 §3.1).
        if key.alg != header.alg {
            return Err(invalid("the algorithm is not the key's"));
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &key.key, validation)
            .map_err(|e| Error::InvalidToken(e.to_string()))?
            .claims;
        let identity = Identity {
            subject: claims.sub,
            client_id: claims.client_id,
            tenant_id: claims.tid,
            scopes: split_scope(&claims.scope),
            key_id: None,
            expires_at: Some(claims.exp),
            external: claims.ext,
            dpop_jkt: None,
            verified_by: VerifiedBy::AccessToken,
        };
        Ok((identity, claims.cnf))
    }

    /// The signing key `kid`: from the cached JWKS while it is fresh, else refetched (at most once per
    /// `refetch_interval`); the stale keys serve while the JWKS cannot be fetched.
    async fn key(&self, kid: &str) -> Result<Arc<VerifyingKey>, Error> {
        if let Some(keys) = self.key_set().filter(|k| Instant::now() < k.fresh_until) {
            if let Some(key) = keys.keys.get(kid) {
                return Ok(key.clone());
            }
        }
        let mut last_fetch = self.inner.last_fetch.lock().await;
        let current = self.key_set();
        if last_fetch.is_some_and(|at| at.elapsed() < self.inner.refetch_interval) {
            return current
                .ok_or_else(|| Error::Unavailable("the JWKS could not be fetched".into()))?
                .get(kid);
        }
        *last_fetch = Some(Instant::now());
        match self.fetch_keys().await {
            Ok(keys) => {
                let keys = Arc::new(keys);
                *self.inner.keys.write().unwrap_or_else(|e| e.into_inner()) = Some(keys.clone());
                keys.get(kid)
            }
            Err(error) => match current {
                Some(stale) => {
                    tracing::warn!(%error, "cannot refresh the JWKS; verifying with the keys already known");
                    stale.get(kid)
                }
                None => Err(error),
            },
        }
    }

    fn key_set(&self) -> Option<Arc<KeySet>> {
        self.inner
            .keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    async fn fetch_keys(&self) -> Result<KeySet, Error> {
        let inner = &self.inner;
        let url = inner
            .jwks_uri
            .get_or_try_init(|| async {
                http::metadata(&inner.http, &inner.retry, &inner.issuer)
                    .await
                    .map(|m| m.jwks_uri)
            })
            .await?;
        let allowed: Vec<Algorithm> = inner.validations.iter().map(|(alg, _)| *alg).collect();
        jwks::fetch(
            &inner.http,
            &inner.retry,
            url,
            &allowed,
            inner.refetch_interval,
        )
        .await
    }

    /// keygate's answer about a secret key, Basic credentials or a trusted issuer's JWT, cached by the hash of the
    /// header.
    async fn ask_keygate(&self, authorization: String) -> Result<Identity, Error> {
        let Some(cache) = &self.inner.credentials else {
            return self.post_verify(&authorization).await;
        };
        let mut hash = [0u8; 32];
        hash.copy_from_slice(digest(&SHA256, authorization.as_bytes()).as_ref());
        cache
            .try_get_with(hash, self.post_verify(&authorization))
            .await
            .map_err(|e| e.as_ref().clone())
    }

    async fn post_verify(&self, authorization: &str) -> Result<Identity, Error> {
        let inner = &self.inner;
        let url = format!("{}/v1/verify", inner.issuer);
        let response = inner
            .retry
            .send(|| {
                Ok(inner
                    .http
                    .post(&url)
                    .header(reqwest::header::AUTHORIZATION, authorization))
            })
            .await?;
        if response.status() == reqwest::StatusCode::UNAUTHORIZED {
            return Err(Error::InvalidCredentials);
        }
        Ok(http::json_or_refused::<VerifyAnswer>(response)
            .await?
            .into())
    }
}

/// The `iss` a JWT claims, unverified: only to tell keygate's tokens from other issuers'.
fn unverified_issuer(token: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Issuer {
        iss: Option<String>,
    }
    let payload = URL_SAFE_NO_PAD.decode(token.split('.').nth(1)?).ok()?;
    serde_json::from_slice::<Issuer>(&payload).ok()?.iss
}

/// The credentials after `scheme ` (case-insensitive), if the header uses that scheme.
fn strip_scheme<'a>(authorization: &'a str, scheme: &str) -> Option<&'a str> {
    let (name, credential) = authorization.trim().split_once(' ')?;
    name.eq_ignore_ascii_case(scheme).then(|| credential.trim())
}
