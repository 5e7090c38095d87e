#!/usr/bin/env bash
# Measures POST /oauth/token (client_credentials, HTTP Basic) against a release build on SQLite, loopback only:
# warm (one key, cached) and cold (a different key on every request, credential cache off: one database read each).
# Usage: bench/token.sh [seconds=10] [connections=16] [keys=2000]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-10}"; CONNECTIONS="${2:-16}"; KEYS="${3:-2000}"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet
BIN="$PWD/target/release/keygate"
WORK=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT
cd "$WORK"
export KEYGATE_DATABASE_URL="$WORK/bench.db" KEYGATE_MASTER_KEY_FILE="$WORK/master.key" KEYGATE_LOG=warn

echo "seeding $KEYS clients with one secret key each" >&2
tenant=$("$BIN" tenant create --name bench --slug bench --json | python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])')
for _ in $(seq 1 "$KEYS"); do "$BIN" client create --name c --tenant "$tenant" --with-key --json; done \
  > clients.jsonl
python3 - <<'PY'
import base64, json
creds = [json.loads(line) for line in open("clients.jsonl")]
pairs = [(c["id"] + ":" + c["key"]["client_secret"]).encode() for c in creds]
with open("headers.lua", "w") as f:
    f.write("headers = {" + ",".join(json.dumps("Basic " + base64.b64encode(p).decode()) for p in pairs) + "}\n")
PY

cat > warm.lua <<'LUA'
dofile("headers.lua")
wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = headers[1]
LUA
cat > cold.lua <<'LUA'
dofile("headers.lua")
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "/oauth/token",
    {["Content-Type"] = "application/x-www-form-urlencoded", ["Authorization"] = headers[(i % #headers) + 1]},
    "grant_type=client_credentials")
end
LUA

run() { # name, cache seconds, script
  KEYGATE_BIND=127.0.0.1:18181 KEYGATE_CREDENTIAL_CACHE_SECONDS="$2" "$BIN" serve 2>"$WORK/$1.log" &
  local pid=$!
  for _ in $(seq 1 50); do curl -sf http://127.0.0.1:18181/healthz >/dev/null && break; sleep 0.2; done
  echo "== $1" >&2
  wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -s "$3" http://127.0.0.1:18181/oauth/token \
    | grep -E '^Requests/sec|^ +50%|^ +99%|Non-2xx|Socket errors'
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
run "client_credentials warm (1 key, cached)" 5 warm.lua
run "client_credentials cold ($KEYS keys, cache off)" 0 cold.lua
