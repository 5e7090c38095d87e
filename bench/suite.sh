#!/usr/bin/env bash
# keygate's benchmark suite: a release build on SQLite and, when PostgreSQL answers on 127.0.0.1:5432, on
# PostgreSQL; loopback only; load from wrk (installed when missing), bounded in time. One table at the end: each
# scenario's requests/s, p50, p99, errors, the CPU a request cost the server and its database (from /proc: where the
# time goes), and its ratio to a reference measured in the same run:
#   /healthz throughput (the HTTP floor), the single-core signing rate of a cached key (examples/bench_reference),
#   a bare actix-web token handler with the same signature (examples/bench_bare: the floor for a warm token, run
#   right before the keygate scenario it divides, so that the machine's drift stays out of the ratio), and a
#   peer, node-oidc-provider (bench/peer: two cluster workers sharing Redis), in the scenarios both servers have.
# Usage: bench/suite.sh [seconds per scenario=8] [connections=16]
# Env: COLD_KEYS (100000), BIG_KEYS (1000000), SKIP_BIG=1 to leave out the million-key comparison,
#      BENCH_PG_URL (postgres://postgres@127.0.0.1:5432/keygate_bench; the database is dropped and made again),
#      ONLY="token_warm dpop" to run only those scenarios (the names bench.lua knows), PG=0 to skip PostgreSQL,
#      PEER=0 to leave out the peer.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-8}"; CONNECTIONS="${2:-16}"; THREADS=2
COLD_KEYS="${COLD_KEYS:-100000}"; BIG_KEYS="${BIG_KEYS:-1000000}"
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/keygate_bench}"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet -p keygate --bin keygate --example bench_reference --example bench_assertions \
  --example bench_bare --example bench_workload_tokens --example bench_dpop_proofs
BIN="$PWD/target/release/keygate"; EXAMPLES="$PWD/target/release/examples"; BENCH="$PWD/bench"
WORK=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
cd "$WORK"
PORT=18181; URL="http://127.0.0.1:$PORT"; BARE_PORT=18183
# A workload's OIDC issuer: a static JWKS on loopback (http on loopback is allowed for it below).
ISSUER_PORT=18182; ISSUER="http://127.0.0.1:$ISSUER_PORT"; mkdir -p "$WORK/issuer"
export KEYGATE_MASTER_KEY_FILE="$WORK/master.key" KEYGATE_LOG=warn KEYGATE_BIND="127.0.0.1:$PORT" KEYGATE_ISSUER="$URL"
# One client from one address at tens of thousands of requests a second: the rate limits would measure themselves.
export KEYGATE_RATE_LIMIT_PER_CLIENT=0 KEYGATE_RATE_LIMIT_PER_TENANT=0 KEYGATE_RATE_LIMIT_PER_ADDRESS=0
export KEYGATE_TRUSTED_ISSUER_LOOPBACK_HTTP=true
# The SPA of the authorization-code scenarios; the PKCE pair of RFC 7636's appendix B.
SPA_REDIRECT="https://app.example/callback"; export VERIFIER="dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
json() { python3 -c "import json,sys; v=json.load(sys.stdin); print(eval('v' + sys.argv[1]))" "$1"; }

echo "== reference: access tokens signed per second on one core, cached key" >&2
"$EXAMPLES/bench_reference" 2 | tee reference.txt >&2

cat > bench.lua <<'LUA'
-- Fixed requests are built once by wrk (no Lua per request, which would take CPU from the server on a small
-- machine); only the scenarios that change every request define request().
local scenario = os.getenv("SCENARIO")
local data = os.getenv("DATA")
if data and data ~= "" then dofile(data) end
local threads, counter = tonumber(os.getenv("THREADS")), 0
function setup(thread) thread:set("id", counter); counter = counter + 1 end
local form = {["Content-Type"] = "application/x-www-form-urlencoded"}
-- The peer's endpoints are elsewhere: TOKEN_PATH and INTROSPECT_PATH name them.
local token_path = os.getenv("TOKEN_PATH") or "/oauth/token"
local fixed = {
  healthz = {"GET", "/healthz"},
  jwks = {"GET", "/.well-known/jwks.json"},
  token_warm = {"POST", token_path, os.getenv("WARM_AUTH"), "grant_type=client_credentials"},
  password = {"POST", "/oauth/token", os.getenv("PW_AUTH"), "grant_type=password&username=bench&password=bench+password"},
  verify_key = {"POST", "/v1/verify", "Bearer " .. (os.getenv("WARM_SECRET") or "")},
  verify_jwt = {"POST", "/v1/verify", "Bearer " .. (os.getenv("JWT") or "")},
  introspect = {"POST", os.getenv("INTROSPECT_PATH") or "/oauth/introspect", os.getenv("WARM_AUTH"),
                "token=" .. (os.getenv("JWT") or "")},
  bare = {"POST", "/token", "Basic YmVuY2g6c2VjcmV0", "grant_type=client_credentials"},
}
local static = fixed[scenario]
if static then
  wrk.method, wrk.path, wrk.body = static[1], static[2], static[4]
  if static[3] then wrk.headers["Authorization"] = static[3] end
  if static[4] then wrk.headers["Content-Type"] = form["Content-Type"] end
