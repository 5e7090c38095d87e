//! The benchmark suite's reference: access tokens signed per second on one core with a parsed, cached key, for each
//! algorithm — the work a warm token request cannot avoid. Prints `RS256 <rate>` lines.
//! Run: `cargo run --release --example bench_reference [seconds per algorithm]`

use std::time::{Duration, Instant};

use keygate::crypto::jwt;
use keygate::crypto::signing_key::{generate, Signer};
use keygate::domain::signing_alg::SigningAlg;
use serde_json::json;

fn main() -> anyhow::Result<()> {
    let seconds: u64 = std::env::args().nth(1).map_or(Ok(2), |s| s.parse())?;
    // Claims of the size keygate issues for client_credentials.
    let claims = json!({
        "iss": "http://127.0.0.1:8080", "sub": "sc_0123456789abcdefghijkl", "aud": ["http://127.0.0.1:8080"],
        "exp": 1_900_000_000, "iat": 1_899_996_400, "jti": "0123456789abcdefghijkl",
        "client_id": "sc_0123456789abcdefghijkl", "scope": "documents:read documents:write",
        "tid": "ten_0123456789abcdefghijkl", "gty": "client_credentials",
    });
    for alg in [SigningAlg::RS256, SigningAlg::ES256, SigningAlg::EdDSA] {
        let key = generate(alg)?;
        let signer = Signer::from_pkcs8(&key.kid, alg, &key.pkcs8)?;
        let started = Instant::now();
        let mut signed = 0u64;
        while started.elapsed() < Duration::from_secs(seconds) {
            for _ in 0..50 {
                jwt::encode(&signer, "at+jwt", &claims)?;
            }
            signed += 50;
        }
        println!(
            "{} {:.0}",
            alg.as_str(),
            signed as f64 / started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
