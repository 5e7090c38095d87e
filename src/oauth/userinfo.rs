//! `GET/POST /oauth/userinfo` (OpenID Connect Core 1.0 §5.3): the signed-in user's claims, as far as the access
//! token's scopes allow. Errors are RFC 6750 §3's: a Bearer challenge naming the problem.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::credentials::access_token::{self, Presented, PresentedError};
use crate::credentials::dpop::ProofError;
use crate::credentials::id_token::{self, ProfileClaims};
use crate::db::users;
use crate::domain::ids::IdKind;
use crate::domain::scope::Scopes;
use crate::state::AppState;

/// The userinfo answer: `sub` and the claims of the token's scopes.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UserinfoAnswer {
    sub: String,
    /// The user's tenant.
    tid: String,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    profile: ProfileClaims,
}

/// An RFC 6750 §3 refusal: the status, the challenge's `error`, and its description.
struct Refusal(StatusCode, &'static str, &'static str);

impl Refusal {
    fn answer(self) -> HttpResponse {
        let Refusal(status, error, description) = self;
        // A proof's error is told under the DPoP scheme (RFC 9449 §7.1), the others under Bearer (RFC 6750 §3).
        let scheme = match error {
            "invalid_dpop_proof" => "DPoP",
            _ => "Bearer",
        };
        let challenge = format!(
            r#"{scheme} realm="keygate", error="{error}", error_description="{description}""#
        );
        HttpResponse::build(status)
            .insert_header((header::WWW_AUTHENTICATE, challenge))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(serde_json::json!({"error": error, "error_description": description}))
    }
}

fn invalid_token(description: &'static str) -> Refusal {
    Refusal(StatusCode::UNAUTHORIZED, "invalid_token", description)
}

/// RFC 9449 §7.1: the DPoP proof sent with a bound token does not hold.
fn invalid_proof() -> Refusal {
    Refusal(
        StatusCode::UNAUTHORIZED,
        "invalid_dpop_proof",
        "the DPoP proof is not valid for this request and token",
    )
}

fn unavailable() -> Refusal {
    Refusal(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
        "retry shortly",
    )
}

/// The userinfo endpoint.
#[utoipa::path(get, path = "/oauth/userinfo", tag = "oauth",
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserinfoAnswer),
        (status = 401, description = "invalid_token (missing, bad, expired or revoked, or its user is gone); see WWW-Authenticate"),
        (status = 403, description = "insufficient_scope: the token was not granted openid"),
    ))]
pub async fn userinfo(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    answer(&req, &state).await
}

/// The userinfo endpoint, by POST (Core 1.0 §5.3.1: both methods).
#[utoipa::path(post, path = "/oauth/userinfo", tag = "oauth",
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserinfoAnswer),
        (status = 401, description = "invalid_token (missing, bad, expired or revoked, or its user is gone); see WWW-Authenticate"),
        (status = 403, description = "insufficient_scope: the token was not granted openid"),
    ))]
pub async fn userinfo_posted(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    answer(&req, &state).await
}

async fn answer(req: &HttpRequest, state: &AppState) -> HttpResponse {
    match claims(req, state).await {
        Ok(answer) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(answer),
        Err(refusal) => refusal.answer(),
    }
}

async fn claims(req: &HttpRequest, state: &AppState) -> Result<UserinfoAnswer, Refusal> {
    let presented = Presented::from_headers(req.headers())
        .map_err(|_| invalid_proof())?
        .ok_or(Refusal(
            StatusCode::UNAUTHORIZED,
            "invalid_request",
            "send the access token as Authorization: Bearer, or DPoP with a proof",
        ))?;
    let url = format!("{}/oauth/userinfo", state.config.issuer());
    let claims = access_token::verify_presented(state, &presented, req.method().as_str(), &url)
        .await
        .map_err(|error| match error {
            PresentedError::Proof(ProofError::Database(_)) => unavailable(),
            PresentedError::Proof(_) => invalid_proof(),
            PresentedError::Scheme(description) => invalid_token(description),
            PresentedError::Token(_) => {
                invalid_token("the access token is invalid, expired or revoked")
            }
        })?;
    let scopes = Scopes::parse(&claims.scope).unwrap_or_default();
    if !id_token::is_requested(&scopes) {
        return Err(Refusal(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "the access token was not granted openid",
        ));
    }
    if !IdKind::User.matches(&claims.sub) {
        return Err(invalid_token("the access token is not a user's"));
    }
    let user_id = claims.sub.clone();
    let user = state
        .db
        .run(move |conn| users::find_by_id(conn, &user_id))
        .await
        .map_err(|error| {
            tracing::warn!(error = %error, "userinfo: database unavailable");
            unavailable()
        })?
        .filter(|user| !user.disabled)
        .ok_or(invalid_token("the user no longer exists or is disabled"))?;
    Ok(UserinfoAnswer {
        profile: ProfileClaims::of(&user, &scopes),
        sub: user.id,
        tid: user.tenant_id,
    })
}
