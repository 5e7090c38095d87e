//! keygate as an OpenID Connect provider for people: discovery, ID tokens, userinfo, the sign-in session (`prompt`,
//! `max_age`) and RP-initiated logout, driven by a cookie-keeping browser over plain HTTP and by other people's
//! OIDC client libraries (Node's openid-client, Python's Authlib).

use std::collections::HashMap;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE, WWW_AUTHENTICATE};
use serde_json::{json, Value};

use crate::fixtures::{Tenant, User, PASSWORD};
use crate::helpers::{
    json_with_status, run_node, run_python, spawn_app, verify_with_jwks, TestApp,
};

const REDIRECT: &str = "https://app.example/callback";
const ORIGIN: &str = "https://app.example";
const SIGNED_OUT: &str = "https://app.example/signed-out";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A tenant, its user alice with a profile, and a public SPA client that may ask for the OpenID Connect scopes.
struct World {
    app: TestApp,
    tenant: Tenant,
    alice: User,
    spa: String,
}

async fn world() -> World {
    let app = spawn_app().await;
    let tenant = app.tenant("acme").await;
    let alice = tenant.user(&app, "alice").await;
    let profile = json!({"display_name": "Alice Liddell", "email": "Alice@Example.com", "email_verified": true});
    tenant.change_user(&app, &alice.id, profile).await;
    let spa = json!({"name": "Acme SPA", "tenant_id": tenant.id, "public": true,
                     "scopes": ["openid", "profile", "email", "offline_access", "documents:read"],
                     "redirect_uris": [REDIRECT], "allowed_origins": [ORIGIN],
                     "post_logout_redirect_uris": [SIGNED_OUT]});
    let created = app.api_post("/v1/clients", &tenant.admin_token, spa).await;
    let spa = created["id"].as_str().expect("a client id").to_string();
    World {
        app,
        tenant,
        alice,
        spa,
    }
}

/// A browser: keeps keygate's cookies, follows no redirects (each test reads where it is sent).
struct Browser {
    http: reqwest::Client,
    cookies: HashMap<String, String>,
}

impl Browser {
    fn new() -> Browser {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client");
        Browser {
            http,
            cookies: HashMap::new(),
        }
    }

    fn keep_cookies(&mut self, response: &reqwest::Response) {
        for set in response.headers().get_all(SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            match value.is_empty() {
                true => self.cookies.remove(name),
                false => self.cookies.insert(name.to_string(), value.to_string()),
            };
        }
    }

    fn cookie_header(&self) -> String {
        let pairs = self.cookies.iter().map(|(k, v)| format!("{k}={v}"));
        pairs.collect::<Vec<_>>().join("; ")
    }

    async fn get(&mut self, url: &str) -> reqwest::Response {
        let request = self.http.get(url).header(COOKIE, self.cookie_header());
        let response = request.send().await.unwrap();
        self.keep_cookies(&response);
        response
    }

    /// Opens `authorize_url`; if keygate shows its login page, signs in as `username`. Returns where the browser is
    /// sent next.
    async fn authorize(&mut self, app: &TestApp, authorize_url: &str, username: &str) -> String {
        let page = self.get(authorize_url).await;
        if page.status() == 302 {
            return location(&page);
        }
        assert_eq!(page.status(), 200, "the login page");
        let html = page.text().await.unwrap();
        let mut form = hidden_inputs(&html);
        form.push(("username".into(), username.into()));
        form.push(("password".into(), PASSWORD.into()));
        let request = self.http.post(app.url("/oauth/authorize"));
        let answer = request
            .header(COOKIE, self.cookie_header())
            .form(&form)
            .send()
            .await
            .unwrap();
        self.keep_cookies(&answer);
        assert_eq!(answer.status(), 303, "signed in: {}", answer.status());
        location(&answer)
    }
}

fn location(response: &reqwest::Response) -> String {
    response.headers()[LOCATION].to_str().unwrap().to_string()
}

