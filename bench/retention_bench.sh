#!/usr/bin/env bash
# Retention figure for docs/performance.md ("Issue #21 — retention"), a ratio within one run on one
# server and one database: p95 latency of GET /events (the newest 100 events, 8 keep-alive
# connections) while the background purger deletes two thirds of a 90-day demo database (retention
# set to 30 days through PATCH /workspace), against the same requests just before, without a purge.
# The script checks that the purge was still running when the measurement ended (otherwise the
# window would include quiet time) and that it then finished: nothing older than 30 days listed.
# Usage: bench/retention_bench.sh [BUILD_DIR=build/release] [EVENTS=300000] [SECONDS=8]
#        (DB=postgresql://... benchmarks a fresh schema-less PostgreSQL database instead of SQLite)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/release}
EVENTS=${2:-300000}
SECS=${3:-8}
S=$B/server/cli/sesami
L=${HTTP_LOAD:-$B/bench/http_load}
[ -x "$S" ] && [ -x "$L" ] || { echo "build $S and $L first (targets sesami, http_load)" >&2; exit 2; }
W=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$W"' EXIT
PID=
DB=${DB:-$W/ret.db}
count() { case "$DB" in postgres*) echo "?" ;; *) sqlite3 "$DB" 'SELECT count(*) FROM events' ;; esac; }
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$2"; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo none), build: $B, events: $EVENTS"

"$S" workspace create bench --db "$DB" --secret-key-file "$W/server.key" --json > "$W/ws.json"
KEY=$(field apiKey "$W/ws.json")
t0=$(date +%s.%N)
"$S" demo --db "$DB" -w bench --days 90 --events "$EVENTS" --json > "$W/demo.json"
echo "demo: $(cat "$W/demo.json") in $(echo "$(date +%s.%N) - $t0" | bc) s"
"$S" serve --db "$DB" --secret-key-file "$W/server.key" --port 0 --log-level info > "$W/out.txt" 2> "$W/err.txt" &
PID=$!
until grep -q 'listening on' "$W/out.txt" 2>/dev/null; do sleep 0.01; done
PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$W/out.txt")
BASE="http://127.0.0.1:$PORT"
AUTH="Authorization: Bearer $KEY"
CUTOFF=$(iso $(( $(date +%s) - 30 * 86400 )))
old_left() { curl -sf -H "$AUTH" "$BASE/events?limit=1&to=$CUTOFF" | grep -c '"id"' || true; }
[ "$(old_left)" = 1 ] || { echo "no events older than 30 days to purge" >&2; exit 1; }
load=(--port "$PORT" --method GET --path "/events?limit=100" --header "$AUTH" --connections 8
  --seconds "$SECS" --warmup 1 --threads 1)

echo "== 1. GET /events, no purge"
"$L" "${load[@]}" | tee "$W/quiet.json"

echo "== 2. GET /events while the purger deletes everything older than 30 days"
before=$(count)
start=$(date +%s.%N)
curl -sf -X PATCH -H "$AUTH" -H 'Content-Type: application/json' -d '{"retentionDays":30}' \
  "$BASE/workspace" > /dev/null
"$L" "${load[@]}" | tee "$W/purge.json"
running=$([ "$(old_left)" = 1 ] && echo true || echo false)
until [ "$(old_left)" = 0 ]; do sleep 0.2; done
purge_s=$(echo "$(date +%s.%N) - $start" | bc)
after=$(count)

echo "== 3. GET /events after the purge (smaller database)"
"$L" "${load[@]}" | tee "$W/after.json"
kill -TERM "$PID"; wait "$PID" || true; PID=
grep -o '"msg":"retention[^}]*' "$W/err.txt" "$W/out.txt" 2>/dev/null | head -3 || true

python3 - "$W" "$running" "$purge_s" "$before" "$after" <<'PY'
import json, sys
w, running, purge_s, before, after = sys.argv[1], sys.argv[2] == "true", float(sys.argv[3]), sys.argv[4], sys.argv[5]
q, p, a = (json.load(open(f"{w}/{n}.json")) for n in ("quiet", "purge", "after"))
for r in (q, p, a):
    if r["errors"]:
        sys.exit(f"{r['errors']} error answers")
print(json.dumps({"quietP95Ms": q["p95_ms"], "purgeP95Ms": p["p95_ms"], "afterP95Ms": a["p95_ms"],
                  "quietRps": q["rps"], "purgeRps": p["rps"], "ratio": round(p["p95_ms"] / q["p95_ms"], 3),
                  "purgeSeconds": round(purge_s, 1), "purgeRunningAtEnd": running,
                  "eventsBefore": before, "eventsAfter": after}))
print(f"p95 of GET /events during the purge {p['p95_ms']:.2f} ms vs without {q['p95_ms']:.2f} ms: "
      f"{p['p95_ms'] / q['p95_ms']:.2f}x (goal <= 2x); purge {purge_s:.1f} s, "
      f"{'still running when the measurement ended' if running else 'ENDED BEFORE THE MEASUREMENT: raise EVENTS'}")
PY
