//! Access statements and their evaluation: a subject may use `permission` on `resource` when one of its records has
//! a statement whose roles grant the permission and whose patterns match the resource. Cost: O(records naming the
//! subject × their statements), independent of how many records the tenant has.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::ids::IdKind;
use super::resource::{
    is_permission, permission_includes, Resource, ResourcePattern, ResourcePatternText,
};

/// Roles × resource patterns, as a caller writes them: checked by `validate`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatementInput {
    #[schema(min_items = 1)]
    pub roles: Vec<String>,
    #[schema(min_items = 1, inline, value_type = Vec<ResourcePatternText>)]
    pub resources: Vec<String>,
}

/// Roles × resource patterns, checked: the patterns are parsed once, when a statement is made or read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    #[schema(min_items = 1)]
    pub roles: Vec<String>,
    #[schema(min_items = 1, inline, value_type = Vec<ResourcePatternText>)]
    pub resources: Vec<ResourcePattern>,
}

/// Permissions of each role name visible to the tenant.
pub type RolePermissions = HashMap<String, Vec<String>>;

/// Why a record's subjects, admins or statements are malformed: the field as the `/v1` JSON names it, and why.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed {
    pub field: &'static str,
    pub message: String,
}

/// Refuses malformed statements, subjects and admins; returns the statements with their patterns parsed.
pub fn validate(
    subjects: &[String],
    admins: &[String],
    statements: &[StatementInput],
) -> Result<Vec<Statement>, Malformed> {
    let malformed = |field, message| Malformed { field, message };
    if let Some(bad) = subjects
        .iter()
        .find(|s| !IdKind::User.matches(s) && !IdKind::ServiceClient.matches(s))
    {
        return Err(malformed(
            "subjects",
            format!("subject {bad:?} is not a user or service client id"),
        ));
    }
    if let Some(bad) = admins.iter().find(|a| !IdKind::User.matches(a)) {
        return Err(malformed(
            "admins",
            format!("admin {bad:?} is not a user id"),
        ));
    }
    statements
        .iter()
        .map(|statement| {
            if statement.roles.is_empty() || statement.resources.is_empty() {
                return Err(malformed(
                    "statements",
                    "every statement needs at least one role and one resource".into(),
                ));
            }
            let resources = statement
                .resources
                .iter()
                .map(|r| {
                    ResourcePattern::parse(r).map_err(|e| malformed("statements", e.to_string()))
                })
                .collect::<Result<_, _>>()?;
            Ok(Statement {
                roles: statement.roles.clone(),
                resources,
            })
        })
        .collect()
}

/// Whether any permission is malformed.
pub fn validate_permissions(permissions: &[String]) -> Result<(), String> {
    match permissions.iter().find(|p| !is_permission(p)) {
        Some(bad) => Err(format!(
            "{bad:?} is not a permission (service:action, service:* or *)"
        )),
        None => Ok(()),
    }
}

fn grants(statement: &Statement, roles: &RolePermissions, permission: &str) -> bool {
    statement
        .roles
        .iter()
        .filter_map(|name| roles.get(name))
        .flatten()
        .any(|granted| permission_includes(granted, permission))
}

/// Whether the statements allow `permission` on `resource`.
pub fn allows(
    statements: &[Statement],
    roles: &RolePermissions,
    resource: &Resource,
    permission: &str,
) -> bool {
    statements
        .iter()
        .filter(|s| grants(s, roles, permission))
        .any(|s| s.resources.iter().any(|p| p.matches(resource)))
}

/// The resource patterns on which the statements allow `permission`, without ones another already covers.
pub fn resources_for(
    statements: &[Statement],
    roles: &RolePermissions,
    permission: &str,
) -> Vec<String> {
    let patterns: Vec<&ResourcePattern> = statements
        .iter()
        .filter(|s| grants(s, roles, permission))
        .flat_map(|s| &s.resources)
        .collect();
    let mut kept: Vec<String> = Vec::new();
    for (i, pattern) in patterns.iter().enumerate() {
        let covered = patterns
            .iter()
            .enumerate()
            .any(|(j, other)| j != i && other.covers(pattern) && (other != pattern || j < i));
        if !covered {
            kept.push(pattern.to_text());
        }
    }
    kept
}

