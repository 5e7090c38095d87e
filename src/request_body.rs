//! Request bodies are received whole and within bounds before any handler runs: a `Content-Length` over the limit
//! is answered 413 at once, without reading; a body that has not arrived within `body_timeout_seconds` is answered
//! 408; either closes the connection. So a slow or endless body cannot hold a connection or a worker.

use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, ResponseError};
use futures_util::StreamExt;

use crate::domain::error_code::ErrorCode;
use crate::error::{ApiError, MAX_JSON_BYTES};
use crate::oauth::error::OAuthError;
use crate::state::AppState;

/// The largest body any endpoint reads (the management API's JSON); the OAuth endpoints refuse above their own,
/// smaller limit.
pub const MAX_BODY_BYTES: usize = MAX_JSON_BYTES;

/// The middleware (`actix_web::middleware::from_fn(bounded_body)`).
pub async fn bounded_body(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let chunked = req.headers().contains_key(header::TRANSFER_ENCODING);
    if declared.unwrap_or(0) == 0 && !chunked {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return Ok(refuse(req, Refusal::TooLarge));
    }
    let timeout = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.config.body_timeout_seconds)
        .unwrap_or(10);
    let mut payload = req.take_payload();
    let received =
        actix_web::rt::time::timeout(Duration::from_secs(timeout), receive(&mut payload)).await;
    match received {
        Ok(Ok(body)) => {
            req.set_payload(Payload::from(body));
            Ok(next.call(req).await?.map_into_left_body())
        }
        Ok(Err(refusal)) => Ok(refuse(req, refusal)),
        Err(_) => Ok(refuse(req, Refusal::TooSlow)),
    }
}

enum Refusal {
    TooLarge,
    TooSlow,
    Unreadable,
}

async fn receive(payload: &mut Payload) -> Result<web::Bytes, Refusal> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| Refusal::Unreadable)?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(Refusal::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The refusal in the shape of the endpoint asked (RFC 6749 §5.2 for `/oauth/`, `/v1`'s otherwise), closing the
/// connection: what is left of the body is never read.
fn refuse<B>(req: ServiceRequest, refusal: Refusal) -> ServiceResponse<EitherBody<B>> {
    let (status, code, message) = match refusal {
        Refusal::TooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            format!("the body is larger than {MAX_BODY_BYTES} bytes"),
        ),
        Refusal::TooSlow => (
            StatusCode::REQUEST_TIMEOUT,
            ErrorCode::RequestTimeout,
            "the body did not arrive in time".to_string(),
        ),
        Refusal::Unreadable => (
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
            "the body could not be read".to_string(),
        ),
    };
    let mut response = if req.path().starts_with("/oauth/") {
        OAuthError {
            status: Some(status),
            ..OAuthError::invalid_request(message)
        }
        .error_response()
    } else {
        ApiError::new(status, code, message).error_response()
    };
    response
        .head_mut()
        .set_connection_type(actix_web::http::ConnectionType::Close);
    req.into_response(response).map_into_right_body()
}
