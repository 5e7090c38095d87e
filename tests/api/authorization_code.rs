//! The authorization code flow with PKCE through the login page, over plain HTTP as a browser would drive it.

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{json, Value};

use crate::fixtures::PASSWORD;
use crate::helpers::{json_with_status, spawn_app, verify_with_jwks, TestApp};
use crate::lifecycle::{introspected_active, verify_status};

pub(crate) const REDIRECT: &str = "https://app.example/callback";
const ORIGIN: &str = "https://app.example";
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A tenant, its user `alice`, and a public SPA client; returns the client id.
pub(crate) async fn setup(app: &TestApp, name: &str) -> String {
    let tenant = app.tenant("acme").await;
    tenant.user(app, "alice").await;
    let spa = json!({"name": name, "tenant_id": tenant.id, "public": true, "scopes": ["documents:read"],
                     "redirect_uris": [REDIRECT], "allowed_origins": [ORIGIN]});
    let created = app.api_post("/v1/clients", &tenant.admin_token, spa).await;
    created["id"].as_str().unwrap().to_string()
}

fn authorize_url(app: &TestApp, client_id: &str, extra: &str) -> String {
    app.url(&format!(
        "/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={}&state=xyz&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
        urlencode(REDIRECT)
    ))
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of a hidden input from a page.
fn extract<'a>(html: &'a str, before: &str) -> &'a str {
    let start = html
        .find(before)
        .unwrap_or_else(|| panic!("{before} not in {html}"))
        + before.len();
    &html[start..start + html[start..].find('"').unwrap()]
}

/// Opens the login page and submits it; returns the answer.
async fn submit_login(app: &TestApp, client_id: &str, password: &str) -> reqwest::Response {
    let http = no_redirects();
    let page = http
        .get(authorize_url(app, client_id, ""))
        .send()
        .await
        .unwrap();
    let cookie = page.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let html = page.text().await.unwrap();
    let csrf = extract(&html, "name=\"csrf_token\" value=\"").to_string();
    let form = [
        ("csrf_token", csrf.as_str()),
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("scope", ""),
        ("state", "xyz"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("tenant", ""),
        ("username", "alice"),
        ("password", password),
    ];
    http.post(app.url("/oauth/authorize"))
        .header(COOKIE, cookie)
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Opens the login page and submits it; returns the status and body of the answer.
async fn sign_in(app: &TestApp, client_id: &str, password: &str) -> (u16, String) {
    let answer = submit_login(app, client_id, password).await;
    (answer.status().as_u16(), answer.text().await.unwrap())
}

/// Signs in and returns the code from the 303 to the redirect URI.
pub(crate) async fn code_for(app: &TestApp, client_id: &str) -> String {
    let answer = submit_login(app, client_id, PASSWORD).await;
    assert_eq!(answer.status().as_u16(), 303, "the form ends in See Other");
    let location = answer.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(location.starts_with(REDIRECT), "{location}");
    let url = url::Url::parse(&location).unwrap();
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(query["state"], "xyz");
    query["code"].clone()
}

async fn exchange(app: &TestApp, client_id: &str, code: &str, verifier: &str) -> reqwest::Response {
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", client_id),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
    ];
    app.http
        .post(app.url("/oauth/token"))
        .header("origin", ORIGIN)
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn a_user_signs_in_on_the_login_page_and_the_spa_exchanges_the_code_with_pkce() {
    let app = spawn_app().await;
    let client_id = setup(&app, "Docs SPA").await;
    let page = app
        .http
        .get(authorize_url(&app, &client_id, ""))
        .send()
        .await
        .unwrap();
    let headers = page.headers().clone();
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self' https://app.example",
        "the form may lead to the client's redirect origin, and nowhere else"
    );
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(headers[SET_COOKIE].to_str().unwrap().contains("HttpOnly"));
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Docs SPA") && !html.contains("name=\"tenant\" value=\"\" autocomplete"),
        "the client's tenant is fixed"
    );

    let code = code_for(&app, &client_id).await;
    let response = exchange(&app, &client_id, &code, VERIFIER).await;
    assert_eq!(response.headers()["access-control-allow-origin"], ORIGIN);
    let with_query_mode = no_redirects()
        .get(authorize_url(&app, &client_id, "&response_mode=query"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        with_query_mode.status().as_u16(),
        200,
        "response_mode=query is the default"
    );
    let body = json_with_status(response, 200).await;
    assert!(body["refresh_token"]
        .as_str()
        .unwrap()
        .starts_with("kg_rt_"));
    let (_, claims) = verify_with_jwks(
        body["access_token"].as_str().unwrap(),
        &app.jwks().await,
        &app.address,
        &app.address,
    );
    assert_eq!(
        (claims["gty"].as_str(), claims["client_id"].as_str()),
        (Some("authorization_code"), Some(client_id.as_str()))
    );
    assert_eq!(claims["scope"], "documents:read");
}

#[actix_web::test]
async fn a_replayed_code_is_refused_and_revokes_what_it_issued() {
    let app = spawn_app().await;
    let client_id = setup(&app, "spa").await;
    let code = code_for(&app, &client_id).await;
    let first = json_with_status(exchange(&app, &client_id, &code, VERIFIER).await, 200).await;
    assert_eq!(
        json_with_status(exchange(&app, &client_id, &code, VERIFIER).await, 400).await["error"],
        "invalid_grant"
    );
    // RFC 6749 §4.1.2: the access token issued from the code is revoked too, at once.
    let access_token = first["access_token"].as_str().unwrap();
    assert!(!introspected_active(&app, app.admin(), access_token).await);
    assert_eq!(verify_status(&app, access_token).await, 401);
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", client_id.as_str()),
        ("refresh_token", first["refresh_token"].as_str().unwrap()),
    ];
    let refreshed = app
        .http
        .post(app.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_with_status(refreshed, 400).await["error"],
        "invalid_grant"
    );
}

