#!/usr/bin/env bash
# The console's list pages with 10,000 clients in one tenant, signed in as its administrator, on a release build
# over SQLite, loopback only: the first page, a later page, a name search that matches every client and one that
# matches none (a scan of the tenant's clients).
# Usage: bench/console.sh [seconds=8] [connections=16] [clients=10000]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-8}"; CONNECTIONS="${2:-16}"; CLIENTS="${3:-10000}"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet
BIN="$PWD/target/release/keygate"
WORK=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT
cd "$WORK"
export KEYGATE_DATABASE_URL="$WORK/bench.db" KEYGATE_MASTER_KEY_FILE="$WORK/master.key" KEYGATE_LOG=warn
PORT=18183; URL="http://127.0.0.1:$PORT"
KEYGATE_BIND="127.0.0.1:$PORT" "$BIN" serve 2>"$WORK/serve.log" &
for _ in $(seq 1 50); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.2; done
tenant=$("$BIN" tenant create --name bench --slug bench --json | python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])')
echo "seeding $CLIENTS clients" >&2
"$BIN" bench-seed --tenant "$tenant" --count "$CLIENTS" --out "$WORK/keys.txt"
KEYGATE_USER_PASSWORD="bench password" "$BIN" user create --tenant "$tenant" --username admin --tenant-admin >/dev/null

# Sign in as a browser does: the login page's CSRF cookie and token, then the form.
csrf=$(curl -s -c jar "$URL/console/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p')
curl -s -b jar -c jar -o /dev/null --data-urlencode "csrf_token=$csrf" -d tenant=bench -d username=admin \
  --data-urlencode "password=bench password" "$URL/console/login"
COOKIE=$(awk '$6 ~ /^keygate_(console|csrf)$/ {printf "%s=%s; ", $6, $7}' jar)
middle=$(sed -n "$((CLIENTS / 2))p" keys.txt | cut -d: -f1)
cat > cookie.lua <<LUA
wrk.headers["Cookie"] = "$COOKIE"
LUA

printf '%-34s %10s %9s %9s %8s\n' scenario "req/s" p50 p99 errors
run() {
  local name=$1 path=$2 out
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s cookie.lua "$URL$path")
  printf '%-34s %10s %9s %9s %8s\n' "$name" \
    "$(awk '/^Requests\/sec/ {print $2}' <<<"$out")" "$(awk '$1=="50%" {print $2}' <<<"$out")" \
    "$(awk '$1=="99%" {print $2}' <<<"$out")" "$(awk '/Non-2xx/ {print $4}' <<<"$out" | grep . || echo 0)"
}
run "clients, first page" "/console/clients"
run "clients, a later page" "/console/clients?after=$middle"
run "clients, search (all match)" "/console/clients?q=bench"
run "clients, search (none match)" "/console/clients?q=nothing"
curl -s -H "Cookie: $COOKIE" "$URL/console/clients" | grep -c 'class="client-row"' | sed 's/^/rows on the first page: /'
