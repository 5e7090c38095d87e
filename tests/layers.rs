//! The source's dependencies run one way (docs/architecture.md, "Layers"): each top-level module imports only
//! modules of lower layers, the edges never import one another, and no two files import each other, directly or
//! around a circle. Read from `src/` as written: a new import that breaks a rule fails here, naming it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level modules by layer, lowest first. A module may import any module of a lower layer.
const LAYERS: &[&[&str]] = &[
    &[
        "domain",
        "telemetry",
        "throttle",
        "client_address",
        "form",
        "metrics",
    ],
    &["config", "crypto", "db"],
    &["group_commit"],
    &[
        "audit",
        "usage",
        "activity",
        "revocation",
        "rate_limit",
        "keyring",
        "remote_keys",
        "replays",
    ],
    &["service"],
    &["state"],
    &["credentials", "background", "error"],
    // The edges: one per wire contract. None imports another.
    &["oauth", "api", "pages", "cli", "ops"],
    // The wiring above the edges.
    &["request_body", "request_log", "openapi", "startup"],
];

/// Every `.rs` file under `src/` as (module path, source without its unit tests).
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path
                    .strip_prefix("src")
                    .expect("under src/")
                    .with_extension("");
                let mut name = relative.to_string_lossy().replace('/', "::");
                if let Some(parent) = name.strip_suffix("::mod") {
                    name = parent.to_string();
                }
                if name == "lib" || name == "main" {
                    continue;
                }
                let source = std::fs::read_to_string(&path).expect("a readable source file");
                let code = source.split("#[cfg(test)]").next().unwrap_or_default();
                out.insert(name, code.to_string());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(Path::new("src"), &mut out);
    out
}

/// The paths a source names from `crate::` or `super::`, with one level of `{a, b}` groups expanded, made absolute
/// for the module `module` (whose `super` is its parent, for a `mod.rs` module as for any other).
fn named_paths(module: &str, source: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for start in ["crate::", "super::"] {
        let mut rest = source;
        while let Some(at) = rest.find(start) {
            let before = rest[..at].chars().last();
            rest = &rest[at..];
            let end = rest
                .find(|c: char| {
                    !(c.is_ascii_alphanumeric()
                        || c == '_'
                        || c == ':'
                        || c == '{'
                        || c == '}'
                        || c == ','
                        || c == ' ')
                })
                .unwrap_or(rest.len());
            let written = &rest[..end];
            rest = &rest[start.len()..];
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let (base, group) = match written.split_once("::{") {
                Some((base, group)) => (base, group.split('}').next().unwrap_or_default()),
                None => (written.trim_end_matches([',', ' ', '}']), ""),
            };
            let mut named = vec![base.to_string()];
            named.extend(
                group
                    .split(',')
                    .map(|item| item.trim().split([' ', ':']).next().unwrap_or_default())
                    .filter(|item| !item.is_empty() && *item != "self")
                    .map(|item| format!("{base}::{item}")),
            );
            for path in named {
                let absolute = match path.strip_prefix("super::") {
                    Some(tail) => {
                        let own: Vec<&str> = module.split("::").collect();
                        let mut joined = own[..own.len() - 1].join("::");
                        if !joined.is_empty() {
                            joined.push_str("::");
                        }
                        joined + tail
                    }
                    None => path.trim_start_matches("crate::").to_string(),
                };
                paths.push(absolute);
            }
        }
    }
    paths
}

/// The file-level import graph: module → the modules (files) it names.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let resolve = |path: &str| {
        let parts: Vec<&str> = path.split("::").collect();
        (1..=parts.len())
            .rev()
            .map(|n| parts[..n].join("::"))
            .find(|candidate| modules.contains_key(candidate))
    };
    modules
        .iter()
        .map(|(module, source)| {
            let targets = named_paths(module, source)
                .iter()
                .filter_map(|path| resolve(path))
                .filter(|target| target != module && !module.starts_with(&format!("{target}::")))
                .collect();
            (module.clone(), targets)
        })
        .collect()
}

fn layer_of(module: &str) -> usize {
    let top = module.split("::").next().unwrap_or_default();
    LAYERS
        .iter()
        .position(|layer| layer.contains(&top))
        .unwrap_or_else(|| {
            panic!("src/{top} is in no layer: add it to LAYERS and docs/architecture.md")
        })
}

#[test]
fn every_module_imports_only_lower_layers_and_no_edge_imports_another() {
    let edges = LAYERS.len() - 2;
    let mut wrong = Vec::new();
    for (module, targets) in graph() {
        let top = module.split("::").next().unwrap_or_default().to_string();
        for target in targets {
            let target_top = target.split("::").next().unwrap_or_default();
            if target_top == top {
                continue;
            }
            let (from, to) = (layer_of(&module), layer_of(&target));
            if to >= from && !(from == LAYERS.len() - 1 && to == from) {
                let what = if from == edges && to == edges {
                    "another edge"
                } else {
                    "a layer not below it"
                };
                wrong.push(format!("{module} imports {target}: {what}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_file_imports_another_that_imports_it_back() {
    let graph = graph();
    // Depth-first search for a back edge; the circle is printed when one is found.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut circle = path[at..].to_vec();
            circle.push(node.to_string());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        let circle = visit(node, &graph, &mut Vec::new(), &mut done);
        assert!(
            circle.is_none(),
            "an import circle: {}",
            circle.unwrap_or_default().join(" → ")
        );
    }
}

#[test]
fn the_check_sees_imports_written_every_way() {
    let paths = named_paths(
        "oauth::token",
        "use super::{grant::Issued, code_grant};\nuse crate::db::{self, users::UserRow};\nlet x = crate::state::AppState;",
    );
    for expected in [
        "oauth::grant",
        "oauth::code_grant",
        "db::users",
        "state::AppState",
    ] {
        assert!(
            paths.iter().any(|p| p.starts_with(expected)),
            "{expected} in {paths:?}"
        );
    }
    let own = named_paths("oauth", "use super::form::OAuthForm;");
    assert!(own.iter().any(|p| p == "form::OAuthForm"), "{own:?}");
}
