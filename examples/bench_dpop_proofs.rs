//! For the benchmark suite's DPoP scenario: one ES256 key and `count` single-use DPoP proofs (RFC 9449) for
//! `POST <url>`, written as a Lua table `proofs = {…}` for wrk. A proof's `iat` holds for a minute: make them just
//! before the run.
//! Run: `cargo run --release --example bench_dpop_proofs <count> <token endpoint URL> <file>`

use std::io::Write;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use keygate::crypto::client_keys::{self, signer_from_private_jwk};
use keygate::domain::ids::random_base62;
use keygate::domain::signing_alg::SigningAlg;
use keygate::domain::time::UnixTime;
use serde_json::json;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, count, url, file] = args.as_slice() else {
        anyhow::bail!("usage: bench_dpop_proofs <count> <token endpoint URL> <file>");
    };
    let key = client_keys::generate(SigningAlg::ES256, &random_base62(10))?;
    let signer = signer_from_private_jwk(&key.private_jwk)?;
    let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": key.public_jwk});
    let header = URL_SAFE_NO_PAD.encode(header.to_string());
    let now = UnixTime::now().seconds();
    let mut out = std::io::BufWriter::new(std::fs::File::create(file)?);
    writeln!(out, "proofs = {{")?;
    for _ in 0..count.parse::<usize>()? {
        let claims = json!({"jti": random_base62(22), "htm": "POST", "htu": url, "iat": now});
        let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signature = URL_SAFE_NO_PAD.encode(signer.sign(input.as_bytes())?);
        writeln!(out, "\"{input}.{signature}\",")?;
    }
    writeln!(out, "}}")?;
    out.flush()?;
    Ok(())
}
