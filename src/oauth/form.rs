//! The body of an OAuth request: `application/x-www-form-urlencoded`, read by hand so that every malformation
//! gets an RFC-shaped answer (actix's extractors answer in plain text).

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;

use super::error::OAuthError;

/// The largest body an OAuth endpoint reads.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

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
    pub async fn read(
        req: &HttpRequest,
        mut payload: web::Payload,
    ) -> Result<OAuthForm, OAuthError> {
        check_content_type(req)?;
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk =
                chunk.map_err(|e| OAuthError::invalid_request(format!("unreadable body: {e}")))?;
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(OAuthError {
                    status: Some(StatusCode::PAYLOAD_TOO_LARGE),
                    ..OAuthError::invalid_request(format!(
                        "request body is larger than {MAX_BODY_BYTES} bytes"
                    ))
                });
            }
            body.extend_from_slice(&chunk);
        }
        OAuthForm::parse(&body)
    }

    /// Decodes a form body (RFC 6749 §3.2: no parameter more than once; §3.1: empty means absent).
    pub fn parse(body: &[u8]) -> Result<OAuthForm, OAuthError> {
        let mut form = OAuthForm::default();
        for (name, value) in url::form_urlencoded::parse(body) {
            if value.is_empty() {
                continue;
            }
            if REPEATABLE.contains(&name.as_ref()) {
                form.resources.push(value.into_owned());
            } else if form
                .single
                .insert(name.to_string(), value.into_owned())
                .is_some()
            {
                return Err(OAuthError::invalid_request(format!(
                    "parameter {name} is repeated"
                )));
            }
        }
        Ok(form)
    }

    /// The value of a parameter, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.single.get(name).map(String::as_str)
    }

    /// The value of a required parameter.
    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("missing parameter {name}")))
    }

    /// Every `resource` parameter (RFC 8707).
    pub fn resources(&self) -> &[String] {
        &self.resources
    }
}

fn check_content_type(req: &HttpRequest) -> Result<(), OAuthError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        Ok(())
    } else {
        Err(OAuthError::invalid_request(
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
}
