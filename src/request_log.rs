//! What every request leaves behind: an id that the response carries in `X-Request-Id` and every log line of the
//! request names (the caller's own id when it sent a sane one, so a trace can cross services), and one log line when
//! it ends — `debug` normally, `error` for a 5xx — and its count and latency in the metrics.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use tracing::Instrument;

use crate::domain::ids::random_base62;
use crate::state::AppState;

/// The header that carries the request id both ways.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest caller-chosen request id that is passed on; longer ones are replaced.
const MAX_ID_LEN: usize = 128;

/// The middleware (`actix_web::middleware::from_fn(request_log)`).
pub async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .filter(|v| is_sane_id(v.as_bytes()))
        .cloned()
        .unwrap_or_else(|| {
            HeaderValue::from_str(&random_base62(22)).expect("base62 is a valid header value")
        });
    let span = tracing::info_span!(
        "request",
        request_id = id.to_str().unwrap_or_default(),
        method = %req.method(),
        path = req.path(),
    );
    let started = Instant::now();
    // Handlers' and extractors' errors arrive here as responses already; an `Err` would be a middleware's own.
    let mut response = next
        .call(req)
        .instrument(span.clone())
        .await?
        .map_into_boxed_body();
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    let micros = elapsed.as_micros() as u64;
    let request = response.request();
    if let Some(state) = request.app_data::<web::Data<AppState>>() {
        state.metrics.request(
            request.method().as_str(),
            request.match_pattern(),
            status,
            elapsed.as_secs_f64(),
        );
    }
    if status >= 500 {
        // Named in full: under a `warn` filter the info span is off, and this line must still say which request.
        tracing::error!(
            request_id = id.to_str().unwrap_or_default(),
            method = %request.method(),
            path = request.path(),
            status,
            micros,
            error = response.response().error().map(ToString::to_string),
            "request failed"
        );
    } else {
        span.in_scope(|| tracing::debug!(status, micros, "request"));
    }
    response.headers_mut().insert(X_REQUEST_ID.clone(), id);
    Ok(response)
}

/// Printable ASCII without spaces, quotes or backslashes, and not too long: safe to echo and to log.
fn is_sane_id(value: &[u8]) -> bool {
    (1..=MAX_ID_LEN).contains(&value.len())
        && value
            .iter()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\\' | b'\''))
}

#[cfg(test)]
mod tests {
    use super::is_sane_id;

    #[test]
    fn sane_ids_pass_and_others_are_replaced() {
        assert!(is_sane_id(b"4bf92f3577b34da6a3ce929d0e0e4736"));
        assert!(is_sane_id(b"req-1:retry/2"));
        for bad in [&b""[..], b"a b", b"quote\"", b"back\\slash", "ü".as_bytes()] {
            assert!(!is_sane_id(bad), "{bad:?}");
        }
        assert!(!is_sane_id(&[b'a'; 129]));
    }
}