#[actix_web::test]
async fn a_wrong_code_verifier_is_invalid_grant() {
    let app = spawn_app().await;
    let client_id = setup(&app, "spa").await;
    let code = code_for(&app, &client_id).await;
    let wrong = "x".repeat(43);
    assert_eq!(
        json_with_status(exchange(&app, &client_id, &code, &wrong).await, 400).await["error"],
        "invalid_grant"
    );
    // The right verifier still works: a failed guess does not burn the code.
    json_with_status(exchange(&app, &client_id, &code, VERIFIER).await, 200).await;
}

#[actix_web::test]
async fn an_unregistered_redirect_uri_is_shown_on_the_page_and_never_redirected_to() {
    let app = spawn_app().await;
    let client_id = setup(&app, "spa").await;
    let evil = app.url(&format!(
        "/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={}&state=xyz&code_challenge={CHALLENGE}&code_challenge_method=S256",
        urlencode("https://evil.example/cb")
    ));
    let response = no_redirects().get(evil).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert!(response.headers().get(LOCATION).is_none());
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("redirect_uri is not registered"));
    let unknown = no_redirects()
        .get(app.url("/oauth/authorize?response_type=code&client_id=sc_nobody"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 400);
}

#[actix_web::test]
async fn other_errors_go_back_to_the_redirect_uri_with_state() {
    let app = spawn_app().await;
    let client_id = setup(&app, "spa").await;
    let cases = [
        (
            authorize_url(&app, &client_id, "")
                .replace("code_challenge_method=S256", "code_challenge_method=plain"),
            "invalid_request",
        ),
        (
            authorize_url(&app, &client_id, "")
                .replace(&format!("&code_challenge={CHALLENGE}"), ""),
            "invalid_request",
        ),
        (
            authorize_url(&app, &client_id, "")
                .replace("response_type=code", "response_type=token"),
            "unsupported_response_type",
        ),
        (
            authorize_url(&app, &client_id, "&scope=keygate%3Aadmin"),
            "invalid_scope",
        ),
        // RFC 6749 §4.1.2.1: a response mode keygate cannot answer in is an error, not silently the query.
        (
            authorize_url(&app, &client_id, "&response_mode=fragment"),
            "invalid_request",
        ),
        (
            authorize_url(&app, &client_id, "&response_mode=form_post"),
            "invalid_request",
        ),
    ];
    for (url, error) in cases {
        let response = no_redirects().get(&url).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 302, "{url}");
        let location = url::Url::parse(response.headers()[LOCATION].to_str().unwrap()).unwrap();
        let query: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
        assert_eq!(
            (query["error"].as_str(), query["state"].as_str()),
            (error, "xyz"),
            "{url}"
        );
        assert!(location.as_str().starts_with(REDIRECT));
    }
}

#[actix_web::test]
async fn a_form_without_its_csrf_cookie_is_refused() {
    let app = spawn_app().await;
    let client_id = setup(&app, "spa").await;
    let form = [
        ("csrf_token", "a".repeat(32)),
        ("client_id", client_id),
        ("username", "alice".into()),
        ("password", PASSWORD.into()),
    ];
    let response = app
        .http
        .post(app.url("/oauth/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(response.headers()["x-frame-options"], "DENY");
}

#[actix_web::test]
async fn wrong_passwords_show_an_error_and_then_throttle() {
    let app = spawn_app().await;
    let client_id = setup(&app, "spa").await;
    for _ in 0..5 {
        let (status, html) = sign_in(&app, &client_id, "wrong horse!").await;
        assert_eq!(status, 401);
        assert!(html.contains("Invalid organisation, username or password."));
    }
    let (status, html) = sign_in(&app, &client_id, PASSWORD).await;
    assert_eq!(status, 429);
    assert!(html.contains("Too many failed attempts"));
}

#[actix_web::test]
async fn client_names_are_escaped_on_the_page() {
    let app = spawn_app().await;
    let client_id = setup(&app, "<script>alert(1)</script>").await;
    let html = app
        .http
        .get(authorize_url(&app, &client_id, ""))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("&lt;script&gt;") || html.contains("&#60;script&#62;"));
}

#[actix_web::test]
async fn cors_allows_registered_origins_only_and_the_jwks_everyone() {
    let app = spawn_app().await;
    let client_id = setup(&app, "spa").await;
    let preflight = |origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, app.url("/oauth/token"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let allowed = preflight(ORIGIN).await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], ORIGIN);
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(refused
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    let jwks = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .header("origin", "https://any.example")
        .send()
        .await
        .unwrap();
    assert_eq!(jwks.headers()["access-control-allow-origin"], "*");

    let code = code_for(&app, &client_id).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", client_id.as_str()),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let foreign = app
        .http
        .post(app.url("/oauth/token"))
        .header("origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    let body: Value = json_with_status(foreign, 401).await;
    assert_eq!(body["error"], "invalid_client");
}
