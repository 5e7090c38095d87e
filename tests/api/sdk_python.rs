//! The Python SDK (`sdk/python`) under its own test runner (pytest) against a real keygate: the package is
//! installed with its test extras into a virtualenv under `target/`, and its tests run with this keygate's address
//! and admin key.

use std::path::PathBuf;
use std::process::Command;

use crate::helpers::spawn_app;

/// A virtualenv with the package as it is now (reinstalled every run) and its `[test]` extras.
fn sdk_python() -> PathBuf {
    let package = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sdk/python");
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sdk-python-venv");
    let python = venv.join("bin/python");
    let ready = Command::new(&python)
        .args([
            "-c",
            "import jwt, httpx, pytest, fastapi, uvicorn, django, mypy",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ready {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 runs");
        assert!(made.success(), "python3 -m venv failed");
        let extras = format!("{}[test]", package.display());
        pip(&python, &["install", "--quiet", &extras]);
    }
    let package = package.display().to_string();
    pip(
        &python,
        &[
            "install",
            "--quiet",
            "--no-deps",
            "--force-reinstall",
            &package,
        ],
    );
    python
}

fn pip(python: &PathBuf, args: &[&str]) {
    let status = Command::new(python)
        .args(["-m", "pip"])
        .args(args)
        .status()
        .expect("pip runs");
    assert!(status.success(), "pip {args:?} failed");
}

#[actix_web::test]
async fn the_python_sdks_own_tests_pass_against_keygate() {
    let app = spawn_app().await;
    let admin_key = app.admin().secret.clone();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(sdk_python())
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .current_dir(root.join("sdk/python"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("KEYGATE_URL", &app.address)
        .env("KEYGATE_ADMIN_KEY", admin_key)
        .env("KEYGATE_README", root.join("README.md"))
        .output()
        .expect("pytest runs");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "pytest failed:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains(" passed"), "{report}");
}
