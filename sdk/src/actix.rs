//! actix-web integration: [`Identity`] as an extractor, [`Rejection`] as the answer when it fails, and
//! [`Authorizer::require`] for permission checks inside handlers.

use std::fmt;

use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use futures_util::future::LocalBoxFuture;
use serde_json::json;

use crate::dpop::ALGORITHMS;
use crate::{Authorizer, Error, Identity, ProvedRequest, Verifier};

/// A refused request: 401 with a `WWW-Authenticate` challenge (RFC 6750 §3, RFC 7617), 403, 429 or 503, with a
/// JSON body `{"error", "message"}`.
#[derive(Debug)]
pub struct Rejection {
    status: StatusCode,
    code: &'static str,
    message: String,
    challenge: Option<String>,
    retry_after: Option<u64>,
}

impl Rejection {
    /// 403: the caller is known but may not do this.
    pub fn forbidden(message: impl Into<String>) -> Rejection {
        Rejection::new(StatusCode::FORBIDDEN, "forbidden", message.into())
    }

    fn new(status: StatusCode, code: &'static str, message: String) -> Rejection {
        Rejection {
            status,
            code,
            message,
            challenge: None,
            retry_after: None,
        }
    }

    /// The answer to a failed verification of `authorization` (the request's header, maybe empty).
    pub fn unauthenticated(realm: &str, authorization: &str, error: Error) -> Rejection {
        Rejection::challenging(realm, None, authorization, error)
    }

    /// The answer to a failed verification, whose Bearer and DPoP challenges name the API's protected resource
    /// metadata (RFC 9728 §5.1) when it has some.
    pub fn challenging(
        realm: &str,
        resource_metadata: Option<&str>,
        authorization: &str,
        error: Error,
    ) -> Rejection {
        let scheme = authorization.split(' ').next().unwrap_or_default();
        let metadata = resource_metadata
            .map(|url| format!(", resource_metadata=\"{}\"", quotable(url)))
            .unwrap_or_default();
        let bearer = format!("Bearer realm=\"{realm}\"{metadata}");
        let basic = format!("Basic realm=\"{realm}\"");
        let dpop = format!("DPoP realm=\"{realm}\"{metadata}, algs=\"{ALGORITHMS}\"");
        let (code, challenge) = match &error {
            Error::MissingCredentials => ("unauthorized", format!("{bearer}, {basic}")),
            // RFC 9449 §7.1: a proof's failure, or a token of the wrong scheme, is told under DPoP too.
            Error::InvalidDpopProof(why) => (
                "invalid_dpop_proof",
                format!(
                    "{dpop}, error=\"invalid_dpop_proof\", error_description=\"{}\"",
                    quotable(why)
                ),
            ),
            Error::InvalidToken(why)
                if scheme.eq_ignore_ascii_case("dpop") || why.contains("DPoP") =>
            {
                (
                    "invalid_token",
                    format!(
                        "{dpop}, error=\"invalid_token\", error_description=\"{}\"",
                        quotable(why)
                    ),
                )
            }
            Error::InvalidToken(_) | Error::InvalidCredentials
                if scheme.eq_ignore_ascii_case("basic") =>
            {
                ("invalid_credentials", basic)
            }
            Error::InvalidToken(why) => (
                "invalid_token",
                format!(
                    "{bearer}, error=\"invalid_token\", error_description=\"{}\"",
                    quotable(why)
                ),
            ),
            Error::InvalidCredentials => (
                "invalid_token",
                format!("{bearer}, error=\"invalid_token\""),
            ),
            Error::Throttled(after) => {
                let mut rejection = Rejection::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    error.to_string(),
                );
                rejection.retry_after = Some(after.as_secs().max(1));
                return rejection;
            }
            _ => return Rejection::unavailable(error),
        };
        let mut rejection = Rejection::new(StatusCode::UNAUTHORIZED, code, error.to_string());
        rejection.challenge = Some(challenge);
        rejection
    }

    /// 503: keygate could not answer.
    pub fn unavailable(error: Error) -> Rejection {
        tracing::error!(%error, "cannot check the caller with keygate");
        Rejection::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "authentication is temporarily unavailable".into(),
        )
    }
}

/// Text fit for a quoted-string in a challenge (RFC 6750 §3 allows no `"` or `\`).
fn quotable(text: &str) -> String {
    text.chars()
        .filter(|c| *c != '"' && *c != '\\' && (' '..='~').contains(c))
        .collect()
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.status, self.code, self.message)
    }
}

impl ResponseError for Rejection {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some(challenge) = &self.challenge {
            response.insert_header((header::WWW_AUTHENTICATE, challenge.as_str()));
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(json!({"error": self.code, "message": self.message}))
    }
}

