#!/usr/bin/env bash
# Load-tests a release build of keygate on SQLite, loopback only, with wrk (installed when missing):
#   healthz              the HTTP floor
#   token warm           client_credentials with Basic, one key (cached)
#   token cold           client_credentials, a different key on every request, credential cache off (1 DB read each)
#   verify secret key    POST /v1/verify with Bearer kg_sk_… (warm)
#   verify JWT           POST /v1/verify with Bearer <access token>
#   password grant       grant_type=password: one argon2id verification (19 MiB, 2 passes) per request
# Usage: bench/run.sh [seconds=10] [connections=16] [keys=2000]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"; CONNECTIONS="${2:-16}"; KEYS="${3:-2000}"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet
BIN="$PWD/target/release/keygate"
WORK=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT
cd "$WORK"
export KEYGATE_DATABASE_URL="$WORK/bench.db" KEYGATE_MASTER_KEY_FILE="$WORK/master.key" KEYGATE_LOG=warn
PORT=18181; URL="http://127.0.0.1:$PORT"

echo "seeding $KEYS clients with one secret key each" >&2
tenant=$("$BIN" tenant create --name bench --slug bench --json | python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])')
for _ in $(seq 1 "$KEYS"); do "$BIN" client create --name c --tenant "$tenant" --with-key --json; done > clients.jsonl
python3 - <<'PY'
import base64, json
creds = [json.loads(line) for line in open("clients.jsonl")]
pairs = [(c["id"] + ":" + c["key"]["client_secret"]).encode() for c in creds]
with open("headers.lua", "w") as f:
    f.write("headers = {" + ",".join(json.dumps("Basic " + base64.b64encode(p).decode()) for p in pairs) + "}\n")
    f.write("bearer = " + json.dumps("Bearer " + creds[0]["key"]["client_secret"]) + "\n")
PY
KEYGATE_USER_PASSWORD="bench password" "$BIN" user create --tenant "$tenant" --username bench --json >/dev/null
pw_client=$("$BIN" client create --name pw --tenant "$tenant" --grant-type password --with-key --json)
python3 - "$pw_client" <<'PY'
import base64, json, sys
c = json.loads(sys.argv[1])
header = "Basic " + base64.b64encode((c["id"] + ":" + c["key"]["client_secret"]).encode()).decode()
open("headers.lua", "a").write("password_auth = " + json.dumps(header) + "\n")
PY

# One script for every scenario: SCENARIO picks the request.
cat > bench.lua <<'LUA'
dofile("headers.lua")
local scenario = os.getenv("SCENARIO")
local form = {["Content-Type"] = "application/x-www-form-urlencoded"}
local i = 0
request = function()
  i = i + 1
  if scenario == "healthz" then return wrk.format("GET", "/healthz") end
  if scenario == "verify_key" then return wrk.format("POST", "/v1/verify", {["Authorization"] = bearer}) end
  if scenario == "verify_jwt" then return wrk.format("POST", "/v1/verify", {["Authorization"] = "Bearer " .. os.getenv("JWT")}) end
  if scenario == "password" then
    form["Authorization"] = password_auth
    return wrk.format("POST", "/oauth/token", form, "grant_type=password&username=bench&password=bench+password")
  end
  local n = 1
  if scenario == "token_cold" then n = (i % #headers) + 1 end
  form["Authorization"] = headers[n]
  return wrk.format("POST", "/oauth/token", form, "grant_type=client_credentials")
end
LUA

serve() { # credential cache seconds
  KEYGATE_BIND="127.0.0.1:$PORT" KEYGATE_CREDENTIAL_CACHE_SECONDS="$1" "$BIN" serve 2>>"$WORK/serve.log" &
  SERVER=$!
  for _ in $(seq 1 50); do curl -sf "$URL/healthz" >/dev/null && return; sleep 0.2; done
  echo "keygate did not start" >&2; cat "$WORK/serve.log" >&2; exit 1
}
stop() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; }
run() { # label, scenario
  local out
  out=$(SCENARIO="$2" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench.lua "$URL")
  printf '%-34s %10s %9s %9s %8s\n' "$1" \
    "$(awk '/^Requests\/sec/ {print $2}' <<<"$out")" "$(awk '$1=="50%" {print $2}' <<<"$out")" \
    "$(awk '$1=="99%" {print $2}' <<<"$out")" "$(awk '/Non-2xx/ {print $4}' <<<"$out" | grep . || echo 0)"
}

printf '%-34s %10s %9s %9s %8s\n' scenario "req/s" p50 p99 errors
serve 5
export JWT
JWT=$(curl -s -H "Authorization: $(head -c 400 headers.lua | python3 -c 'import sys,re;print(re.search(r"\"(Basic [^\"]+)\"", sys.stdin.read()).group(1))')" \
  -d grant_type=client_credentials "$URL/oauth/token" | python3 -c 'import json,sys;print(json.load(sys.stdin)["access_token"])')
run "healthz" healthz
run "client_credentials warm" token_warm
run "verify secret key (warm)" verify_key
run "verify JWT" verify_jwt
run "password grant (argon2id)" password
stop
serve 0
run "client_credentials cold ($KEYS keys)" token_cold
stop
