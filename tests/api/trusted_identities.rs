//! Trusted identities: a workload's OIDC token (a GitHub Actions job, a Kubernetes service account) exchanged for
//! its client's access token with no key, through RFC 7523's jwt-bearer and RFC 8693's token-exchange grants.
//! The issuers are real HTTP servers on random ports, serving discovery and JWKS like the real ones.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpResponse, HttpServer};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use keygate::crypto::client_keys::{self, signer_from_private_jwk};
use keygate::domain::ids::random_base62;
use keygate::domain::signing_alg::SigningAlg;
use keygate::domain::time::UnixTime;
use reqwest::Method;
use serde_json::{json, Value};

use crate::fixtures::Tenant;
use crate::helpers::{json_with_status, spawn_app_with, verify_with_jwks, TestApp, TestClient};

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// The audience a workflow asks GitHub for (`core.getIDToken(audience)`).
const AUDIENCE: &str = "https://keygate.example";

/// A key pair of a test issuer.
struct IssuerKey {
    private_jwk: Value,
    public_jwk: Value,
}

impl IssuerKey {
    fn new(alg: SigningAlg) -> IssuerKey {
        let generated = client_keys::generate(alg, &random_base62(10)).unwrap();
        IssuerKey {
            private_jwk: generated.private_jwk,
            public_jwk: generated.public_jwk,
        }
    }

    fn sign(&self, claims: &Value) -> String {
        let signer = signer_from_private_jwk(&self.private_jwk).unwrap();
        keygate::crypto::jwt::encode(&signer, "JWT", claims).unwrap()
    }
}

/// What a test issuer serves, changed by the test.
struct Published {
    url: String,
    keys: Mutex<Vec<Value>>,
    jwks_fetches: AtomicUsize,
    down: AtomicBool,
    /// `Cache-Control: max-age=0` on the JWKS: every token asks for it again.
    uncacheable: AtomicBool,
}

/// An OIDC issuer: `/.well-known/openid-configuration` naming its `/jwks`.
struct TestIssuer {
    url: String,
    published: Arc<Published>,
}

async fn discovery(published: web::Data<Published>) -> HttpResponse {
    if published.down.load(Ordering::SeqCst) {
        return HttpResponse::ServiceUnavailable().finish();
    }
    let url = &published.url;
    HttpResponse::Ok().json(json!({"issuer": url, "jwks_uri": format!("{url}/jwks")}))
}

async fn jwks(published: web::Data<Published>) -> HttpResponse {
    if published.down.load(Ordering::SeqCst) {
        return HttpResponse::ServiceUnavailable().finish();
    }
    published.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let keys = published.keys.lock().unwrap().clone();
    let mut response = HttpResponse::Ok();
    if published.uncacheable.load(Ordering::SeqCst) {
        response.insert_header(("Cache-Control", "max-age=0"));
    }
    response.json(json!({ "keys": keys }))
}

impl TestIssuer {
    async fn start(keys: &[&IssuerKey]) -> TestIssuer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let published = Arc::new(Published {
            url: url.clone(),
            keys: Mutex::new(keys.iter().map(|k| k.public_jwk.clone()).collect()),
            jwks_fetches: AtomicUsize::new(0),
            down: AtomicBool::new(false),
            uncacheable: AtomicBool::new(false),
        });
        let data = web::Data::from(published.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(discovery),
                )
                .route("/jwks", web::get().to(jwks))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        actix_web::rt::spawn(server);
        TestIssuer { url, published }
    }

    fn publish(&self, keys: &[&IssuerKey]) {
        *self.published.keys.lock().unwrap() = keys.iter().map(|k| k.public_jwk.clone()).collect();
    }

    fn fetches(&self) -> usize {
        self.published.jwks_fetches.load(Ordering::SeqCst)
    }

    /// A GitHub Actions job token of `acme/api` on `git_ref`, as `token.actions.githubusercontent.com` makes them.
    fn github_claims(&self, git_ref: &str) -> Value {
        let now = UnixTime::now().seconds();
        json!({
            "iss": self.url, "aud": AUDIENCE, "jti": random_base62(22),
            "sub": format!("repo:acme/api:ref:{git_ref}"),
            "repository": "acme/api", "repository_owner": "acme", "ref": git_ref,
            "workflow": "deploy", "event_name": "push", "runner_environment": "github-hosted",
            "iat": now, "nbf": now, "exp": now + 300,
        })
    }
}

