//! Trusted issuers: external OpenID Connect issuers whose JWTs a tenant accepts as a service client's identity
//! (RFC 7523 §3's trust relationship), and the rules that map such a token to one client (docs/contract.md,
//! "Trusted identities").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ids::IdKind;

/// The JWS algorithms a trust may accept: asymmetric only, so that no published key can be used as an HMAC secret.
pub const ALGORITHMS: [&str; 9] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
];
/// What a trust accepts when it names no algorithms: what GitHub, GitLab, Kubernetes and most issuers sign with.
pub const DEFAULT_ALGORITHMS: [&str; 2] = ["RS256", "ES256"];
/// Claims keygate checks itself: a rule about them would mean nothing.
const CHECKED_CLAIMS: [&str; 6] = ["iss", "aud", "exp", "nbf", "iat", "jti"];
const MAX_RULES: usize = 100;
const MAX_CONDITIONS: usize = 20;
const MAX_AUDIENCES: usize = 10;
const MAX_INLINE_KEYS: usize = 20;
/// The longest a trust may let an external token be old (`max_token_age`), in seconds.
pub const MAX_TOKEN_AGE_LIMIT: i64 = 24 * 3600;

/// Maps tokens whose claims all match to `client_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[schema(pattern = "^sc_[0-9A-Za-z]{22}$")]
    pub client_id: String,
    /// Claim name → pattern: the claim must be a string equal to the pattern, where `*` stands for any run of
    /// characters (`repo:acme/api:*`). All must hold.
    #[schema(example = json!({"repository": "acme/api", "ref": "refs/heads/main"}))]
    pub claims: BTreeMap<String, String>,
}

impl Rule {
    /// Whether every condition holds for `claims`; a claim that is absent or not a string fails its condition.
    pub fn matches(&self, claims: &serde_json::Map<String, Value>) -> bool {
        self.claims.iter().all(|(name, pattern)| {
            claims
                .get(name)
                .and_then(Value::as_str)
                .is_some_and(|value| glob_matches(pattern, value))
        })
    }
}

/// `pattern` against `value`, where `*` matches any run of characters (also none, also `/`); all else is literal.
pub fn glob_matches(pattern: &str, value: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = value.strip_prefix(first) else {
        return false;
    };
    let middle: Vec<&str> = parts.collect();
    let Some((last, middle)) = middle.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// Where a trust's verification keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `{issuer}/.well-known/openid-configuration`'s `jwks_uri`.
    Discovery,
    JwksUri(String),
    /// Public JWKs stored with the trust.
    Inline(Value),
}

/// A trust as given and as stored, checked by [`TrustSpec::validate`].
#[derive(Debug, Clone)]
pub struct TrustSpec {
    pub issuer: String,
    pub keys: KeySource,
    pub audiences: Vec<String>,
    pub algorithms: Vec<String>,
    pub max_token_age: Option<i64>,
    pub rules: Vec<Rule>,
}

/// Why a trust was refused: the field it is about, and what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TrustSpecError {
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: impl Into<String>) -> TrustSpecError {
    TrustSpecError {
        field,
        message: message.into(),
    }
}

/// Which URLs keygate fetches keys from: `https`, or `http` on a loopback address when the operator allowed it.
#[derive(Debug, Clone, Copy)]
pub struct UrlPolicy {
    pub loopback_http: bool,
}

impl UrlPolicy {
    /// Refuses what keygate will not fetch (or, for an issuer, what its tokens could not name).
    pub fn check(self, field: &'static str, text: &str) -> Result<url::Url, TrustSpecError> {
        let printable =
            !text.is_empty() && text.len() <= 512 && text.bytes().all(|b| b.is_ascii_graphic());
        let url = url::Url::parse(text)
            .ok()
            .filter(|u| printable && u.host().is_some() && u.fragment().is_none())
            .filter(|u| u.username().is_empty() && u.password().is_none())
            .ok_or_else(|| {
                refuse(
                    field,
                    format!(
                        "{field} must be an absolute https URL without credentials or fragment"
                    ),
                )
            })?;
        match url.scheme() {
            "https" => Ok(url),
            "http" if self.loopback_http && is_loopback_host(&url) => Ok(url),
            "http" => Err(refuse(
                field,
                format!("{field} must use https (plain http only on loopback, when trusted_issuer_loopback_http is set)"),
            )),
            _ => Err(refuse(field, format!("{field} must be an https URL"))),
        }
    }
}

/// `localhost` or a loopback address literal.
pub fn is_loopback_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn printable(text: &str, max: usize) -> bool {
    !text.is_empty() && text.chars().count() <= max && !text.chars().any(char::is_control)
}

