//! The TypeScript SDK (`sdk/js`) under its own test runner (`node --test`) against a real keygate: the package is
//! installed from its lockfile, built, and its tests run with this keygate's address and admin key.

use std::path::{Path, PathBuf};

use crate::helpers::{npm_ci, spawn_app};

/// A copy of `sdk/js` under `target/` (sources, tests, lockfile; never `node_modules` or `dist`), its dependencies
/// installed with `npm ci` whenever the lockfile changed.
fn sdk_package() -> PathBuf {
    let sources = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sdk/js");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sdk-js");
    std::fs::create_dir_all(&dir).expect("the package directory can be made");
    for part in [
        "package.json",
        "package-lock.json",
        "tsconfig.json",
        "scripts",
        "src",
        "test",
    ] {
        copy(&sources.join(part), &dir.join(part));
    }
    npm_ci(&dir);
    dir
}

fn copy(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).expect("the directory can be made");
        for entry in std::fs::read_dir(from).expect("the directory reads") {
            let entry = entry.expect("a directory entry");
            copy(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::copy(from, to).expect("the file can be copied");
    }
}

#[actix_web::test]
async fn the_typescript_sdks_own_tests_pass_against_keygate() {
    let app = spawn_app().await;
    let admin_key = app.admin().secret.clone();
    let readme = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let output = std::process::Command::new("npm")
        .args(["test", "--silent"])
        .current_dir(sdk_package())
        .env("KEYGATE_URL", &app.address)
        .env("KEYGATE_ADMIN_KEY", admin_key)
        .env("KEYGATE_README", readme)
        .output()
        .expect("npm runs");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "node --test failed:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("# fail 0"), "{report}");
}