else
  local i, queue = 0, {}
  function init(args)
    if scenario == "refresh" then
      for k = 1, #refresh do if (k - 1) % threads == id then table.insert(queue, refresh[k]) end end
    end
  end
  local function post(path, auth, body)
    form["Authorization"] = auth
    return wrk.format("POST", path, form, body)
  end
  request = function()
    i = i + 1
    local n = (i - 1) * threads + id + 1
    if scenario == "token_cold" then return post("/oauth/token", headers[(n - 1) % #headers + 1], "grant_type=client_credentials") end
    if scenario == "private_key_jwt" then
      return post("/oauth/token", nil, "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=" .. (assertions[n] or "exhausted"))
    end
    if scenario == "jwt_bearer" then
      return post("/oauth/token", nil, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" .. (workload[n] or "exhausted"))
    end
    if scenario == "dpop" then
      -- The warm request, with a single-use proof: what binding the token to a key costs.
      form["DPoP"] = proofs[n] or "exhausted"
      return post("/oauth/token", os.getenv("WARM_AUTH"), "grant_type=client_credentials")
    end
    if scenario == "code" then
      -- The SPA's exchange (a public client, PKCE): an access token, an ID token and a refresh token.
      return post("/oauth/token", nil, "grant_type=authorization_code&client_id=" .. os.getenv("SPA") ..
        "&redirect_uri=https%3A%2F%2Fapp.example%2Fcallback&code_verifier=" .. os.getenv("VERIFIER") ..
        "&code=" .. (codes[n] or "exhausted"))
    end
    if scenario == "refresh" then
      -- A client with a secret (REFRESH_AUTH) or a public one (REFRESH_CLIENT, its id in the body).
      local client = os.getenv("REFRESH_CLIENT")
      return post(token_path, os.getenv("REFRESH_AUTH"), "grant_type=refresh_token&refresh_token=" ..
        (table.remove(queue) or "none") .. (client and ("&client_id=" .. client) or ""))
    end
  end
  if scenario == "refresh" then
    response = function(status, headers, body)
      local token = body:match('"refresh_token":"([%w_%-]+)"')
      if token then table.insert(queue, token) end
    end
  end
end
LUA

basic() { python3 -c 'import base64,sys; print("Basic " + base64.b64encode(sys.argv[1].encode()).decode())' "$1"; }
headers_lua() { # file of client_id:secret lines, how many → Lua table of Basic headers
  head -n "$2" "$1" | python3 -c '
import base64, json, sys
print("headers = {" + ",".join(json.dumps("Basic " + base64.b64encode(l.strip().encode()).decode()) for l in sys.stdin) + "}")'
}
serve() { # extra environment assignments
  env "$@" "$BIN" serve 2>>"$WORK/serve.log" &
  SERVER=$!
  for _ in $(seq 1 100); do curl -sf "$URL/healthz" >/dev/null && return; sleep 0.2; done
  echo "keygate did not start" >&2; cat "$WORK/serve.log" >&2; exit 1
}
stop() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; }
run() { # backend, label, scenario, [data file]
  local out
  if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $3 "* ]]; then return; fi
  # The database's own background work (PostgreSQL's autovacuum and checkpoints, SQLite's WAL checkpoint, after the
  # earlier scenarios' writes) is done before a scenario starts, not billed to whichever scenario runs next.
  if [ "$1" = postgres ]; then psql -q "$KEYGATE_DATABASE_URL" -c "VACUUM ANALYZE" -c "CHECKPOINT" 2>/dev/null || true; fi
  if [ "$1" = sqlite ]; then
    python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA wal_checkpoint(TRUNCATE)")' \
      "$KEYGATE_DATABASE_URL" 2>/dev/null || true
  fi
  # CPU per request, of the server (and its children: the peer's workers) and of its database (PostgreSQL's
  # processes, the peer's Redis; SQLite runs inside the server): where a request's cost goes.
  local server_pids db_pids server_ticks db_ticks
  server_pids="${MEASURED:-$SERVER} $(pgrep -P "${MEASURED:-$SERVER}" || true)"
  db_pids=$(case "$1" in postgres) pgrep -x postgres;; peer) pgrep -x redis-server;; esac || true)
  # shellcheck disable=SC2086 # one pid per word
  server_ticks=$(ticks $server_pids); db_ticks=$(ticks $db_pids)
  out=$(SCENARIO="$3" DATA="${4:-}" THREADS=$THREADS wrk -t$THREADS -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench.lua "${TARGET:-$URL}")
  # shellcheck disable=SC2086
  server_ticks=$(( $(ticks $server_pids) - server_ticks )); db_ticks=$(( $(ticks $db_pids) - db_ticks ))
  local errors requests
  errors=$(( $(awk '/Non-2xx/ {print $5}' <<<"$out" | grep . || echo 0) + $(awk '/Socket errors/ {gsub(",", ""); print $4+$6+$8+$10}' <<<"$out" | grep . || echo 0) ))
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$(awk '/^Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1=="50%" {print $2}' <<<"$out")" "$(awk '$1=="99%" {print $2}' <<<"$out")" "$errors" \
    "$(per_request "$server_ticks" "$requests")" "$(per_request "$db_ticks" "$requests")" | tee -a results.tsv >&2
}
ticks() { # CPU clock ticks used so far by these processes (all their threads)
  local total=0 pid
  for pid in "$@"; do total=$(( total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0) )); done
  echo "$total"
}
per_request() { # clock ticks, requests → microseconds of CPU per request
  awk -v ticks="$1" -v requests="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { if (requests > 0) printf "%.0f", ticks * 1e6 / hz / requests; else print 0 }'
}