/// The hidden inputs of a page's form, unescaped.
fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    let unescape = |s: &str| {
        s.replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&#x27;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    html.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|rest| {
            let (name, rest) = rest.split_once('"').unwrap();
            let value = rest
                .split("value=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            (name.to_string(), unescape(value))
        })
        .collect()
}

fn query_of(url: &str) -> HashMap<String, String> {
    let url = url::Url::parse(url).unwrap();
    url.query_pairs().into_owned().collect()
}

impl World {
    fn authorize_url(&self, extra: &str) -> String {
        let redirect: String = url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect();
        self.app.url(&format!(
            "/oauth/authorize?response_type=code&client_id={}&redirect_uri={redirect}&state=xyz&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
            self.spa
        ))
    }

    /// Exchanges a code from the redirect `location` for the token answer.
    async fn exchange(&self, location: &str) -> Value {
        let code = query_of(location)["code"].clone();
        let form = [
            ("grant_type", "authorization_code"),
            ("client_id", self.spa.as_str()),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ];
        let answer = self.app.post_form("/oauth/token", &form, None).await;
        json_with_status(answer, 200).await
    }

    /// A refresh by the SPA (a public client: its id, no secret).
    async fn refresh(&self, refresh_token: &Value) -> reqwest::Response {
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", self.spa.as_str()),
            (
                "refresh_token",
                refresh_token.as_str().expect("a refresh token"),
            ),
        ];
        self.app.post_form("/oauth/token", &form, None).await
    }

    /// An ID token's header and claims, its signature checked against the JWKS, its audience the SPA.
    async fn id_token(&self, token: &Value) -> (jsonwebtoken::Header, Value) {
        let id_token = token["id_token"].as_str().expect("an id_token");
        verify_with_jwks(
            id_token,
            &self.app.jwks().await,
            &self.app.address,
            &self.spa,
        )
    }
}