/// The verified caller of a handler. Needs a [`Verifier`] in the app data (`App::app_data(verifier)` or
/// `web::Data<Verifier>`).
///
/// ```no_run
/// use actix_web::{web, App, HttpServer, Responder};
/// use keygate_sdk::{Identity, Verifier};
///
/// async fn whoami(identity: Identity) -> impl Responder {
///     identity.subject
/// }
///
/// # async fn run() -> std::io::Result<()> {
/// let verifier = Verifier::new("https://auth.example.com");
/// HttpServer::new(move || App::new().app_data(verifier.clone()).route("/whoami", web::get().to(whoami)))
///     .bind("127.0.0.1:8081")?
///     .run()
///     .await
/// # }
/// ```
impl FromRequest for Identity {
    type Error = Rejection;
    type Future = LocalBoxFuture<'static, Result<Identity, Rejection>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let verifier = req.app_data::<Verifier>().cloned().or_else(|| {
            req.app_data::<web::Data<Verifier>>()
                .map(|v| v.get_ref().clone())
        });
        let text = |name| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let authorization = text(header::AUTHORIZATION).unwrap_or_default();
        let proofs = req.headers().get_all("dpop").count();
        let proof = text(header::HeaderName::from_static("dpop"));
        let method = req.method().to_string();
        let base = verifier
            .as_ref()
            .and_then(|v| v.public_url().map(str::to_string));
        let base = base.unwrap_or_else(|| {
            let connection = req.connection_info();
            format!("{}://{}", connection.scheme(), connection.host())
        });
        let url = format!("{base}{}", req.path());
        Box::pin(async move {
            let Some(verifier) = verifier else {
                return Err(Rejection::unavailable(Error::InvalidKey(
                    "no keygate_sdk::Verifier in the app data".into(),
                )));
            };
            let metadata = verifier.resource_metadata().map(|m| m.url());
            let reject = |e| {
                Rejection::challenging(verifier.realm(), metadata.as_deref(), &authorization, e)
            };
            if proofs > 1 {
                return Err(reject(Error::InvalidDpopProof(
                    "send one DPoP header".into(),
                )));
            }
            let request = ProvedRequest {
                method: &method,
                url: &url,
            };
            verifier
                .verify_request(&authorization, proof.as_deref(), request)
                .await
                .map_err(reject)
        })
    }
}

impl Authorizer {
    /// `Ok` when `identity` may use `permission` on `resource`, else a 403 (or a 503 when keygate cannot answer).
    ///
    /// ```no_run
    /// use actix_web::{web, HttpResponse};
    /// use keygate_sdk::actix::Rejection;
    /// use keygate_sdk::{Authorizer, Identity};
    ///
    /// async fn read(
    ///     identity: Identity,
    ///     id: web::Path<String>,
    ///     authorizer: web::Data<Authorizer>,
    /// ) -> Result<HttpResponse, Rejection> {
    ///     authorizer.require(&identity, &format!("/documents/{id}"), "documents:read").await?;
    ///     Ok(HttpResponse::Ok().body("…"))
    /// }
    /// ```
    pub async fn require(
        &self,
        identity: &Identity,
        resource: &str,
        permission: &str,
    ) -> Result<(), Rejection> {
        match self.is_allowed(identity, resource, permission).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(Rejection::forbidden(format!(
                "{permission} on {resource} is not allowed"
            ))),
            Err(error) => Err(Rejection::unavailable(error)),
        }
    }
}

/// Serves the verifier's protected resource metadata (RFC 9728) at its well-known path, when it has a resource
/// identifier ([`VerifierBuilder::resource`](crate::VerifierBuilder::resource)); adds nothing otherwise.
///
/// ```no_run
/// use actix_web::App;
/// use keygate_sdk::Verifier;
///
/// let verifier = Verifier::builder("https://auth.example.com")
///     .resource("https://api.example.com", &["documents:read"])
///     .audience("https://api.example.com")
///     .build();
/// let app = App::new()
///     .configure(keygate_sdk::actix::resource_metadata(&verifier))
///     .app_data(verifier);
/// ```
pub fn resource_metadata(verifier: &Verifier) -> impl FnOnce(&mut web::ServiceConfig) {
    let metadata = verifier.resource_metadata().cloned();
    move |config| {
        if let Some(metadata) = metadata {
            let path = metadata.path();
            let document = serde_json::to_string(&metadata).unwrap_or_default();
            config.route(
                &path,
                web::get().to(move || {
                    let document = document.clone();
                    async move {
                        HttpResponse::Ok()
                            .insert_header((header::CACHE_CONTROL, "max-age=3600"))
                            .content_type("application/json")
                            .body(document)
                    }
                }),
            );
        }
    }
}