impl TrustSpec {
    /// Checks every field: URLs keygate may fetch, public keys it can use, asymmetric algorithms, bounded lists, and
    /// rules that each constrain a claim (a rule of `*` alone would let every token of the issuer in).
    pub fn validate(&mut self, policy: UrlPolicy) -> Result<(), TrustSpecError> {
        let issuer = policy.check("issuer", &self.issuer)?;
        if issuer.query().is_some() {
            return Err(refuse("issuer", "issuer must not have a query"));
        }
        match &self.keys {
            KeySource::Discovery => {}
            KeySource::JwksUri(uri) => {
                policy.check("jwks_uri", uri)?;
            }
            KeySource::Inline(jwks) => check_inline_keys(jwks)?,
        }
        if self.audiences.is_empty() || self.audiences.len() > MAX_AUDIENCES {
            return Err(refuse(
                "audiences",
                format!("audiences must list 1 to {MAX_AUDIENCES} values the tokens name in aud"),
            ));
        }
        if let Some(bad) = self.audiences.iter().find(|a| !printable(a, 512)) {
            return Err(refuse(
                "audiences",
                format!("audience {bad:?} must be 1 to 512 printable characters"),
            ));
        }
        if self.algorithms.is_empty() {
            self.algorithms = DEFAULT_ALGORITHMS.map(String::from).to_vec();
        }
        if let Some(bad) = self
            .algorithms
            .iter()
            .find(|a| !ALGORITHMS.contains(&a.as_str()))
        {
            return Err(refuse(
                "algorithms",
                format!(
                    "algorithm {bad:?} is not accepted: use {}",
                    ALGORITHMS.join(", ")
                ),
            ));
        }
        self.algorithms.sort();
        self.algorithms.dedup();
        if self
            .max_token_age
            .is_some_and(|age| !(1..=MAX_TOKEN_AGE_LIMIT).contains(&age))
        {
            return Err(refuse(
                "max_token_age",
                format!("max_token_age must be 1 to {MAX_TOKEN_AGE_LIMIT} seconds"),
            ));
        }
        if self.rules.len() > MAX_RULES {
            return Err(refuse("rules", format!("at most {MAX_RULES} rules")));
        }
        self.rules.iter().try_for_each(check_rule)
    }
}

fn check_rule(rule: &Rule) -> Result<(), TrustSpecError> {
    if !IdKind::ServiceClient.matches(&rule.client_id) {
        return Err(refuse(
            "rules",
            format!("{:?} is not a client id", rule.client_id),
        ));
    }
    if rule.claims.is_empty() || rule.claims.len() > MAX_CONDITIONS {
        return Err(refuse(
            "rules",
            format!("each rule names 1 to {MAX_CONDITIONS} claims and the pattern each must match"),
        ));
    }
    for (name, pattern) in &rule.claims {
        if !printable(name, 100) || !printable(pattern, 512) {
            return Err(refuse(
                "rules",
                "claim names (1 to 100) and patterns (1 to 512) are printable characters",
            ));
        }
        if CHECKED_CLAIMS.contains(&name.as_str()) {
            return Err(refuse(
                "rules",
                format!("{name} is checked by the trust itself (issuer, audiences, lifetime); rules are about other claims"),
            ));
        }
    }
    if rule
        .claims
        .values()
        .all(|pattern| pattern.chars().all(|c| c == '*'))
    {
        return Err(refuse(
            "rules",
            "a rule must constrain at least one claim: a pattern of only * lets every token of the issuer in",
        ));
    }
    Ok(())
}

/// Inline keys: `{"keys": [...]}` of 1 to 20 keys, each with a `kid` when there are several (that each is a public
/// key keygate can verify with is the service's check: it needs the crypto layer).
fn check_inline_keys(jwks: &Value) -> Result<(), TrustSpecError> {
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .filter(|keys| !keys.is_empty() && keys.len() <= MAX_INLINE_KEYS)
        .ok_or_else(|| {
            refuse(
                "jwks",
                format!(
                    "jwks must be a JWK set, {{\"keys\": [...]}}, of 1 to {MAX_INLINE_KEYS} keys"
                ),
            )
        })?;
    if keys.len() > 1
        && keys
            .iter()
            .any(|k| k.get("kid").and_then(Value::as_str).is_none())
    {
        return Err(refuse("jwks", "with several keys, each needs a kid"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_literally_but_for_stars() {
        assert!(glob_matches(
            "repo:acme/api:*",
            "repo:acme/api:ref:refs/heads/main"
        ));
        assert!(glob_matches("acme/*", "acme/"));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("a*b*c", "aXbYc"));
        assert!(glob_matches("exact", "exact"));
        assert!(!glob_matches("exact", "exactly"));
        assert!(!glob_matches("acme/*", "acme-evil/api"));
        assert!(!glob_matches("*main", "refs/heads/main-evil"));
        assert!(!glob_matches("a*b*c", "aXcYb"));
        assert!(!glob_matches("ab*ba", "aba"));
    }

    #[test]
    fn a_rule_needs_every_condition_and_string_claims() {
        let rule = Rule {
            client_id: IdKind::ServiceClient.generate(),
            claims: [
                ("repository".to_string(), "acme/*".to_string()),
                ("ref".into(), "refs/heads/main".into()),
            ]
            .into(),
        };
        let claims = |v: Value| v.as_object().cloned().unwrap_or_default();
        assert!(rule.matches(&claims(
            serde_json::json!({"repository": "acme/api", "ref": "refs/heads/main"})
        )));
        assert!(!rule.matches(&claims(serde_json::json!({"repository": "acme/api"}))));
        assert!(!rule.matches(&claims(
            serde_json::json!({"repository": ["acme/api"], "ref": "refs/heads/main"})
        )));
    }
}
