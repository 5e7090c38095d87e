//! Resource URI patterns of access records (docs/contract.md, "Access records").
//!
//! A resource is an absolute path (`/documents/42`). It is percent-decoded once and must then be in normal form: no
//! empty, `.` or `..` segments, no encoded `/`, no control characters, so that no path trick reaches a resource a
//! pattern does not name. A pattern is such a path, optionally ending in `/*`, which matches every resource below it
//! at any depth (`/documents/*` matches `/documents/1` and `/documents/1/pages/2`, not `/documents`); any other
//! pattern matches exactly that resource. A lone `*` matches every resource.

/// Why a resource or pattern is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ResourceError {
    #[error("{0:?} is not an absolute path in normal form (no empty, '.' or '..' segments, no encoded '/')")]
    NotNormal(String),
}

/// A resource path, decoded and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource(Vec<String>);

/// A resource pattern: a path, and whether it covers everything below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePattern {
    segments: Vec<String>,
    below: bool,
}

fn segments(path: &str) -> Result<Vec<String>, ResourceError> {
    let refuse = || ResourceError::NotNormal(path.to_string());
    let rest = path.strip_prefix('/').ok_or_else(refuse)?;
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    rest.split('/')
        .map(|raw| {
            let decoded = percent_encoding::percent_decode_str(raw)
                .decode_utf8()
                .map_err(|_| refuse())?;
            let bad = decoded.is_empty()
                || decoded == "."
                || decoded == ".."
                || decoded.contains('/')
                || decoded.contains('%')
                || decoded.chars().any(char::is_control);
            if bad {
                return Err(refuse());
            }
            Ok(decoded.into_owned())
        })
        .collect()
}

impl Resource {
    pub fn parse(path: &str) -> Result<Resource, ResourceError> {
        segments(path).map(Resource)
    }
}

impl ResourcePattern {
    pub fn parse(pattern: &str) -> Result<ResourcePattern, ResourceError> {
        if pattern == "*" {
            return Ok(ResourcePattern {
                segments: Vec::new(),
                below: true,
            });
        }
        match pattern.strip_suffix("/*") {
            Some(base) => Ok(ResourcePattern {
                segments: segments(if base.is_empty() { "/" } else { base })?,
                below: true,
            }),
            None => Ok(ResourcePattern {
                segments: segments(pattern)?,
                below: false,
            }),
        }
    }

    /// Whether this pattern names `resource`.
    pub fn matches(&self, resource: &Resource) -> bool {
        if self.below {
            resource.0.len() > self.segments.len() && resource.0.starts_with(&self.segments)
        } else {
            resource.0 == self.segments
        }
    }

    /// Whether every resource `other` matches, this pattern matches too.
    pub fn covers(&self, other: &ResourcePattern) -> bool {
        match (self.below, other.below) {
            (true, true) => other.segments.starts_with(&self.segments),
            (true, false) => {
                other.segments.len() > self.segments.len()
                    && other.segments.starts_with(&self.segments)
            }
            (false, false) => self.segments == other.segments,
            (false, true) => false,
        }
    }

    /// The pattern written back in normal form.
    pub fn to_text(&self) -> String {
        let path: String = self.segments.iter().map(|s| format!("/{s}")).collect();
        match (self.below, path.is_empty()) {
            (true, true) => "*".into(),
            (true, false) => format!("{path}/*"),
            (false, true) => "/".into(),
            (false, false) => path,
        }
    }
}

impl std::fmt::Display for ResourcePattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// Written as its normal-form text (how statements are stored and shown).
impl serde::Serialize for ResourcePattern {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_text())
    }
}

/// Read from text, refusing anything `parse` refuses.
impl<'de> serde::Deserialize<'de> for ResourcePattern {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ResourcePattern::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Whether a granted permission (`documents:*`, `*`, `documents:read`) includes `wanted` (`documents:read`).
pub fn permission_includes(granted: &str, wanted: &str) -> bool {
    granted == "*"
        || granted == wanted
        || granted
            .strip_suffix('*')
            .is_some_and(|prefix| prefix.ends_with(':') && wanted.starts_with(prefix))
}

/// Whether a permission is well formed: `*`, `service:action`, or `service:*`.
/// A resource pattern as the OpenAPI document describes it: `*`, or an absolute path in normal form, optionally
/// ending in `/*` (a safe subset of what `ResourcePattern::parse` takes).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, pattern = "^(\\*|/\\*|(/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+(/\\*)?)$")]
pub struct ResourcePatternText(pub String);

/// A permission as the OpenAPI document describes it: `service:action`, `service:*` or `*` (see `is_permission`).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, pattern = "^(\\*|[A-Za-z0-9._-]+:(\\*|[A-Za-z0-9._-]+))$")]
pub struct Permission(pub String);

pub fn is_permission(permission: &str) -> bool {
    if permission == "*" {
        return true;
    }
    let Some((service, action)) = permission.split_once(':') else {
        return false;
    };
    let word = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    };
    word(service) && (action == "*" || word(action))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, resource: &str) -> bool {
        ResourcePattern::parse(pattern)
            .unwrap()
            .matches(&Resource::parse(resource).unwrap())
    }

    #[test]
    fn star_matches_any_depth_below_and_plain_patterns_exactly() {
        assert!(matches("/documents/*", "/documents/1"));
        assert!(matches("/documents/*", "/documents/1/pages/2"));
        assert!(!matches("/documents/*", "/documents"));
        assert!(!matches("/documents/*", "/documentsX/1"));
        assert!(matches("/documents/1", "/documents/1"));
        assert!(!matches("/documents/1", "/documents/1/pages"));
        assert!(matches("*", "/anything/at/all"));
    }

    #[test]
    fn path_tricks_are_refused_before_matching() {
        for trick in [
            "/documents/../admin",
            "/documents/%2e%2e/admin",
            "/documents/a%2Fb",
            "/documents//1",
            "/documents/./1",
            "documents/1",
            "/documents/%00",
            "/documents/%252e",
        ] {
            assert!(Resource::parse(trick).is_err(), "{trick}");
        }
        assert!(matches(
            "/users/u1/documents/*",
            "/users/u1/documents/my%20doc"
        ));
    }

    #[test]
    fn covering_follows_matching() {
        let p = |s: &str| ResourcePattern::parse(s).unwrap();
        assert!(p("/users/u1/*").covers(&p("/users/u1/documents/*")));
        assert!(p("/users/u1/*").covers(&p("/users/u1/documents/7")));
        assert!(!p("/users/u1/*").covers(&p("/users/u2/documents/*")));
        assert!(!p("/users/u1/documents/7").covers(&p("/users/u1/documents/*")));
        assert!(p("*").covers(&p("/x/*")));
        assert_eq!(p("/documents/*").to_text(), "/documents/*");
    }

    #[test]
    fn permissions_match_exactly_or_by_wildcard() {
        assert!(permission_includes("documents:*", "documents:read"));
        assert!(permission_includes("*", "billing:write"));
        assert!(!permission_includes("documents:*", "billing:read"));
        assert!(!permission_includes("documents:read", "documents:write"));
        assert!(
            is_permission("documents:read") && is_permission("documents:*") && is_permission("*")
        );
        assert!(!is_permission("documents") && !is_permission("docs:re ad"));
    }
}