bare() { # backend, algorithm: the bare handler's floor, measured right before the keygate scenario it divides
  "$EXAMPLES/bench_bare" "$BARE_PORT" "$2" & local pid=$!
  for _ in $(seq 1 50); do curl -sf -o /dev/null -X POST -d x "http://127.0.0.1:$BARE_PORT/token" -u bench:secret && break; sleep 0.1; done
  TARGET="http://127.0.0.1:$BARE_PORT" MEASURED="$pid" run "$1" "bare actix-web token, $2" bare
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

scenarios() { # backend
  local b="$1"
  echo "== $b: seeding" >&2
  local admin tenant warm pw pk
  admin=$("$BIN" init --json | json '["client_secret"]')
  tenant=$("$BIN" tenant create --name bench --slug bench --json | json '["id"]')
  warm=$("$BIN" client create --name warm --tenant "$tenant" --with-key --json)
  export WARM_SECRET; WARM_SECRET=$(json '["key"]["client_secret"]' <<<"$warm")
  export WARM_AUTH; WARM_AUTH=$(basic "$(json '["id"]' <<<"$warm"):$WARM_SECRET")
  KEYGATE_USER_PASSWORD="bench password" "$BIN" user create --tenant "$tenant" --username bench --json >/dev/null
  pw=$("$BIN" client create --name pw --tenant "$tenant" --grant-type password --grant-type refresh_token --with-key --json)
  export PW_AUTH; PW_AUTH=$(basic "$(json '["id"]' <<<"$pw"):$(json '["key"]["client_secret"]' <<<"$pw")")
  "$BIN" bench-seed --tenant "$tenant" --count "$COLD_KEYS" --out cold.txt
  local workload
  workload=$("$BIN" client create --name workload --tenant "$tenant" \
    --grant-type urn:ietf:params:oauth:grant-type:jwt-bearer --json | json '["id"]')
  printf '{"issuer": "%s", "jwks_uri": "%s/jwks.json", "audiences": ["%s"], "rules": [{"client_id": "%s",
    "claims": {"repository": "acme/api", "ref": "refs/heads/main"}}]}' "$ISSUER" "$ISSUER" "$URL" "$workload" \
    | "$BIN" trusted-issuer create --tenant "$tenant" --file - >/dev/null
  headers_lua cold.txt "$COLD_KEYS" > cold.lua
  serve
  local admin_token; admin_token=$("$BIN" token --key "$admin")
  pk=$(curl -sf -H "Authorization: Bearer $admin_token" -H 'Content-Type: application/json' \
    -d '{"kind":"private_key","alg":"EdDSA"}' "$URL/v1/clients/$(json '["id"]' <<<"$warm")/keys" | json '["key"]')
  export JWT; JWT=$(curl -sf -H "Authorization: $WARM_AUTH" -d grant_type=client_credentials "$URL/oauth/token" | json '["access_token"]')
  python3 - "$URL" "$PW_AUTH" $((CONNECTIONS * 2)) > refresh.lua <<'PY'
