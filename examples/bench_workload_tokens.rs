//! For the benchmark suite's trusted-identity scenario: an issuer key, its public JWKS, and `count` single-use
//! workload tokens shaped like GitHub Actions' (RS256, `repository`, `ref`, a `jti` each, valid ten minutes), written
//! as `<dir>/jwks.json` and a Lua table `workload = {…}` in `<dir>/workload.lua`; one more token, for warming the
//! server's key cache, is printed on stdout.
//! Run: `cargo run --release --example bench_workload_tokens <count> <issuer> <audience> <dir>`

use std::io::Write;

use keygate::crypto::client_keys::{self, signer_from_private_jwk};
use keygate::domain::ids::random_base62;
use keygate::domain::signing_alg::SigningAlg;
use keygate::domain::time::UnixTime;
use serde_json::json;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, count, issuer, audience, dir] = args.as_slice() else {
        anyhow::bail!("usage: bench_workload_tokens <count> <issuer> <audience> <dir>");
    };
    let key = client_keys::generate(SigningAlg::RS256, &random_base62(10))?;
    let dir = std::path::Path::new(dir);
    std::fs::write(
        dir.join("jwks.json"),
        json!({ "keys": [key.public_jwk] }).to_string(),
    )?;
    let signer = signer_from_private_jwk(&key.private_jwk)?;
    let now = UnixTime::now().seconds();
    let token = || {
        let claims = json!({
            "iss": issuer, "aud": audience, "sub": "repo:acme/api:ref:refs/heads/main",
            "repository": "acme/api", "repository_owner": "acme", "ref": "refs/heads/main",
            "iat": now, "nbf": now, "exp": now + 600, "jti": random_base62(22),
        });
        keygate::crypto::jwt::encode(&signer, "JWT", &claims)
    };
    // An RSA signature is about a millisecond: tens of thousands are signed on every core.
    let count: usize = count.parse()?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let tokens = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..cores)
            .map(|core| {
                scope.spawn(move || {
                    (core..count)
                        .step_by(cores)
                        .map(|_| token())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a signing thread panicked"))
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("workload.lua"))?);
    writeln!(out, "workload = {{")?;
    for token in tokens {
        writeln!(out, "\"{token}\",")?;
    }
    writeln!(out, "}}")?;
    out.flush()?;
    println!("{}", token()?);
    Ok(())
}
