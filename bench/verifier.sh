#!/usr/bin/env bash
# Verifier throughput: starts a release keygate on SQLite (loopback), fetches one access token, then runs
# sdk/examples/verifier_throughput: JWT verifications per second on one core, SDK vs bare jsonwebtoken.
# Usage: bench/verifier.sh [seconds=3] [alg=RS256]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-3}"; ALG="${2:-RS256}"
cargo build --release --quiet -p keygate -p keygate-sdk --example verifier_throughput
BIN="$PWD/target/release/keygate"; BENCH="$PWD/target/release/examples/verifier_throughput"
WORK=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT
export KEYGATE_DATABASE_URL="$WORK/bench.db" KEYGATE_MASTER_KEY_FILE="$WORK/master.key" KEYGATE_LOG=warn
export KEYGATE_SIGNING_ALG="$ALG" KEYGATE_BIND="127.0.0.1:18182" KEYGATE_ISSUER="http://127.0.0.1:18182"
"$BIN" serve 2>>"$WORK/serve.log" &
for _ in $(seq 1 50); do curl -sf "$KEYGATE_ISSUER/healthz" >/dev/null && break; sleep 0.2; done
KEYGATE_ACCESS_KEY=$("$BIN" init --json | python3 -c 'import json,sys;print(json.load(sys.stdin)["client_secret"])')
KEYGATE_TOKEN=$(KEYGATE_ACCESS_KEY="$KEYGATE_ACCESS_KEY" "$BIN" token) "$BENCH" "$SECONDS_EACH"