import json, sys, urllib.request
url, auth, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
tokens = []
for _ in range(count):
    request = urllib.request.Request(url + "/oauth/token", b"grant_type=password&username=bench&password=bench+password",
                                     {"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"})
    tokens.append(json.load(urllib.request.urlopen(request))["refresh_token"])
print("refresh = {" + ",".join(json.dumps(t) for t in tokens) + "}")
PY
  run "$b" healthz healthz
  run "$b" "jwks" jwks
  # A ratio's two scenarios run close together, so that the drift of a small shared machine over the minutes between
  # them does not enter it: the proofs (valid for a minute) are made first, the DPoP-bound and refresh runs follow
  # the warm one.
  "$EXAMPLES/bench_dpop_proofs" $((DURATION * 15000)) "$URL/oauth/token" proofs.lua
  bare "$b" RS256
  run "$b" "client_credentials warm" token_warm
  run "$b" "client_credentials DPoP-bound (ES256 proof)" dpop proofs.lua
  REFRESH_AUTH="$PW_AUTH" run "$b" "refresh_token (rotating)" refresh refresh.lua
  run "$b" "client_credentials cold ($COLD_KEYS keys)" token_cold cold.lua
  KEYGATE_ACCESS_KEY="$pk" "$EXAMPLES/bench_assertions" $((DURATION * 15000)) "$URL/oauth/token" assertions.lua
  run "$b" "private_key_jwt (EdDSA assertion)" private_key_jwt assertions.lua
  # The issuer's keys are fetched by the first exchange and cached: the scenario measures the cached path. An
  # exchange signs an RS256 access token (a few thousand a second here): 8,000 tokens a second is enough.
  local warm_workload
  warm_workload=$("$EXAMPLES/bench_workload_tokens" $((DURATION * 8000)) "$ISSUER" "$URL" "$WORK/issuer")
  curl -sf -d grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer -d "assertion=$warm_workload" \
    "$URL/oauth/token" >/dev/null
  run "$b" "jwt-bearer (RS256 workload token)" jwt_bearer "$WORK/issuer/workload.lua"
  # The SPA's sign-in: codes from the sign-in session (made just before, they live a minute), then refresh tokens
  # whose refresh also signs an ID token.
  local spa
  spa=$(curl -sf -H "Authorization: Bearer $admin_token" -H 'Content-Type: application/json' -d "{\"name\": \"spa\",
    \"tenant_id\": \"$tenant\", \"public\": true, \"scopes\": [\"openid\", \"offline_access\"],
    \"redirect_uris\": [\"$SPA_REDIRECT\"]}" "$URL/v1/clients" | json '["id"]')
  if [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" code "* ]]; then
    python3 "$BENCH/codes.py" "$URL" bench "$spa" "$SPA_REDIRECT" "$VERIFIER" $((DURATION * 2500)) codes > codes.lua
  fi
  SPA="$spa" run "$b" "authorization_code (PKCE, ID token)" code codes.lua
  python3 "$BENCH/codes.py" "$URL" bench "$spa" "$SPA_REDIRECT" "$VERIFIER" $((CONNECTIONS * 2)) refresh > oidc.lua
  REFRESH_CLIENT="$spa" run "$b" "refresh_token (rotating, ID token)" refresh oidc.lua
  run "$b" "password (argon2id)" password
  run "$b" "verify secret key" verify_key
  run "$b" "verify JWT" verify_jwt
  run "$b" "introspect JWT" introspect
  stop
  for alg in ES256 EdDSA; do
    "$BIN" signing-key rotate --alg "$alg" --immediate >/dev/null
    bare "$b" "$alg"
    serve
    run "$b" "client_credentials warm $alg" token_warm
    stop
  done
}