#[actix_web::test]
async fn discovery_is_openid_provider_metadata_that_agrees_with_rfc_8414() {
    let app = spawn_app().await;
    let oidc: Value = app
        .get("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    let oauth: Value = app
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    // OpenID Connect Discovery 1.0 §3: the REQUIRED fields, and what keygate offers.
    assert_eq!(oidc["issuer"], app.address.as_str());
    assert_eq!(oidc["userinfo_endpoint"], app.url("/oauth/userinfo"));
    assert_eq!(oidc["end_session_endpoint"], app.url("/oauth/logout"));
    assert_eq!(oidc["subject_types_supported"], json!(["public"]));
    assert_eq!(
        oidc["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    assert_eq!(oidc["response_types_supported"], json!(["code"]));
    for scope in ["openid", "profile", "email", "offline_access"] {
        assert!(
            oidc["scopes_supported"]
                .as_array()
                .unwrap()
                .contains(&json!(scope)),
            "{scope}"
        );
    }
    for claim in [
        "sub",
        "auth_time",
        "nonce",
        "sid",
        "email",
        "email_verified",
        "name",
    ] {
        assert!(
            oidc["claims_supported"]
                .as_array()
                .unwrap()
                .contains(&json!(claim)),
            "{claim}"
        );
    }
    assert!(oidc["prompt_values_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("none")));
    // Every field of the RFC 8414 document says the same in the OpenID one.
    for (field, value) in oauth.as_object().unwrap() {
        assert_eq!(&oidc[field], value, "{field}");
    }
}

#[actix_web::test]
async fn the_code_flow_with_openid_returns_an_id_token_with_nonce_at_hash_session_and_profile() {
    let world = world().await;
    let mut browser = Browser::new();
    let url = world.authorize_url("&scope=openid%20profile%20email&nonce=n-0S6_WzA2Mj");
    let location = browser.authorize(&world.app, &url, "alice").await;
    let token = world.exchange(&location).await;
    let (header, claims) = world.id_token(&token).await;
    assert_eq!(
        header.typ.as_deref(),
        Some("JWT"),
        "not an access token's at+jwt"
    );
    assert_eq!(claims["sub"], world.alice.id.as_str());
    assert_eq!(claims["aud"], world.spa.as_str());
    assert_eq!(claims["tid"], world.tenant.id.as_str());
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(claims["name"], "Alice Liddell");
    assert_eq!(claims["preferred_username"], "alice");
    assert_eq!(claims["email"], "Alice@Example.com");
    assert_eq!(claims["email_verified"], true);
    assert!(claims["sid"].is_string() && claims["auth_time"].is_i64());
    // at_hash: the left half of the access token's SHA-256, base64url (Core 1.0 §3.1.3.6).
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        token["access_token"].as_str().unwrap().as_bytes(),
    );
    use base64::Engine;
    let at_hash = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16]);
    assert_eq!(claims["at_hash"], at_hash.as_str());
    // A refresh keeps sub, auth_time and sid; it carries no nonce.
    let refreshed = world.refresh(&token["refresh_token"]).await;
    let (_, again) = world
        .id_token(&json_with_status(refreshed, 200).await)
        .await;
    for claim in ["sub", "auth_time", "sid", "email"] {
        assert_eq!(again[claim], claims[claim], "{claim}");
    }
    assert!(again.get("nonce").is_none());
    // Without openid there is no ID token.
    let plain = world.authorize_url("&scope=documents:read");
    let location = browser.authorize(&world.app, &plain, "alice").await;
    assert!(world.exchange(&location).await.get("id_token").is_none());
}

#[actix_web::test]
async fn the_sign_in_session_answers_silently_until_prompt_or_max_age_ask_for_a_new_sign_in() {
    let world = world().await;
    let mut browser = Browser::new();
    // prompt=none without a session: login_required at the redirect URI, with state.
    let silent = world.authorize_url("&scope=openid&prompt=none");
    let answer = browser.get(&silent).await;
    assert_eq!(answer.status(), 302);
    let query = query_of(&location(&answer));
    assert_eq!(
        (query["error"].as_str(), query["state"].as_str()),
        ("login_required", "xyz")
    );
    // Signing in starts the session; its cookie is HttpOnly, SameSite=Lax and scoped to /oauth.
    let first = browser
        .authorize(&world.app, &world.authorize_url("&scope=openid"), "alice")
        .await;
    let (_, first) = world.id_token(&world.exchange(&first).await).await;
    assert!(browser.cookies.contains_key("keygate_sign_in"));
    // prompt=none and no prompt at all are now answered without the page, in the same session.
    for extra in [
        "&scope=openid&prompt=none",
        "&scope=openid",
        "&scope=openid&max_age=3600",
    ] {
        let answer = browser.get(&world.authorize_url(extra)).await;
        assert_eq!(answer.status(), 302, "{extra}");
        let (_, claims) = world
            .id_token(&world.exchange(&location(&answer)).await)
            .await;
        assert_eq!(
            (&claims["sid"], &claims["auth_time"]),
            (&first["sid"], &first["auth_time"])
        );
    }
    // prompt=login and max_age=0 show the page again.
    for extra in ["&scope=openid&prompt=login", "&scope=openid&max_age=0"] {
        assert_eq!(
            browser.get(&world.authorize_url(extra)).await.status(),
            200,
            "{extra}"
        );
    }
    // prompt=none with another value is invalid_request.
    let answer = browser
        .get(&world.authorize_url("&prompt=none%20login"))
        .await;
    assert_eq!(query_of(&location(&answer))["error"], "invalid_request");
    // Disabling alice ends the session: prompt=none needs a sign-in again.
    let disabled = json!({"disabled": true});
    world
        .tenant
        .change_user(&world.app, &world.alice.id, disabled)
        .await;
    let answer = browser.get(&silent).await;
    assert_eq!(query_of(&location(&answer))["error"], "login_required");
}

/// Core 1.0 §3.1.2.1: `id_token_hint` names whom the client expects; the session answers only for that user.
#[actix_web::test]
async fn an_id_token_hint_is_answered_only_by_the_session_of_its_user() {
    let world = world().await;
    world.tenant.user(&world.app, "bob").await;
    let mut alices_browser = Browser::new();
    let signed_in = alices_browser
        .authorize(&world.app, &world.authorize_url("&scope=openid"), "alice")
        .await;
    let alices = world.exchange(&signed_in).await["id_token"].clone();
    let signed_in = Browser::new()
        .authorize(&world.app, &world.authorize_url("&scope=openid"), "bob")
        .await;
    let bobs = world.exchange(&signed_in).await["id_token"].clone();

    let silent = |hint: &Value| {
        world.authorize_url(&format!(
            "&scope=openid&prompt=none&id_token_hint={}",
            hint.as_str().expect("an ID token")
        ))
    };
    let answer = alices_browser.get(&silent(&alices)).await;
    let (_, claims) = world
        .id_token(&world.exchange(&location(&answer)).await)
        .await;
    assert_eq!(claims["sub"], world.alice.id.as_str());
    let answer = alices_browser.get(&silent(&bobs)).await;
    assert_eq!(query_of(&location(&answer))["error"], "login_required");
    let answer = alices_browser.get(&silent(&json!("not.a.token"))).await;
    assert_eq!(query_of(&location(&answer))["error"], "invalid_request");
}

#[actix_web::test]
async fn userinfo_answers_the_claims_of_the_scopes_and_refuses_with_a_bearer_challenge() {
    let world = world().await;
    let mut browser = Browser::new();
    let url = world.authorize_url("&scope=openid%20email");
    let location = browser.authorize(&world.app, &url, "alice").await;
    let token = world.exchange(&location).await;
    let access = token["access_token"].as_str().unwrap();
    let userinfo = world.app.url("/oauth/userinfo");
    let http = &world.app.http;
    for request in [http.get(&userinfo), http.post(&userinfo)] {
        let answer = request
            .bearer_auth(access)
            .header("origin", ORIGIN)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.headers()["access-control-allow-origin"], ORIGIN);
        let claims = json_with_status(answer, 200).await;
        assert_eq!(claims["sub"], world.alice.id.as_str());
        assert_eq!(claims["email"], "Alice@Example.com");
        assert!(
            claims.get("name").is_none(),
            "profile was not granted: {claims}"
        );
    }
    let preflight = http
        .request(reqwest::Method::OPTIONS, &userinfo)
        .header("origin", ORIGIN)
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(preflight.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("GET"));
    let challenge = |answer: &reqwest::Response| {
        answer.headers()[WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .to_string()
    };
    let bad = http
        .get(&userinfo)
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    assert!(
        challenge(&bad).starts_with("Bearer ")
            && challenge(&bad).contains("error=\"invalid_token\"")
    );
    let none = http.get(&userinfo).send().await.unwrap();
    assert_eq!(none.status(), 401);
    // A token without openid is insufficient_scope.
    let plain = browser
        .authorize(
            &world.app,
            &world.authorize_url("&scope=documents:read"),
            "alice",
        )
        .await;
    let plain = world.exchange(&plain).await;
    let answer = http
        .get(&userinfo)
        .bearer_auth(plain["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
    assert!(challenge(&answer).contains("error=\"insufficient_scope\""));
    // A revoked token (its user deleted) is invalid_token.
    let path = format!("/v1/tenants/{}/users/{}", world.tenant.id, world.alice.id);
    world
        .app
        .api(
            reqwest::Method::DELETE,
            &path,
            &world.tenant.admin_token,
            None,
        )
        .await;
    let answer = http
        .get(&userinfo)
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    assert!(challenge(&answer).contains("error=\"invalid_token\""));
}

#[actix_web::test]
async fn logout_ends_the_session_and_its_refresh_tokens_and_returns_only_to_a_registered_uri() {
    let world = world().await;
    let mut browser = Browser::new();
    let signed_in = browser
        .authorize(&world.app, &world.authorize_url("&scope=openid"), "alice")
        .await;
    let token = world.exchange(&signed_in).await;
    let hint = token["id_token"].as_str().unwrap();
    let logout = |extra: &str| {
        world
            .app
            .url(&format!("/oauth/logout?id_token_hint={hint}{extra}"))
    };
    // An unregistered return address is shown as an error, never followed; a forged hint likewise.
    let elsewhere = browser
        .get(&logout("&post_logout_redirect_uri=https://evil.example/"))
        .await;
    assert_eq!(elsewhere.status(), 400);
    assert!(elsewhere.text().await.unwrap().contains("not registered"));
    let forged = world
        .app
        .url("/oauth/logout?id_token_hint=eyJhbGciOiJub25lIn0.e30.");
    assert_eq!(browser.get(&forged).await.status(), 400);
    let back = format!("&post_logout_redirect_uri={SIGNED_OUT}&state=bye");
    let answer = browser.get(&logout(&back)).await;
    assert_eq!(answer.status(), 302);
    assert_eq!(location(&answer), format!("{SIGNED_OUT}?state=bye"));
    assert!(
        !browser.cookies.contains_key("keygate_sign_in"),
        "the cookie is removed"
    );
    // The session's refresh token is refused, and the session no longer signs in silently, even from a copy of the
    // cookie.
    let refused = world.refresh(&token["refresh_token"]).await;
    assert_eq!(
        json_with_status(refused, 400).await["error"],
        "invalid_grant"
    );
    let answer = browser.get(&world.authorize_url("&prompt=none")).await;
    assert_eq!(query_of(&location(&answer))["error"], "login_required");
    // Without a hint or a return address: the signed-out page.
    let page = browser.get(&world.app.url("/oauth/logout")).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("signed out"));
}

/// openid-client, as its README shows: discovery, code + PKCE + nonce (it checks the ID token), userinfo, refresh,
/// and its end-session URL, which keygate follows back to the registered address.
#[actix_web::test]
async fn openid_client_signs_in_reads_userinfo_refreshes_and_logs_out() {
    let world = world().await;
    let started = run_node(
        "openid-client.mjs",
        &["start", &world.app.address, &world.spa, REDIRECT],
    );
    let url = started["url"].as_str().unwrap();
    assert!(url.starts_with(&world.app.url("/oauth/authorize")), "{url}");
    let mut browser = Browser::new();
    let callback = browser.authorize(&world.app, url, "alice").await;
    let field = |name: &str| started[name].as_str().unwrap().to_string();
    let (verifier, nonce, state) = (field("verifier"), field("nonce"), field("state"));
    let args = [
        "finish",
        &world.app.address,
        &world.spa,
        &callback,
        &verifier,
        &nonce,
        &state,
        SIGNED_OUT,
    ];
    let finished = run_node("openid-client.mjs", &args);
    assert_eq!(finished["claims"]["sub"], world.alice.id.as_str());
    assert_eq!(finished["claims"]["nonce"], nonce.as_str());
    assert_eq!(finished["userinfo"]["email"], "Alice@Example.com");
    assert_eq!(finished["userinfo"]["name"], "Alice Liddell");
    assert_eq!(
        finished["refreshed_claims"]["auth_time"],
        finished["claims"]["auth_time"]
    );
    let end_session = finished["end_session_url"].as_str().unwrap();
    let answer = browser.get(end_session).await;
    assert_eq!(location(&answer), format!("{SIGNED_OUT}?state=signed-out"));
    let refused = world.refresh(&finished["refresh_token"]).await;
    assert_eq!(
        refused.status(),
        400,
        "logout ended the refresh tokens of its session"
    );
}

const AUTHLIB_OIDC: &str = r#"
import json, sys
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken
command, issuer, client_id = sys.argv[1:4]
meta = requests.get(issuer + "/.well-known/openid-configuration").json()
session = OAuth2Session(client_id, scope="openid profile email", redirect_uri="https://app.example/callback",
                        code_challenge_method="S256", token_endpoint_auth_method="none")
if command == "start":
    from authlib.common.security import generate_token
    verifier, nonce = generate_token(48), generate_token(20)
    url, state = session.create_authorization_url(meta["authorization_endpoint"], nonce=nonce, code_verifier=verifier)
    print(json.dumps({"url": url, "verifier": verifier, "nonce": nonce, "state": state}))
else:
    callback, verifier, nonce, state = sys.argv[4:8]
    session.state = state
    token = session.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    # As Authlib documents ID token validation: the JWKS, CodeIDToken (iss, aud, exp, iat, nonce, at_hash).
    keys = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"]).json())
    claims = jwt.decode(token["id_token"], keys, claims_cls=CodeIDToken,
                        claims_options={"iss": {"value": meta["issuer"]}},
                        claims_params={"nonce": nonce, "client_id": client_id, "access_token": token["access_token"]})
    claims.validate()
    userinfo = session.get(meta["userinfo_endpoint"]).json()
    print(json.dumps({"claims": dict(claims), "userinfo": userinfo}))
"#;

/// Authlib's OIDC client: its `CodeIDToken` validation (signature, nonce, at_hash) takes keygate's ID token, and
/// its session reads userinfo.
#[actix_web::test]
async fn authlib_validates_the_id_token_and_reads_userinfo() {
    let world = world().await;
    let started: Value = serde_json::from_str(&run_python(
        AUTHLIB_OIDC,
        &["start", &world.app.address, &world.spa],
    ))
    .unwrap();
    let mut browser = Browser::new();
    let callback = browser
        .authorize(&world.app, started["url"].as_str().unwrap(), "alice")
        .await;
    let field = |name: &str| started[name].as_str().unwrap().to_string();
    let args = [
        "finish",
        &world.app.address,
        &world.spa,
        &callback,
        &field("verifier"),
        &field("nonce"),
        &field("state"),
    ];
    let finished: Value = serde_json::from_str(&run_python(AUTHLIB_OIDC, &args)).unwrap();
    assert_eq!(finished["claims"]["sub"], world.alice.id.as_str());
    assert_eq!(finished["claims"]["email_verified"], true);
    assert_eq!(finished["userinfo"]["sub"], world.alice.id.as_str());
    assert_eq!(finished["userinfo"]["preferred_username"], "alice");
}

/// The `openidconnect` crate, as its documentation shows: it reads keygate's discovery document (it refused the
/// RFC 8414 one: `missing field subject_types_supported`), runs code + PKCE + nonce, verifies the ID token against
/// the JWKS (signature, issuer, audience, nonce, and `at_hash` by hand as its docs do), and reads userinfo.
#[actix_web::test]
async fn the_openidconnect_crate_discovers_signs_in_verifies_the_id_token_and_reads_userinfo() {
    use openidconnect::core::{
        CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
    };
    use openidconnect::{
        AccessTokenHash, AuthorizationCode, ClientId, CsrfToken, IssuerUrl, Nonce,
        OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
    };
    let world = world().await;
    let http = openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let issuer = IssuerUrl::new(world.app.address.clone()).unwrap();
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .expect("the discovery document is OpenID Provider metadata");
    let client =
        CoreClient::from_provider_metadata(metadata, ClientId::new(world.spa.clone()), None)
            .set_redirect_uri(RedirectUrl::new(REDIRECT.to_string()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();
    let callback = Browser::new()
        .authorize(&world.app, url.as_str(), "alice")
        .await;
    let code = query_of(&callback)["code"].clone();
    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .expect("discovery gave a token endpoint")
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("the code exchange");
    let id_token = token.id_token().expect("an ID token");
    let claims = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .expect("the ID token verifies");
    assert_eq!(claims.subject().as_str(), world.alice.id.as_str());
    let expected_hash = AccessTokenHash::from_token(
        token.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&client.id_token_verifier()).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));
    let userinfo: CoreUserInfoClaims = client
        .user_info(token.access_token().clone(), None)
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo");
    let email = userinfo.email().map(|e| e.as_str());
    assert_eq!(email, Some("Alice@Example.com"));
}