/// The name of the implicit role every user holds on their own space; no real role can be named so.
pub const OWN_SPACE_ROLE: &str = "\u{0}own-space";

/// The statements a user holds: their records', plus every permission on their own space `/users/{id}/*`.
pub fn held_by_user(
    user_id: &str,
    mut statements: Vec<Statement>,
    roles: &mut RolePermissions,
) -> Vec<Statement> {
    roles.insert(OWN_SPACE_ROLE.to_string(), vec!["*".to_string()]);
    statements.push(Statement {
        roles: vec![OWN_SPACE_ROLE.to_string()],
        // A user id is base62 after its prefix: always a path segment.
        resources: ResourcePattern::parse(&format!("/users/{user_id}/*"))
            .into_iter()
            .collect(),
    });
    statements
}

/// Whether the held statements grant every one of `permissions` on everything each of `wanted` matches: a user
/// cannot grant more than they hold.
pub fn may_grant(
    held: &[Statement],
    roles: &RolePermissions,
    permissions: &[String],
    wanted: &[ResourcePattern],
) -> bool {
    wanted.iter().all(|pattern| {
        permissions.iter().all(|permission| {
            held.iter()
                .filter(|s| grants(s, roles, permission))
                .any(|s| s.resources.iter().any(|p| p.covers(pattern)))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles() -> RolePermissions {
        HashMap::from([
            ("Viewer".to_string(), vec!["documents:read".to_string()]),
            ("Editor".to_string(), vec!["documents:*".to_string()]),
        ])
    }

    fn statement(role: &str, resources: &[&str]) -> Statement {
        Statement {
            roles: vec![role.into()],
            resources: resources
                .iter()
                .map(|r| ResourcePattern::parse(r).unwrap())
                .collect(),
        }
    }

    #[test]
    fn roles_and_patterns_together_decide() {
        let statements = [
            statement("Viewer", &["/documents/*"]),
            statement("Editor", &["/drafts/7"]),
        ];
        let resource = |r: &str| Resource::parse(r).unwrap();
        assert!(allows(
            &statements,
            &roles(),
            &resource("/documents/1"),
            "documents:read"
        ));
        assert!(!allows(
            &statements,
            &roles(),
            &resource("/documents/1"),
            "documents:write"
        ));
        assert!(allows(
            &statements,
            &roles(),
            &resource("/drafts/7"),
            "documents:write"
        ));
        assert!(!allows(
            &statements,
            &roles(),
            &resource("/drafts/8"),
            "documents:write"
        ));
    }

    #[test]
    fn users_grant_only_what_they_hold() {
        let mut roles = roles();
        let held = held_by_user(
            "usr_1",
            vec![statement("Viewer", &["/documents/*"])],
            &mut roles,
        );
        let pattern = |p: &str| vec![ResourcePattern::parse(p).unwrap()];
        let read = vec!["documents:read".to_string()];
        let all = vec!["documents:*".to_string()];
        assert!(may_grant(&held, &roles, &read, &pattern("/documents/7")));
        assert!(!may_grant(&held, &roles, &all, &pattern("/documents/7")));
        assert!(may_grant(
            &held,
            &roles,
            &all,
            &pattern("/users/usr_1/documents/*")
        ));
        assert!(!may_grant(&held, &roles, &read, &pattern("/users/usr_2/*")));
    }

    #[test]
    fn listed_resources_drop_what_is_covered() {
        let statements = [
            statement("Viewer", &["/documents/*", "/documents/1"]),
            statement("Editor", &["/drafts/*"]),
        ];
        assert_eq!(
            resources_for(&statements, &roles(), "documents:read"),
            ["/documents/*", "/drafts/*"]
        );
        assert_eq!(
            resources_for(&statements, &roles(), "documents:write"),
            ["/drafts/*"]
        );
    }
}