/// A tenant whose client `deployer` trusts the issuer's tokens of `acme/api` on main.
struct World {
    app: TestApp,
    tenant: Tenant,
    deployer: TestClient,
}

async fn world(issuer: &TestIssuer, trust: Value) -> World {
    let app = spawn_app_with(|c| {
        c.trusted_issuer_loopback_http = true;
        c.trusted_issuer_refetch_cooldown_seconds = 0;
    })
    .await;
    let tenant = app.tenant("acme").await;
    let deployer = federated_client(&app, &tenant, "documents:write");
    let mut trust = trust;
    trust["issuer"] = json!(issuer.url);
    if trust.get("rules").is_none() {
        trust["rules"] = json!([{"client_id": deployer.id,
            "claims": {"repository": "acme/api", "ref": "refs/heads/main"}}]);
    }
    trust_issuer(&app, &tenant, trust).await;
    World {
        app,
        tenant,
        deployer,
    }
}

/// A client of `tenant` that may use both trusted-identity grants.
fn federated_client(app: &TestApp, tenant: &Tenant, scope: &str) -> TestClient {
    tenant.client(
        app,
        &[
            "--scope",
            scope,
            "--grant-type",
            JWT_BEARER,
            "--grant-type",
            TOKEN_EXCHANGE,
        ],
    )
}

async fn trust_issuer(app: &TestApp, tenant: &Tenant, trust: Value) -> Value {
    let response = app
        .api(
            Method::POST,
            "/v1/trusted-issuers",
            &tenant.admin_token,
            Some(trust),
        )
        .await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body
}

async fn exchange(app: &TestApp, subject_token: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", TOKEN_EXCHANGE),
        ("subject_token", subject_token),
        ("subject_token_type", JWT_TYPE),
    ];
    form.extend_from_slice(extra);
    app.post_form("/oauth/token", &form, None).await
}

async fn jwt_bearer(app: &TestApp, assertion: &str) -> reqwest::Response {
    let form = [("grant_type", JWT_BEARER), ("assertion", assertion)];
    app.post_form("/oauth/token", &form, None).await
}

/// Asserts a 400 `invalid_grant`; its description.
async fn refused(response: reqwest::Response) -> String {
    let body = json_with_status(response, 400).await;
    assert_eq!(body["error"], "invalid_grant", "{body}");
    body["error_description"].as_str().unwrap().to_string()
}

/// The verified claims of a keygate access token.
async fn claims_of(app: &TestApp, access_token: &str) -> Value {
    let (_, claims) = verify_with_jwks(access_token, &app.jwks().await, &app.address, &app.address);
    claims
}