(cd "$WORK/issuer" && exec python3 -m http.server --bind 127.0.0.1 "$ISSUER_PORT" >/dev/null 2>&1) &
: > results.tsv
peer() { # node-oidc-provider on the same two cores: the scenarios both servers have, its rows labelled as keygate's
  if [ "${PEER:-1}" = 0 ]; then return; fi
  command -v node >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
  redis-cli -p 6379 ping >/dev/null 2>&1 || {
    command -v redis-server >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }
    redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no --daemonize yes >/dev/null
    for _ in $(seq 1 50); do redis-cli -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
  }
  (cd "$BENCH/peer" && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error >&2; })
  echo "== peer: node-oidc-provider $(node -p 'require(process.argv[1]).version' "$BENCH/peer/node_modules/oidc-provider/package.json"), 2 workers, Redis" >&2
  node "$BENCH/peer/server.mjs" "$PORT" "$WORK" $((CONNECTIONS * 2)) >>"$WORK/peer.log" 2>&1 & SERVER=$!
  for _ in $(seq 1 100); do curl -sf -o /dev/null "$URL/.well-known/openid-configuration" && break; sleep 0.2; done
  # shellcheck disable=SC1091
  . "$WORK/peer.env"
  local opaque
  opaque=$(curl -sf -H "Authorization: $PEER_INTROSPECT_AUTH" -d grant_type=client_credentials "$URL/token" | json '["access_token"]')
  TOKEN_PATH=/token WARM_AUTH="$PEER_WARM_AUTH" run peer "client_credentials warm" token_warm
  TOKEN_PATH=/token WARM_AUTH="$PEER_WARM_ES256_AUTH" run peer "client_credentials warm ES256" token_warm
  TOKEN_PATH=/token REFRESH_AUTH="$PEER_SPA_AUTH" run peer "refresh_token (rotating)" refresh "$WORK/peer.lua"
  # It introspects only the tokens it stores (opaque ones; its JWT access tokens are not kept).
  INTROSPECT_PATH=/token/introspection WARM_AUTH="$PEER_INTROSPECT_AUTH" JWT="$opaque" \
    run peer "introspect (opaque token)" introspect
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
}

peer
export KEYGATE_DATABASE_URL="$WORK/bench.db"
scenarios sqlite
if [ "${PG:-1}" != 0 ] && pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  psql "${PG_URL%/*}/postgres" -qc "DROP DATABASE IF EXISTS ${PG_URL##*/}" -c "CREATE DATABASE ${PG_URL##*/}"
  export KEYGATE_DATABASE_URL="$PG_URL"
  scenarios postgres
else
  echo "== PostgreSQL not reachable on 127.0.0.1:5432: SQLite only" >&2
fi

if [ "${SKIP_BIG:-}" != 1 ]; then
  for keys in 1000 "$BIG_KEYS"; do
    echo "== sqlite: $keys keys in the database" >&2
    export KEYGATE_DATABASE_URL="$WORK/keys-$keys.db"
    "$BIN" bench-seed --count "$keys" --out "keys-$keys.txt"
    headers_lua "keys-$keys.txt" 1000 > "keys-$keys.lua"
    serve KEYGATE_CREDENTIAL_CACHE_SECONDS=0
    run sqlite "client_credentials, cache off, $keys keys" token_cold "keys-$keys.lua"
    printf 'sqlite\trss %s\t%s\n' "$keys" "$(ps -o rss= -p "$SERVER")" | tee -a results.tsv >&2
    stop
  done
fi

