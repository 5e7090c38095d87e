//! Form bodies (`application/x-www-form-urlencoded`) of the OAuth endpoints and the sign-in pages, read by hand
//! under RFC 6749's rules so that every malformation is described (actix's extractors answer in plain text). Each
//! edge answers a `FormError` in its own shape: `invalid_request` at the OAuth endpoints, a page on the pages.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;

/// The largest body an OAuth endpoint reads.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Why a form was refused: a description safe to show, and 400 (or 413 for an oversized body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError {
    pub status: StatusCode,
    pub description: String,
}

impl FormError {
    fn new(description: impl Into<String>) -> FormError {
        FormError {
            status: StatusCode::BAD_REQUEST,
            description: description.into(),
        }
    }
}

/// Parameters that RFC 8707 §2 allows more than once.
const REPEATABLE: &[&str] = &["resource"];

/// The decoded parameters of one request.
#[derive(Debug, Default)]
pub struct OAuthForm {
    single: HashMap<String, String>,
    resources: Vec<String>,
}

impl OAuthForm {
    /// Reads and decodes the body, refusing a wrong content type, an oversized body and repeated parameters.
    pub async fn read<S>(req: &HttpRequest, mut payload: S) -> Result<OAuthForm, FormError>
    where
        S: futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>> + Unpin,
    {
        check_content_type(req)?;
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| FormError::new(format!("unreadable body: {e}")))?;
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(FormError {
                    status: StatusCode::PAYLOAD_TOO_LARGE,
                    description: format!("request body is larger than {MAX_BODY_BYTES} bytes"),
                });
            }
            body.extend_from_slice(&chunk);
        }
        OAuthForm::parse(&body)
    }

    /// Decodes a form body (RFC 6749 §3.2: no parameter more than once; §3.1: empty means absent; Appendix B:
    /// UTF-8). A name or value that is not UTF-8 is refused and described, never echoed.
    pub fn parse(body: &[u8]) -> Result<OAuthForm, FormError> {
        let mut form = OAuthForm::default();
        for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            let mut parts = pair.splitn(2, |b| *b == b'=');
            let name = decode(parts.next().unwrap_or_default())
                .ok_or_else(|| FormError::new("a parameter name is not UTF-8"))?;
            let value = decode(parts.next().unwrap_or_default()).ok_or_else(|| {
                FormError::new(match describable(&name) {
                    Some(name) => format!("parameter {name} is not UTF-8"),
                    None => "a parameter is not UTF-8".to_string(),
                })
            })?;
            if value.is_empty() {
                continue;
            }
            if REPEATABLE.contains(&name.as_str()) {
                form.resources.push(value);
            } else if form.single.insert(name.clone(), value).is_some() {
                return Err(FormError::new(match describable(&name) {
                    Some(name) => format!("parameter {name} is repeated"),
                    None => "a parameter is repeated".to_string(),
                }));
            }
        }
        Ok(form)
    }

    /// The value of a parameter, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.single.get(name).map(String::as_str)
    }

    /// The value of a required parameter.
    pub fn require(&self, name: &str) -> Result<&str, FormError> {
        self.get(name)
            .ok_or_else(|| FormError::new(format!("missing parameter {name}")))
    }

    /// Every `resource` parameter (RFC 8707).
    pub fn resources(&self) -> &[String] {
        &self.resources
    }
}

/// One form-urlencoded component: `+` is a space, `%XX` a byte; `None` unless the bytes are UTF-8.
fn decode(component: &[u8]) -> Option<String> {
    let spaced: Vec<u8> = component
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
    String::from_utf8(bytes).ok()
}

/// A parameter name short and plain enough to repeat in an error description.
fn describable(name: &str) -> Option<&str> {
    (name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .then_some(name)
}

fn check_content_type(req: &HttpRequest) -> Result<(), FormError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        Ok(())
    } else {
        Err(FormError::new(
            "the body must be application/x-www-form-urlencoded",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_refused_except_resource() {
        assert!(OAuthForm::parse(b"scope=a&scope=b").is_err());
        let form =
            OAuthForm::parse(b"resource=https%3A%2F%2Fa&resource=https%3A%2F%2Fb&scope=").unwrap();
        assert_eq!(form.resources(), ["https://a", "https://b"]);
        assert_eq!(form.get("scope"), None);
    }

    #[test]
    fn non_utf8_is_described_not_echoed() {
        for body in [&b"scope=%FF%FE"[..], b"scope=\xff", b"%FF=1"] {
            let error = OAuthForm::parse(body).unwrap_err();
            assert!(error.description.is_ascii(), "{}", error.description);
            assert!(!error.description.contains('%'));
        }
        let form = OAuthForm::parse(b"a+b=c%20d&x=%C3%A9").unwrap();
        assert_eq!((form.get("a b"), form.get("x")), (Some("c d"), Some("é")));
    }
}
