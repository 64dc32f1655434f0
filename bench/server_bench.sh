#!/usr/bin/env bash
# Server figures for docs/performance.md (issue #4), each with its reference from the same run:
#   1. ingestion requests/s, one event per request, 64 keep-alive connections, vs POST /bench/bare
#      (same server, same bodies: parse the JSON, answer 200, store nothing) — goal >= 50 %;
#   2. GET /events and GET /stats latency (p50/p95) on a database of N demo events;
#   3. server RSS after each phase; time from process start to the first answered request.
# Usage: bench/server_bench.sh [BUILD_DIR=build/release] [N=1000000] [SECONDS=10]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/release}
N=${2:-1000000}
SECS=${3:-10}
S=$B/server/cli/sesami
L=$B/bench/http_load
[ -x "$S" ] && [ -x "$L" ] || { echo "build $S and $L first (targets sesami, http_load)" >&2; exit 2; }
W=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$W"' EXIT
PID=

field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$2"; }
start() {  # start DB [extra args]: sets PID and PORT, and STARTUP_MS (spawn -> first /health 200)
  local db=$1; shift
  local t0; t0=$(date +%s%N)
  "$S" serve --db "$db" --port 0 --log-level warn "$@" > "$W/out.txt" 2>> "$W/err.txt" &
  PID=$!
  until grep -q 'listening on' "$W/out.txt" 2>/dev/null; do sleep 0.005; done
  PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$W/out.txt")
  until curl -sf "http://127.0.0.1:$PORT/health" > /dev/null; do sleep 0.002; done
  STARTUP_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}
stop() { kill -TERM "$PID"; wait "$PID" || true; PID=; }
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$PID/status"; }

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)"

# ---- 1. ingestion vs bare --------------------------------------------------------------------
"$S" workspace create bench --db "$W/ingest.db" --json > "$W/ws.json"
"$S" workspace connect-account bench 123456789012 --db "$W/ingest.db"
TOKEN=$(field ingestToken "$W/ws.json")
SECRET=$(field ingestSecret "$W/ws.json")
# One real EventBridge delivery event; {{n}} makes every request's messageId (and event) new.
sed 's/"messageId": *"[^"]*"/"messageId": "bench-{{n}}"/' tests/fixtures/eventbridge/event-delivery.json > "$W/event.json"
grep -q '{{n}}' "$W/event.json"
start "$W/ingest.db" --bench-endpoint
echo "first start (new database, creates the owner: one argon2id hash): ${STARTUP_MS} ms"
common=(--port "$PORT" --method POST --body-file "$W/event.json" --unique --connections 64 --seconds "$SECS" --threads 1)
"$L" "${common[@]}" --path /bench/bare | tee "$W/bare1.json"
"$L" "${common[@]}" --path "/ingest/eventbridge/$TOKEN" --header "X-Sesami-Secret: $SECRET" | tee "$W/ingest.json"
"$L" "${common[@]}" --path /bench/bare | tee "$W/bare2.json"
echo "RSS after ingestion: $(rss_mib) MiB"
STORED=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^sesami_events_ingested_total/ {s+=$2} END {print s+0}')
echo "events committed during the run (metrics): $STORED"
stop
python3 - "$W" <<'PY'
import json, sys
w = sys.argv[1]
b1, i, b2 = (json.load(open(f"{w}/{n}.json")) for n in ("bare1", "ingest", "bare2"))
bare = (b1["rps"] + b2["rps"]) / 2
print(f"ingest {i['rps']:.0f} req/s vs bare {bare:.0f} req/s (mean of before/after): "
      f"{100 * i['rps'] / bare:.1f} % (goal >= 50 %); ingest p95 {i['p95_ms']:.2f} ms, bare p95 "
      f"{(b1['p95_ms'] + b2['p95_ms']) / 2:.2f} ms")
PY

# ---- 2. queries on N events ----------------------------------------------------------------------
"$S" workspace create bench --db "$W/q.db" --json > "$W/wsq.json"
KEY=$(field apiKey "$W/wsq.json")
t0=$(date +%s)
"$S" demo --db "$W/q.db" --workspace bench --events "$N" --seed 7 --json > "$W/demo.json"
echo "demo import of $N events: $(( $(date +%s) - t0 )) s; db $(du -m "$W/q.db" | cut -f1) MiB"
start "$W/q.db"
echo "restart on $N events (spawn -> first /health 200): ${STARTUP_MS} ms; RSS idle: $(rss_mib) MiB"
q=(--port "$PORT" --connections 8 --seconds "$SECS" --header "Authorization: Bearer $KEY")
"$L" "${q[@]}" --path "/health"
"$L" "${q[@]}" --path "/events?limit=50"
"$L" "${q[@]}" --path "/events?type=bounce&limit=50"
"$L" "${q[@]}" --path "/events?recipient=*example*&limit=50"
"$L" "${q[@]}" --path "/stats"
"$L" "${q[@]}" --path "/stats?bucket=hour"
echo "RSS after queries: $(rss_mib) MiB"
stop
