//! JWT verifications per second on one core: `Verifier::verify_token` with a warm JWKS cache, next to a bare
//! `jsonwebtoken::decode` of the same token with the same key and checks. `bench/verifier.sh` runs it against a
//! fresh keygate; by hand: `KEYGATE_ISSUER=… KEYGATE_TOKEN=… cargo run --release -p keygate-sdk --example
//! verifier_throughput [seconds]`.

use std::time::{Duration, Instant};

use jsonwebtoken::{DecodingKey, Validation};
use keygate_sdk::Verifier;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let issuer = std::env::var("KEYGATE_ISSUER")?;
    let token = std::env::var("KEYGATE_TOKEN")?;
    let seconds: u64 = std::env::args().nth(1).map_or(Ok(3), |s| s.parse())?;
    let window = Duration::from_secs(seconds);
    // One thread: the figures are per core.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let verifier = Verifier::new(&issuer);
    runtime.block_on(verifier.verify_token(&token))?;
    let sdk = runtime.block_on(async {
        rate(window, || async {
            verifier.verify_token(&token).await.map(|_| ())
        })
        .await
    })?;

    let header = jsonwebtoken::decode_header(&token)?;
    let jwks: serde_json::Value = runtime.block_on(async {
        reqwest::get(format!("{issuer}/.well-known/jwks.json"))
            .await?
            .json()
            .await
    })?;
    let jwk = jwks["keys"]
        .as_array()
        .and_then(|keys| {
            keys.iter()
                .find(|k| k["kid"].as_str() == header.kid.as_deref())
        })
        .ok_or("the token's key is not in the JWKS")?;
    let key = DecodingKey::from_jwk(&serde_json::from_value(jwk.clone())?)?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[&issuer]);
    validation.validate_aud = false;
    let raw = runtime.block_on(async {
        rate(window, || async {
            jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation).map(|_| ())
        })
        .await
    })?;
    println!("alg {:?}, one core, {seconds} s each", header.alg);
    println!(
        "{:<36} {:>12.0}/s",
        "keygate_sdk::Verifier::verify_token", sdk
    );
    println!("{:<36} {:>12.0}/s", "jsonwebtoken::decode", raw);
    println!("{:<36} {:>12.2}", "ratio", sdk / raw);
    Ok(())
}

/// Calls of `f` per second over `window`.
async fn rate<F, Fut, E>(window: Duration, f: F) -> Result<f64, E>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), E>>,
{
    let started = Instant::now();
    let mut calls = 0u64;
    while started.elapsed() < window {
        for _ in 0..100 {
            f().await?;
        }
        calls += 100;
    }
    Ok(calls as f64 / started.elapsed().as_secs_f64())
}
