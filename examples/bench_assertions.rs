//! For the benchmark suite's private_key_jwt scenario: `count` single-use client assertions signed with a `kg_pk_`
//! key, written as a Lua table `assertions = {…}` for wrk (each is valid for one minute).
//! Run: `KEYGATE_ACCESS_KEY=kg_pk_… cargo run --release --example bench_assertions <count> <audience> <file>`

use std::io::Write;

use keygate_sdk::AccessKey;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, count, audience, file] = args.as_slice() else {
        anyhow::bail!("usage: bench_assertions <count> <audience> <file>");
    };
    let AccessKey::Private(key) = AccessKey::parse(&std::env::var("KEYGATE_ACCESS_KEY")?)? else {
        anyhow::bail!("KEYGATE_ACCESS_KEY must be a kg_pk_ key");
    };
    let mut out = std::io::BufWriter::new(std::fs::File::create(file)?);
    writeln!(out, "assertions = {{")?;
    for _ in 0..count.parse::<usize>()? {
        writeln!(out, "\"{}\",", key.assertion(audience)?)?;
    }
    writeln!(out, "}}")?;
    out.flush()?;
    Ok(())
}
