//! Scopes (RFC 6749 §3.3): space-delimited tokens of printable ASCII without `"` or `\`.

/// The scope that grants everything; only global clients may hold it.
pub const ADMIN: &str = "keygate:admin";
/// The scope that grants everything inside the client's own tenant.
pub const TENANT_ADMIN: &str = "keygate:tenant-admin";
/// The scope of a resource server that asks `/v1/authorize` about subjects of its tenant (all, for global clients).
pub const AUTHORIZE: &str = "keygate:authorize";

/// Why a requested or configured scope is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScopeError {
    #[error("scope {0:?} is not a valid scope token (RFC 6749 §3.3)")]
    Malformed(String),
    #[error("scope {0:?} is not allowed for this client")]
    NotAllowed(String),
}

/// A scope as the OpenAPI document describes it: an RFC 6749 §3.3 scope-token (see `is_valid_token`).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, pattern = "^[\\x21\\x23-\\x5b\\x5d-\\x7e]+$")]
pub struct ScopeToken(pub String);

/// Whether `token` is a valid RFC 6749 §3.3 scope-token.
pub fn is_scope_token(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

/// Distinct scope tokens in the order first given, written space-separated as in a `scope` parameter.
#[derive(
    Debug,
    Clone,
    Default,
    PartialEq,
    Eq,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// Reads a `scope` parameter (or a stored one).
    pub fn parse(scope: &str) -> Result<Scopes, ScopeError> {
        parse(scope).map(Scopes)
    }

    pub fn tokens(&self) -> &[String] {
        &self.0
    }
}

impl std::fmt::Display for Scopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

impl serde::Serialize for Scopes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Splits a `scope` parameter into its distinct tokens, keeping their order.
pub fn parse(scope: &str) -> Result<Vec<String>, ScopeError> {
    let mut tokens: Vec<String> = Vec::new();
    for token in scope.split(' ').filter(|t| !t.is_empty()) {
        if !is_scope_token(token) {
            return Err(ScopeError::Malformed(token.to_string()));
        }
        if !tokens.iter().any(|t| t == token) {
            tokens.push(token.to_string());
        }
    }
    Ok(tokens)
}

/// The scopes to grant: the requested ones if all are allowed, else the defaults when nothing was requested.
pub fn grant(
    requested: Option<&str>,
    allowed: &[String],
    default: &[String],
) -> Result<Scopes, ScopeError> {
    let Some(requested) = requested else {
        return Ok(Scopes(default.to_vec()));
    };
    let tokens = parse(requested)?;
    match tokens.iter().find(|t| !allowed.contains(t)) {
        Some(refused) => Err(ScopeError::NotAllowed(refused.clone())),
        None => Ok(Scopes(tokens)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn scope_tokens_follow_rfc_6749() {
        assert!(is_scope_token("documents:read"));
        assert!(!is_scope_token("a\"b"));
        assert!(!is_scope_token("a\\b"));
        assert!(!is_scope_token("é"));
        assert_eq!(parse("a  b a").unwrap(), strings(&["a", "b"]));
        assert_eq!(Scopes::parse("a  b a").unwrap().to_string(), "a b");
    }

    #[test]
    fn grant_takes_defaults_or_a_subset_of_allowed() {
        let allowed = strings(&["a", "b"]);
        assert_eq!(
            grant(None, &allowed, &strings(&["a"])).unwrap().tokens(),
            ["a"]
        );
        assert_eq!(grant(Some("b"), &allowed, &[]).unwrap().tokens(), ["b"]);
        assert_eq!(
            grant(Some("b c"), &allowed, &[]),
            Err(ScopeError::NotAllowed("c".into()))
        );
    }
}
