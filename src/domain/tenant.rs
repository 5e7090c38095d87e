//! Tenants: the customers of the deploying product, and the rules for making one.

use super::ttl::TtlOverrides;

/// What a caller asks for when creating a tenant.
#[derive(Debug, Clone)]
pub struct TenantSpec {
    pub name: String,
    pub slug: String,
    pub ttl: TtlOverrides,
}

/// Why a tenant specification is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TenantSpecError {
    #[error("name must be 1 to 200 characters")]
    Name,
    #[error("slug must be 1 to 63 lowercase letters, digits and inner dashes")]
    Slug,
    #[error("{0}")]
    Ttl(String),
}

impl TenantSpecError {
    /// The field of the tenant's JSON it is about.
    pub fn field(&self) -> &'static str {
        match self {
            TenantSpecError::Name => "name",
            TenantSpecError::Slug => "slug",
            TenantSpecError::Ttl(_) => "ttl",
        }
    }
}

impl TenantSpec {
    pub fn validate(&self, max_access_token_ttl: i64) -> Result<(), TenantSpecError> {
        if !(1..=200).contains(&self.name.trim().chars().count()) {
            return Err(TenantSpecError::Name);
        }
        if !is_valid_slug(&self.slug) {
            return Err(TenantSpecError::Slug);
        }
        self.ttl
            .validate(max_access_token_ttl)
            .map_err(TenantSpecError::Ttl)
    }
}

/// Lowercase letters, digits and inner dashes, 1 to 63 characters: safe in URLs and on the login page.
pub fn is_valid_slug(slug: &str) -> bool {
    (1..=63).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_words_with_inner_dashes() {
        assert!(is_valid_slug("acme-inc"));
        assert!(!is_valid_slug("Acme"));
        assert!(!is_valid_slug("-acme"));
        assert!(!is_valid_slug(""));
        assert!(!is_valid_slug(&"a".repeat(64)));
    }
}