python3 - reference.txt results.tsv "$BIG_KEYS" "$COLD_KEYS" <<'PY'
import sys
reference = dict(line.split() for line in open(sys.argv[1]))
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[2])]
big, cold = sys.argv[3], sys.argv[4]
rate = {(r[0], r[1]): float(r[2]) for r in rows if len(r) == 8}
rss = {r[1].split()[1]: int(r[2]) for r in rows if len(r) == 3}
def target(backend, label):
    healthz = rate.get((backend, "healthz"))
    warm = rate.get((backend, "client_credentials warm"))
    def bare(alg, goal=None):  # keygate's warm token against the bare handler with the same signature
        floor = rate.get((backend, f"bare actix-web token, {alg}"))
        return [(rate[(backend, label)] / floor, goal, "bare actix")] if floor else []
    if backend == "peer":
        return []
    if label.startswith("bare actix-web token"):  # what the floor itself reaches against the HTTP floor
        return [(rate[(backend, label)] / healthz, None, "healthz")]
    if label == "client_credentials warm":
        ratios = [(rate[(backend, label)] / (2 * float(reference["RS256"])), 0.75, "2 x RS256 sign/core")] + bare("RS256")
        if backend == "postgres" and ("sqlite", label) in rate:
            ratios.append((rate[(backend, label)] / rate[("sqlite", label)], 0.8, "SQLite warm"))
        return ratios
    if label.startswith("client_credentials warm "):
        return [(rate[(backend, label)] / healthz, 0.4, "healthz")] + bare(label.split()[-1], 0.95)
    if label == "verify secret key":
        return [(rate[(backend, label)] / healthz, 0.6, "healthz")]
    if label.startswith("jwt-bearer"):
        return [(rate[(backend, label)] / rate[(backend, "private_key_jwt (EdDSA assertion)")], 0.7, "private_key_jwt")]
    if label.startswith("client_credentials DPoP-bound"):
        return [(rate[(backend, label)] / warm, 0.8, "warm")]
    if label.startswith("refresh_token"):
        return [(rate[(backend, label)] / warm, 0.6, "warm")]
    if label.startswith("client_credentials cold"):
        return [(rate[(backend, label)] / warm, 0.7, "warm")]
    if label == f"client_credentials, cache off, {big} keys":
        small = rate.get((backend, "client_credentials, cache off, 1000 keys"))
        return [(rate[(backend, label)] / small, 0.9, "1000 keys")]
    if label == "healthz" or label.startswith("client_credentials, cache off"):
        return []
    return [(rate[(backend, label)] / healthz, None, "healthz")]
# keygate ÷ the peer, in the scenarios both have; the rotating refresh should be twice as fast.
peer_of = {"client_credentials warm": ("client_credentials warm", None),
           "client_credentials warm ES256": ("client_credentials warm ES256", None),
           "refresh_token (rotating)": ("refresh_token (rotating)", 2.0),
           "introspect JWT": ("introspect (opaque token)", None)}
def against_peer(backend, label):
    name, goal = peer_of.get(label, (None, None))
    if backend == "peer" or ("peer", name) not in rate:
        return []
    return [(rate[(backend, label)] / rate[("peer", name)], goal, "peer")]
# Read paths answer from memory: their p99 at this many connections should stay under 5 ms.
READ_PATHS = {"healthz", "jwks", "verify secret key", "verify JWT", "introspect JWT"}
def ms(text):
    return float(text[:-2]) if text.endswith("ms") else float(text[:-2]) / 1000 if text.endswith("us") else float(text[:-1]) * 1000
# cpu/req: microseconds of CPU per request in the server; db: in PostgreSQL (the peer's: in Redis).
print(f"{'backend':9} {'scenario':42} {'req/s':>10} {'p50':>9} {'p99':>9} {'errors':>7} {'cpu/req':>8} {'db':>7}  ratio")
for r in rows:
    if len(r) != 8:
        continue
    backend, label, reqs, p50, p99, errors, cpu, db_cpu = r
    notes = []
    try:
        ratios = target(backend, label)
    except (KeyError, TypeError):  # its reference was left out (ONLY)
        ratios = []
    ratios += against_peer(backend, label)
    if label in READ_PATHS and backend != "peer":
        notes.append("p99 ok" if ms(p99) < 5 else "p99 ABOVE 5ms")
    for value, goal, against in ratios:
        verdict = "" if goal is None else (" ok" if value >= goal else f" BELOW {goal}")
        notes.append(f"{value:.2f} x {against}{verdict}")
    db_cpu = db_cpu if backend != "sqlite" else ""
    print(f"{backend:9} {label:42} {float(reqs):10.0f} {p50:>9} {p99:>9} {errors:>7} {cpu + 'us':>8} {db_cpu and db_cpu + 'us':>7}  {'; '.join(notes)}")
for keys, kib in rss.items():
    verdict = " ok" if keys != big or kib < 150 * 1024 else " ABOVE 150 MiB"
    print(f"RSS after the run with {keys} keys: {kib / 1024:.0f} MiB{verdict}")
print("reference, access tokens signed per second on one core: " + ", ".join(f"{k} {float(v):.0f}" for k, v in reference.items()))
PY
