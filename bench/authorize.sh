#!/usr/bin/env bash
# POST /v1/authorize with 10,000 access records in one tenant, on a release build over SQLite, loopback only.
# Usage: bench/authorize.sh [seconds=8] [connections=16] [records=10000]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-8}"; CONNECTIONS="${2:-16}"; RECORDS="${3:-10000}"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet
BIN="$PWD/target/release/keygate"
WORK=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT
cd "$WORK"
export KEYGATE_DATABASE_URL="$WORK/bench.db" KEYGATE_MASTER_KEY_FILE="$WORK/master.key" KEYGATE_LOG=warn
PORT=18182; URL="http://127.0.0.1:$PORT"
KEYGATE_BIND="127.0.0.1:$PORT" "$BIN" serve 2>"$WORK/serve.log" &
for _ in $(seq 1 50); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.2; done
tenant=$("$BIN" tenant create --name bench --slug bench --json | python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])')
secret=$("$BIN" client create --name admin --tenant "$tenant" --scope keygate:tenant-admin --with-key --json \
  | python3 -c 'import json,sys;print(json.load(sys.stdin)["key"]["client_secret"])')
TOKEN=$("$BIN" token --key "$secret" --issuer "$URL")

echo "seeding $RECORDS access records" >&2
python3 - "$URL" "$TOKEN" "$RECORDS" <<'PY'
import http.client, json, random, string, sys
url, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
conn = http.client.HTTPConnection(url.split("//")[1])
headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
def post(path, body):
    conn.request("POST", path, json.dumps(body), headers)
    response = conn.getresponse(); response.read()
    assert response.status == 201, (path, response.status)
post("/v1/roles", {"name": "Viewer", "permissions": ["documents:read"]})
post("/v1/roles", {"name": "Editor", "permissions": ["documents:*"]})
rid = lambda: "usr_" + "".join(random.choice(string.ascii_letters + string.digits) for _ in range(22))
for i in range(count - 3):
    post("/v1/records", {"name": f"r{i}", "subjects": [rid()], "statements": [{"roles": ["Viewer"], "resources": [f"/documents/{i}/*"]}]})
# The subject checked below: three records among the ten thousand.
for i in range(3):
    post("/v1/records", {"name": f"checked{i}", "subjects": ["usr_benchsubject0000000000"],
                         "statements": [{"roles": ["Viewer", "Editor"], "resources": [f"/projects/{i}/*", "/documents/*"]}]})
PY
cat > authorize.lua <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"subject": "usr_benchsubject0000000000", "resource": "/documents/42/pages/7", "permission": "documents:write"}'
LUA
printf '%-34s %10s %9s %9s %8s\n' scenario "req/s" p50 p99 errors
out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s authorize.lua "$URL/v1/authorize")
printf '%-34s %10s %9s %9s %8s\n' "authorize ($RECORDS records)" \
  "$(awk '/^Requests\/sec/ {print $2}' <<<"$out")" "$(awk '$1=="50%" {print $2}' <<<"$out")" \
  "$(awk '$1=="99%" {print $2}' <<<"$out")" "$(awk '/Non-2xx/ {print $4}' <<<"$out" | grep . || echo 0)"
curl -s -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"subject": "usr_benchsubject0000000000", "resource": "/documents/42/pages/7", "permission": "documents:write"}' "$URL/v1/authorize"
echo
