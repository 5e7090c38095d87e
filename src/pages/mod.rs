//! Server-rendered pages (askama): the login page of the authorization code flow. Every page carries a CSRF token
//! on its forms, a strict Content-Security-Policy and anti-framing headers, and escapes user text.

pub mod account;
pub mod authorize;
pub mod console;
pub mod csrf;
pub mod extract;
pub mod logout;
pub mod session;

use actix_web::http::StatusCode;
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub message: &'a str,
}

/// Renders a page; a template failure is logged and answered with a bare 500.
pub fn html(status: StatusCode, page: impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body),
        Err(error) => {
            tracing::error!(error = %error, "template failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}

const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; \
                                       frame-ancestors 'none'; form-action 'self'";

/// The pages' policy, with `form_target` (an origin its form's answer redirects to) added to `form-action`.
pub fn content_security_policy(form_target: &str) -> String {
    format!("{CONTENT_SECURITY_POLICY} {form_target}")
}

/// The headers of every page.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Frame-Options", "DENY"))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Cache-Control", "no-store"))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(console::configure);
    cfg.service(
        web::resource("/oauth/authorize")
            .wrap(security_headers())
            .route(web::get().to(authorize::show))
            .route(web::post().to(authorize::submit)),
    )
    .service(
        web::resource("/oauth/logout")
            .wrap(security_headers())
            .route(web::get().to(logout::show))
            .route(web::post().to(logout::submit)),
    )
    .service(
        web::scope("/account")
            .wrap(security_headers())
            .route("/login", web::get().to(account::show_login))
            .route("/login", web::post().to(account::submit_login))
            .route("/logout", web::post().to(account::logout))
            .route("/keys", web::get().to(account::show_keys))
            .route("/keys", web::post().to(account::create))
            .route("/keys/download", web::post().to(account::download))
            .route("/keys/revoke", web::post().to(account::revoke))
            .route("/keys/delete", web::post().to(account::delete)),
    )
    .route("/static/keygate.css", web::get().to(stylesheet))
    .route("/static/account.js", web::get().to(account_script))
    .route("/static/console.js", web::get().to(console_script))
    .service(
        web::scope("/demo")
            .wrap(security_headers())
            .route("/", web::get().to(demo_page))
            .route("/app.js", web::get().to(demo_script)),
    );
}

/// The demo SPA (`static/demo`): open `/demo/?client_id=<a public client>` whose redirect URI is this page.
async fn demo_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(include_str!("../../static/demo/index.html"))
}

async fn demo_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(include_str!("../../static/demo/app.js"))
}

/// A key just shown, as a download named after its client: posted back by the page, passed through, never kept.
pub fn key_file(client_id: &str, key: &str) -> HttpResponse {
    let client_id: String = client_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{client_id}.key\""),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .body(format!("{key}\n"))
}

async fn account_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(include_str!("../../static/account.js"))
}

async fn console_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(include_str!("../../static/console.js"))
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(include_str!("../../static/keygate.css"))
}