#[actix_web::test]
async fn a_github_actions_job_token_is_exchanged_for_its_clients_access_token() {
    let key = IssuerKey::new(SigningAlg::RS256);
    let issuer = TestIssuer::start(&[&key]).await;
    let w = world(
        &issuer,
        json!({"audiences": [AUDIENCE], "max_token_age": 600}),
    )
    .await;
    let app = &w.app;

    let metadata = app.get("/.well-known/oauth-authorization-server").await;
    let metadata: Value = metadata.json().await.unwrap();
    let grants = metadata["grant_types_supported"].as_array().unwrap();
    assert!(grants.contains(&json!(JWT_BEARER)) && grants.contains(&json!(TOKEN_EXCHANGE)));

    // RFC 8693: the job's token in, the client's access token out, no secret anywhere.
    let job_token = key.sign(&issuer.github_claims("refs/heads/main"));
    let body = json_with_status(exchange(app, &job_token, &[]).await, 200).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["issued_token_type"], ACCESS_TOKEN_TYPE);
    assert!(body.get("refresh_token").is_none());
    let access_token = body["access_token"].as_str().unwrap();
    let claims = claims_of(app, access_token).await;
    assert_eq!(claims["client_id"], w.deployer.id);
    assert_eq!(claims["sub"], w.deployer.id);
    assert_eq!(claims["tid"], w.tenant.id);
    assert_eq!(claims["scope"], "documents:write");
    assert_eq!(claims["gty"], TOKEN_EXCHANGE);
    assert_eq!(
        claims["ext"],
        json!({"iss": issuer.url, "sub": "repo:acme/api:ref:refs/heads/main"})
    );
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert_eq!(lifetime, app.config.ttl_token_exchange);

    // A token is exchanged once (its jti), by either grant.
    assert!(refused(exchange(app, &job_token, &[]).await)
        .await
        .contains("already used"));
    assert!(refused(jwt_bearer(app, &job_token).await)
        .await
        .contains("already used"));

    // RFC 7523 §2.1: the same kind of token as an authorization grant.
    let next_job = key.sign(&issuer.github_claims("refs/heads/main"));
    let body = json_with_status(jwt_bearer(app, &next_job).await, 200).await;
    let claims = claims_of(app, body["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["gty"], JWT_BEARER);
    assert_eq!(claims["client_id"], w.deployer.id);

    // A resource server asking keygate learns the external identity behind the exchanged token.
    let identity = app
        .api(Method::POST, "/v1/verify", access_token, None)
        .await;
    let identity = json_with_status(identity, 200).await;
    assert_eq!(identity["verified_by"], "access_token");
    assert_eq!(identity["ext"]["sub"], "repo:acme/api:ref:refs/heads/main");

    // …and may hand over the job's own token, unexchanged: the same mapping, no jti spent.
    let direct = key.sign(&issuer.github_claims("refs/heads/main"));
    for _ in 0..2 {
        let identity = app.api(Method::POST, "/v1/verify", &direct, None).await;
        let identity = json_with_status(identity, 200).await;
        assert_eq!(identity["verified_by"], "trusted_identity");
        assert_eq!(identity["client_id"], w.deployer.id);
        assert_eq!(identity["tid"], w.tenant.id);
        assert_eq!(identity["ext"]["iss"], issuer.url);
    }
    // The keys were fetched once, through discovery, for all of it.
    assert_eq!(issuer.fetches(), 1);
}

#[actix_web::test]
async fn a_kubernetes_service_account_token_with_inline_es256_keys_gets_a_token() {
    let key = IssuerKey::new(SigningAlg::ES256);
    let issuer = TestIssuer::start(&[]).await;
    let app = spawn_app_with(|c| c.trusted_issuer_loopback_http = true).await;
    let tenant = app.tenant("payments").await;
    let worker = federated_client(&app, &tenant, "ledger:write");
    // A cluster's issuer is often not reachable from outside: its keys are given with the trust.
    trust_issuer(
        &app,
        &tenant,
        json!({"issuer": issuer.url, "jwks": {"keys": [key.public_jwk]}, "audiences": ["keygate"],
               "algorithms": ["ES256"],
               "rules": [{"client_id": worker.id, "claims": {"sub": "system:serviceaccount:payments:*"}}]}),
    )
    .await;
    let now = UnixTime::now().seconds();
    // A projected service account token: no jti, the pod's details in `kubernetes.io`.
    let sa_token = key.sign(&json!({
        "iss": issuer.url, "aud": ["keygate"], "sub": "system:serviceaccount:payments:ledger-writer",
        "kubernetes.io": {"namespace": "payments", "serviceaccount": {"name": "ledger-writer"}},
        "iat": now, "nbf": now, "exp": now + 600,
    }));
    let body = json_with_status(jwt_bearer(&app, &sa_token).await, 200).await;
    let claims = claims_of(&app, body["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["client_id"], worker.id);
    assert_eq!(claims["gty"], JWT_BEARER);
    assert_eq!(
        claims["ext"]["sub"],
        "system:serviceaccount:payments:ledger-writer"
    );
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert_eq!(lifetime, app.config.ttl_jwt_bearer);
    // A scope the client has, asked for; one it has not, refused.
    let body = json_with_status(
        exchange(&app, &sa_token, &[("scope", "ledger:write")]).await,
        200,
    )
    .await;
    assert_eq!(body["scope"], "ledger:write");
    let wider = exchange(&app, &sa_token, &[("scope", "ledger:admin")]).await;
    assert_eq!(json_with_status(wider, 400).await["error"], "invalid_scope");
    // Another namespace's service account maps to nothing.
    let other = key.sign(&json!({
        "iss": issuer.url, "aud": "keygate", "sub": "system:serviceaccount:default:default",
        "iat": now, "exp": now + 600,
    }));
    assert!(refused(jwt_bearer(&app, &other).await)
        .await
        .contains("no rule"));
    // Inline keys are never fetched.
    assert_eq!(issuer.fetches(), 0);
}

#[actix_web::test]
async fn rotated_keys_are_fetched_and_an_unreachable_issuer_keeps_serving_its_last_keys() {
    let old = IssuerKey::new(SigningAlg::RS256);
    let issuer = TestIssuer::start(&[&old]).await;
    let w = world(&issuer, json!({"audiences": [AUDIENCE]})).await;
    let app = &w.app;
    let main = || issuer.github_claims("refs/heads/main");
    json_with_status(exchange(app, &old.sign(&main()), &[]).await, 200).await;
    assert_eq!(issuer.fetches(), 1);

    // The issuer rotates: a token naming the new kid makes keygate fetch the keys again, once.
    let new = IssuerKey::new(SigningAlg::RS256);
    issuer.publish(&[&new]);
    json_with_status(exchange(app, &new.sign(&main()), &[]).await, 200).await;
    json_with_status(exchange(app, &new.sign(&main()), &[]).await, 200).await;
    assert_eq!(issuer.fetches(), 2);

    // Keys the issuer says to ask for every time (max-age=0): each token fetches them again…
    issuer.published.uncacheable.store(true, Ordering::SeqCst);
    let newer = IssuerKey::new(SigningAlg::RS256);
    issuer.publish(&[&new, &newer]);
    json_with_status(exchange(app, &newer.sign(&main()), &[]).await, 200).await;
    assert_eq!(issuer.fetches(), 3);
    json_with_status(exchange(app, &new.sign(&main()), &[]).await, 200).await;
    assert_eq!(issuer.fetches(), 4);
    // …until the issuer goes down: then the last good keys still serve…
    issuer.published.down.store(true, Ordering::SeqCst);
    json_with_status(exchange(app, &newer.sign(&main()), &[]).await, 200).await;
    // …but a kid they do not know is refused, with a reason the caller can act on.
    let unknown = IssuerKey::new(SigningAlg::RS256);
    let reason = refused(exchange(app, &unknown.sign(&main()), &[]).await).await;
    assert!(reason.contains("has no key"), "{reason}");
    assert_eq!(issuer.fetches(), 4);
}

/// A JWT with any header and claims, signed with `signature` as is.
fn forged(header: Value, claims: &Value, signature: &[u8]) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
    format!(
        "{}.{}.{}",
        part(&header),
        part(claims),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

#[actix_web::test]
async fn forged_foreign_expired_and_unmapped_tokens_are_refused() {
    let key = IssuerKey::new(SigningAlg::RS256);
    let issuer = TestIssuer::start(&[&key]).await;
    let w = world(
        &issuer,
        json!({"audiences": [AUDIENCE], "max_token_age": 600}),
    )
    .await;
    let app = &w.app;
    let main = || issuer.github_claims("refs/heads/main");

    // An attacker's issuer serves the same paths on another port, with its own key.
    let attacker_key = IssuerKey::new(SigningAlg::RS256);
    let attacker = TestIssuer::start(&[&attacker_key]).await;
    let posing = attacker_key.sign(&main());
    let reason = refused(exchange(app, &posing, &[]).await).await;
    assert!(reason.contains("has no key"), "{reason}");
    let mut own = main();
    own["iss"] = json!(attacker.url);
    let reason = refused(exchange(app, &attacker_key.sign(&own), &[]).await).await;
    assert!(reason.contains("not trusted"), "{reason}");
    assert_eq!(attacker.fetches(), 0);

    // The attacker's key under the real key's kid: the signature fails.
    let mut stolen_kid = attacker_key.private_jwk.clone();
    stolen_kid["kid"] = key.public_jwk["kid"].clone();
    let signer = signer_from_private_jwk(&stolen_kid).unwrap();
    let token = keygate::crypto::jwt::encode(&signer, "JWT", &main()).unwrap();
    let reason = refused(exchange(app, &token, &[]).await).await;
    assert!(reason.contains("signature"), "{reason}");

    // No signature, or a MAC keyed with the public key (RFC 8725 §2.1, §3.1).
    let kid = key.public_jwk["kid"].clone();
    let none = forged(json!({"alg": "none", "kid": kid}), &main(), b"");
    assert!(refused(exchange(app, &none, &[]).await)
        .await
        .contains("alg"));
    let public_n = key.public_jwk["n"].as_str().unwrap().as_bytes();
    let mac = forged(json!({"alg": "HS256", "kid": kid}), &main(), public_n);
    assert!(refused(exchange(app, &mac, &[]).await)
        .await
        .contains("alg"));
    assert!(refused(exchange(app, "not-a-jwt", &[]).await)
        .await
        .contains("not a JWT"));

    // Claims against the trust: audience, expiry, age, and a branch no rule maps.
    let mut other_audience = main();
    other_audience["aud"] = json!("https://other.example");
    let reason = refused(exchange(app, &key.sign(&other_audience), &[]).await).await;
    assert!(reason.contains("aud"), "{reason}");
    let mut expired = main();
    expired["exp"] = json!(UnixTime::now().seconds() - 120);
    let reason = refused(exchange(app, &key.sign(&expired), &[]).await).await;
    assert!(reason.contains("expired"), "{reason}");
    let mut old = main();
    old["iat"] = json!(UnixTime::now().seconds() - 3600);
    let reason = refused(exchange(app, &key.sign(&old), &[]).await).await;
    assert!(reason.contains("older"), "{reason}");
    let branch = key.sign(&issuer.github_claims("refs/heads/feature"));
    let reason = refused(exchange(app, &branch, &[]).await).await;
    assert!(reason.contains("no rule"), "{reason}");
    // The raw token at /v1/verify is refused the same way, as a bad credential.
    let verify = app.api(Method::POST, "/v1/verify", &branch, None).await;
    assert_eq!(verify.status(), 401);

    // RFC 8693 inputs keygate does not take.
    let good = key.sign(&main());
    let bad_type = [
        ("grant_type", TOKEN_EXCHANGE),
        ("subject_token", good.as_str()),
        ("subject_token_type", ACCESS_TOKEN_TYPE),
    ];
    let response = app.post_form("/oauth/token", &bad_type, None).await;
    assert_eq!(
        json_with_status(response, 400).await["error"],
        "invalid_request"
    );
    let actor = exchange(app, &good, &[("actor_token", good.as_str())]).await;
    assert_eq!(
        json_with_status(actor, 400).await["error"],
        "invalid_request"
    );

    // A client not allowed the grant is refused even though a rule maps to it.
    let plain = w.tenant.client(app, &["--scope", "documents:write"]);
    let trust = json!({"issuer": issuer.url, "audiences": ["plain"],
        "rules": [{"client_id": plain.id, "claims": {"repository": "acme/api"}}]});
    trust_issuer(app, &w.tenant, trust).await;
    let mut for_plain = main();
    for_plain["aud"] = json!("plain");
    let response = exchange(app, &key.sign(&for_plain), &[]).await;
    let body = json_with_status(response, 400).await;
    assert_eq!(body["error"], "unauthorized_client", "{body}");
}

#[actix_web::test]
async fn a_token_several_rules_map_needs_the_client_named() {
    let key = IssuerKey::new(SigningAlg::RS256);
    let issuer = TestIssuer::start(&[&key]).await;
    let app = spawn_app_with(|c| c.trusted_issuer_loopback_http = true).await;
    let tenant = app.tenant("acme").await;
    let deploy = federated_client(&app, &tenant, "deploy");
    let publish = federated_client(&app, &tenant, "packages:write");
    trust_issuer(
        &app,
        &tenant,
        json!({"issuer": issuer.url, "audiences": [AUDIENCE], "rules": [
            {"client_id": deploy.id, "claims": {"repository": "acme/*"}},
            {"client_id": publish.id, "claims": {"repository_owner": "acme"}}]}),
    )
    .await;
    let main = || key.sign(&issuer.github_claims("refs/heads/main"));
    let reason = refused(exchange(&app, &main(), &[]).await).await;
    assert!(reason.contains("client_id"), "{reason}");
    for client in [&deploy, &publish] {
        let named = exchange(&app, &main(), &[("client_id", client.id.as_str())]).await;
        let body = json_with_status(named, 200).await;
        let claims = claims_of(&app, body["access_token"].as_str().unwrap()).await;
        assert_eq!(claims["client_id"], client.id);
    }
    // Client credentials name the client too, and must be right.
    let basic = crate::helpers::basic(&deploy.id, &deploy.secret);
    let form = [
        ("grant_type", TOKEN_EXCHANGE),
        ("subject_token", &main()),
        ("subject_token_type", JWT_TYPE),
    ];
    let response = app.post_form("/oauth/token", &form, Some(&basic)).await;
    let body = json_with_status(response, 200).await;
    assert_eq!(
        claims_of(&app, body["access_token"].as_str().unwrap()).await["client_id"],
        deploy.id
    );
    let wrong = crate::helpers::basic(&deploy.id, &crate::helpers::wrong_secret(&deploy.secret));
    let response = app.post_form("/oauth/token", &form, Some(&wrong)).await;
    assert_eq!(response.status(), 401);
    // A client no rule maps is not reachable by naming it.
    let other = federated_client(&app, &tenant, "deploy");
    let named = exchange(&app, &main(), &[("client_id", other.id.as_str())]).await;
    assert!(refused(named).await.contains("no rule"));
}

#[actix_web::test]
async fn trusted_issuers_are_validated_audited_and_kept_to_their_tenant() {
    let key = IssuerKey::new(SigningAlg::RS256);
    let issuer = TestIssuer::start(&[&key]).await;
    let w = world(&issuer, json!({"audiences": [AUDIENCE]})).await;
    let app = &w.app;
    let listed = app
        .api_get("/v1/trusted-issuers", &w.tenant.admin_token)
        .await;
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let trust = &items[0];
    let id = trust["id"].as_str().unwrap();
    assert!(id.starts_with("tis_"));
    assert_eq!(trust["keys_from"], "discovery");
    assert_eq!(trust["algorithms"], json!(["ES256", "RS256"]));

    // Another tenant sees nothing of it and cannot map its tokens to the first tenant's clients.
    let other = app.tenant("globex").await;
    let theirs = app.api_get("/v1/trusted-issuers", &other.admin_token).await;
    assert_eq!(theirs["items"], json!([]));
    let path = format!("/v1/trusted-issuers/{id}");
    for method in [Method::GET, Method::DELETE] {
        let response = app.api(method, &path, &other.admin_token, None).await;
        assert_eq!(response.status(), 404);
    }
    let hijack = json!({"issuer": issuer.url, "audiences": [AUDIENCE],
        "rules": [{"client_id": w.deployer.id, "claims": {"repository": "acme/api"}}]});
    let response = app
        .api(
            Method::POST,
            "/v1/trusted-issuers",
            &other.admin_token,
            Some(hijack),
        )
        .await;
    let body = json_with_status(response, 422).await;
    assert_eq!(body["error"], "invalid_trusted_issuer");

    // What keygate would not fetch, or could not verify safely, is refused with the field named.
    let refusals = [
        json!({"issuer": "http://issuer.example", "audiences": [AUDIENCE]}),
        json!({"issuer": "https://issuer.example", "audiences": [AUDIENCE], "algorithms": ["HS256"]}),
        json!({"issuer": "https://issuer.example", "audiences": []}),
        json!({"issuer": "https://issuer.example", "audiences": [AUDIENCE],
               "jwks": {"keys": [key.private_jwk]}}),
        json!({"issuer": "https://issuer.example", "audiences": [AUDIENCE],
               "rules": [{"client_id": w.deployer.id, "claims": {}}]}),
    ];
    for bad in refusals {
        let response = app
            .api(
                Method::POST,
                "/v1/trusted-issuers",
                &w.tenant.admin_token,
                Some(bad.clone()),
            )
            .await;
        let body = json_with_status(response, 422).await;
        assert_eq!(body["error"], "invalid_trusted_issuer", "{bad}");
    }

    // Replaced: the rule now wants a tag; the main branch no longer maps.
    let replaced = json!({"issuer": issuer.url, "audiences": [AUDIENCE],
        "rules": [{"client_id": w.deployer.id, "claims": {"ref": "refs/tags/v*"}}]});
    let response = app
        .api(Method::PUT, &path, &w.tenant.admin_token, Some(replaced))
        .await;
    json_with_status(response, 200).await;
    let main = key.sign(&issuer.github_claims("refs/heads/main"));
    assert!(refused(exchange(app, &main, &[]).await)
        .await
        .contains("no rule"));
    let tag = key.sign(&issuer.github_claims("refs/tags/v1.2.0"));
    json_with_status(exchange(app, &tag, &[]).await, 200).await;

    // Deleted: the issuer's tokens get nothing more.
    let response = app
        .api(Method::DELETE, &path, &w.tenant.admin_token, None)
        .await;
    assert_eq!(response.status(), 204);
    let tag = key.sign(&issuer.github_claims("refs/tags/v1.2.1"));
    assert!(refused(exchange(app, &tag, &[]).await)
        .await
        .contains("not trusted"));

    let audit = app
        .api_get(&format!("/v1/audit?target={id}"), &w.tenant.admin_token)
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "trusted_issuer.deleted",
            "trusted_issuer.updated",
            "trusted_issuer.created"
        ]
    );
}

#[actix_web::test]
async fn the_cli_creates_lists_and_deletes_trusted_issuers() {
    let app = spawn_app_with(|_| {}).await;
    let tenant = app.tenant("acme").await;
    let client = federated_client(&app, &tenant, "deploy");
    let trust = json!({"issuer": "https://token.actions.githubusercontent.com",
        "audiences": [AUDIENCE],
        "rules": [{"client_id": client.id, "claims": {"repository": "acme/api"}}]});
    let output = app
        .cli()
        .args([
            "trusted-issuer",
            "create",
            "--file",
            "-",
            "--tenant",
            &tenant.id,
            "--json",
        ])
        .write_stdin(trust.to_string())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let created: Value = serde_json::from_slice(&output).unwrap();
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["tenant_id"], tenant.id);
    let listed = app.cli_json(&["trusted-issuer", "list", "--tenant", &tenant.id]);
    assert_eq!(listed[0]["id"], id);
    let seen = app
        .api_get("/v1/trusted-issuers", &tenant.admin_token)
        .await;
    assert_eq!(seen["items"][0]["id"], id);
    // A rule naming a client of no tenant of the trust is refused, as through the API.
    let mut stray = trust.clone();
    stray["rules"][0]["client_id"] = json!("sc_0000000000000000000000");
    app.cli()
        .args([
            "trusted-issuer",
            "create",
            "--file",
            "-",
            "--tenant",
            &tenant.id,
        ])
        .write_stdin(stray.to_string())
        .assert()
        .failure();
    app.cli_json(&["trusted-issuer", "delete", id]);
    let listed = app.cli_json(&["trusted-issuer", "list"]);
    assert_eq!(listed, json!([]));
}

#[actix_web::test]
async fn the_sdk_verifier_takes_a_trusted_job_token_through_keygate_only_when_told() {
    let key = IssuerKey::new(SigningAlg::RS256);
    let issuer = TestIssuer::start(&[&key]).await;
    let w = world(&issuer, json!({"audiences": [AUDIENCE]})).await;
    let app = &w.app;
    let job_token = key.sign(&issuer.github_claims("refs/heads/main"));

    // By default a resource server's verifier takes keygate's tokens only, and asks nothing for another issuer's.
    let strict = keygate_sdk::Verifier::new(&app.address);
    assert!(matches!(
        strict.verify_token(&job_token).await,
        Err(keygate_sdk::Error::InvalidToken(_))
    ));
    assert_eq!(issuer.fetches(), 0, "keygate was not asked");

    // Told to, it hands the job's token to keygate, which maps it to its client.
    let verifier = keygate_sdk::Verifier::builder(&app.address)
        .trusted_identities(true)
        .build();
    let authorization = format!("Bearer {job_token}");
    let identity = verifier.verify_authorization(&authorization).await.unwrap();
    assert_eq!(
        identity.verified_by,
        keygate_sdk::VerifiedBy::TrustedIdentity
    );
    assert_eq!(identity.client_id, w.deployer.id);
    assert_eq!(identity.tenant_id.as_deref(), Some(w.tenant.id.as_str()));
    assert!(identity.has_scope("documents:write"));
    let external = identity.external.expect("the job's identity");
    assert_eq!(external.issuer, issuer.url);
    assert_eq!(external.subject, "repo:acme/api:ref:refs/heads/main");

    // A token of a branch no rule maps is refused; keygate's own tokens still verify offline, and an exchanged one
    // carries the job's identity.
    let feature = key.sign(&issuer.github_claims("refs/heads/feature"));
    assert!(matches!(
        verifier.verify_token(&feature).await,
        Err(keygate_sdk::Error::InvalidCredentials)
    ));
    let exchanged = json_with_status(exchange(app, &job_token, &[]).await, 200).await;
    let identity = verifier
        .verify_token(exchanged["access_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(identity.verified_by, keygate_sdk::VerifiedBy::AccessToken);
    assert_eq!(
        identity.external.unwrap().subject,
        "repo:acme/api:ref:refs/heads/main"
    );
}
