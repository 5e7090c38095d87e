//! Protected resource metadata (RFC 9728): what an API tells a client that knows nothing but its URL — which
//! authorization server issues its tokens, which scopes it knows, how to present a token. An agent (an MCP client,
//! say) reads it from the URL a 401's `WWW-Authenticate: Bearer resource_metadata="…"` names, and goes on from
//! there to keygate's own metadata, registration and sign-in.

use serde::Serialize;

/// The path under which RFC 9728 §3.1 puts the metadata (before the resource's own path).
const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// An API's protected resource metadata (RFC 9728 §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceMetadata {
    /// The resource identifier: the API's URL, which clients name as their token's `resource` (RFC 8707).
    pub resource: String,
    /// The keygate that issues tokens for it.
    pub authorization_servers: Vec<String>,
    /// The scopes the API understands.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scopes_supported: Vec<String>,
    /// How a token is sent: in the `Authorization` header.
    pub bearer_methods_supported: Vec<String>,
    /// The algorithms a DPoP proof may use (RFC 9449 §5.1).
    pub dpop_signing_alg_values_supported: Vec<String>,
    /// A name for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
}

impl ResourceMetadata {
    /// The metadata of the API at `resource`, whose tokens `issuer` issues.
    pub fn new(resource: &str, issuer: &str, scopes: &[&str]) -> ResourceMetadata {
        ResourceMetadata {
            resource: resource.trim_end_matches('/').to_string(),
            authorization_servers: vec![issuer.to_string()],
            scopes_supported: scopes.iter().map(|s| s.to_string()).collect(),
            bearer_methods_supported: vec!["header".into()],
            dpop_signing_alg_values_supported: crate::dpop::ALGORITHMS
                .split(' ')
                .map(String::from)
                .collect(),
            resource_name: None,
        }
    }

    /// The path this server answers the metadata at: the well-known prefix, then the resource's own path
    /// (RFC 9728 §3.1: `https://api.example.com/mcp` → `/.well-known/oauth-protected-resource/mcp`).
    pub fn path(&self) -> String {
        let path = url::Url::parse(&self.resource)
            .map(|u| u.path().trim_end_matches('/').to_string())
            .unwrap_or_default();
        format!("{WELL_KNOWN}{path}")
    }

    /// The metadata's URL, as a 401's challenge names it (RFC 9728 §5.1).
    pub fn url(&self) -> String {
        match url::Url::parse(&self.resource) {
            Ok(resource) => format!("{}{}", resource.origin().ascii_serialization(), self.path()),
            Err(_) => self.path(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_well_known_path_goes_before_the_resources_path() {
        let root =
            ResourceMetadata::new("https://api.example.com/", "https://auth.example.com", &[]);
        assert_eq!(root.path(), "/.well-known/oauth-protected-resource");
        assert_eq!(
            root.url(),
            "https://api.example.com/.well-known/oauth-protected-resource"
        );
        let mcp = ResourceMetadata::new(
            "https://api.example.com/mcp",
            "https://auth.example.com",
            &[],
        );
        assert_eq!(
            mcp.url(),
            "https://api.example.com/.well-known/oauth-protected-resource/mcp"
        );
    }
}
