#!/usr/bin/env bash
# Server figures for docs/performance.md (issue #4), each with its reference from the same run:
#   1. ingestion requests/s, one event per request, 64 keep-alive connections, vs POST /bench/bare
#      (same server, same bodies: parse the JSON, answer 200, store nothing) — goal >= 50 %;
#   2. GET /events and GET /stats latency (p50/p95) on a database of N demo events;
#   3. server RSS after each phase; time from process start to the first answered request.
# Usage: bench/server_bench.sh [BUILD_DIR=build/release] [N=1000000 | DB_FILE] [SECONDS=10]
#   DB_FILE: an existing database (e.g. a 10 M-event `sesami demo` one) queried instead of a new
#   demo of N events; it is copied first (serve migrates and writes). QUERY_WS names its workspace
#   (default "default"); a user is added to the copy and an API key minted through the API.
#   SKIP_INGEST=1 skips part 1; QUERY_END=ISO-8601 ends the /stats windows there (default now);
#   WARMUP=SECONDS before each load run's measured window (default 1; bench/run --quick: 0.2).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/release}
N=${2:-1000000}
SECS=${3:-10}
WARMUP=${WARMUP:-1}
QUERY_WS=${QUERY_WS:-default}
S=$B/server/cli/sesami
L=$B/bench/http_load
[ -x "$S" ] && [ -x "$L" ] || { echo "build $S and $L first (targets sesami, http_load)" >&2; exit 2; }
W=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$W"' EXIT
PID=
# /metrics answers only the operator's metrics token (docs/security.md §4).
openssl rand -hex 32 > "$W/metrics.token"

field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$2"; }
start() {  # start DB [extra args]: sets PID and PORT, and STARTUP_MS (spawn -> first /health 200)
  local db=$1; shift
  local t0; t0=$(date +%s%N)
  "$S" serve --db "$db" --port 0 --log-level warn --metrics-token-file "$W/metrics.token" "$@" \
    > "$W/out.txt" 2>> "$W/err.txt" &
  PID=$!
  until grep -q 'listening on' "$W/out.txt" 2>/dev/null; do sleep 0.005; done
  PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$W/out.txt")
  until curl -sf "http://127.0.0.1:$PORT/health" > /dev/null; do sleep 0.002; done
  STARTUP_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}
stop() { kill -TERM "$PID"; wait "$PID" || true; PID=; }
# startup_probe DB: spawn -> first answered GET /health, polled every 1 ms from one process (no
# curl spawns in the loop); also the server's own startupUs (main -> listening). Median of 3.
startup_probe() {
  python3 - "$S" "$1" <<'PY'
import json, re, socket, statistics, subprocess, sys, time
binary, db = sys.argv[1], sys.argv[2]
runs = []
for _ in range(3):
    t0 = time.monotonic()
    p = subprocess.Popen([binary, "serve", "--db", db, "--port", "0", "--log-level", "info"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = ""
    while "listening on" not in line:
        line = p.stdout.readline()
        if not line and p.poll() is not None:
            sys.exit("server exited: " + p.stderr.read())
    port = int(re.search(r":(\d+)\s*$", line).group(1))
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as c:
                c.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                if c.recv(64).startswith(b"HTTP/1.1 200"):
                    break
        except OSError:
            pass
        time.sleep(0.001)
    total_ms = (time.monotonic() - t0) * 1000
    p.terminate()
    _, err = p.communicate()
    us = [json.loads(l).get("startupUs") for l in err.splitlines() if '"startupUs"' in l]
    runs.append((total_ms, (us[0] or 0) / 1000 if us else float("nan")))
print("spawn -> first /health 200: median %.0f ms (runs %s); server's startupUs (main -> "
      "listening): median %.1f ms" % (statistics.median(r[0] for r in runs),
      ", ".join("%.0f" % r[0] for r in runs), statistics.median(r[1] for r in runs)))
PY
}
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$PID/status"; }

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)"

if [ "${SKIP_INGEST:-0}" != 1 ]; then
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
common=(--port "$PORT" --method POST --body-file "$W/event.json" --unique --connections 64 --seconds "$SECS" --warmup "$WARMUP" --threads 1)
"$L" "${common[@]}" --path /bench/bare | tee "$W/bare1.json"
"$L" "${common[@]}" --path "/ingest/eventbridge/$TOKEN" --header "X-Sesami-Secret: $SECRET" | tee "$W/ingest.json"
"$L" "${common[@]}" --path /bench/bare | tee "$W/bare2.json"
echo "RSS after ingestion: $(rss_mib) MiB"
STORED=$(curl -s -H "Authorization: Bearer $(cat "$W/metrics.token")" "http://127.0.0.1:$PORT/metrics" | awk '/^sesami_events_ingested_total/ {s+=$2} END {print s+0}')
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
fi

# ---- 2. queries on N events ----------------------------------------------------------------------
if [ -f "$N" ]; then
  t0=$(date +%s)
  cp --reflink=auto "$N" "$W/q.db"
  for x in -wal -shm; do [ -f "$N$x" ] && cp "$N$x" "$W/q.db$x"; done
  echo "copied $N ($(du -m "$W/q.db" | cut -f1) MiB) in $(( $(date +%s) - t0 )) s"
  "$S" user add bench@example.com --db "$W/q.db" --workspace "$QUERY_WS" --role owner \
    --password bench-password-123 > /dev/null
  start "$W/q.db"
  echo "start on the copied database (spawn -> first /health 200): ${STARTUP_MS} ms; RSS idle: $(rss_mib) MiB"
  grep -o '"startupUs":[0-9]*' "$W/out.txt" "$W/err.txt" 2>/dev/null | head -1 || true
  curl -s -D "$W/login.hdr" -H 'Content-Type: application/json' \
    -d '{"email":"bench@example.com","password":"bench-password-123"}' \
    "http://127.0.0.1:$PORT/auth/login" > "$W/login.json"
  CSRF=$(field csrfToken "$W/login.json")
  COOKIE=$(sed -n 's/^[Ss]et-[Cc]ookie: *\([^;]*\);.*/\1/p' "$W/login.hdr")
  curl -s -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
    -H "X-Sesami-Workspace: $QUERY_WS" -d '{"role":"viewer","name":"bench"}' \
    "http://127.0.0.1:$PORT/api-keys" > "$W/key.json"
  KEY=$(field key "$W/key.json")
  [ -n "$KEY" ] || { echo "no API key: $(cat "$W/login.json" "$W/key.json")" >&2; exit 1; }
else
  "$S" workspace create bench --db "$W/q.db" --json > "$W/wsq.json"
  KEY=$(field apiKey "$W/wsq.json")
  QUERY_WS=bench
  t0=$(date +%s)
  "$S" demo --db "$W/q.db" --workspace bench --events "$N" --seed 7 --json > "$W/demo.json"
  echo "demo import of $N events: $(( $(date +%s) - t0 )) s; db $(du -m "$W/q.db" | cut -f1) MiB"
  start "$W/q.db"
  echo "restart on $N events (spawn -> first /health 200): ${STARTUP_MS} ms; RSS idle: $(rss_mib) MiB"
fi
q=(--port "$PORT" --connections 8 --seconds "$SECS" --warmup "$WARMUP" --header "Authorization: Bearer $KEY")
# One real recipient (exact address) from the newest page.
RCPT=$(curl -s -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/events?limit=1" |
  sed -n 's/.*"recipient":"\([^"]*\)".*/\1/p' | head -1)
# QUERY_END: the end of the /stats windows (default now; set it to the newest event of a
# database whose data ends earlier, so the 7/30/90-day windows hold events).
END=${QUERY_END:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
now=$(date -u -d "$END" +%Y-%m-%dT%H:%M:%SZ)
d7=$(date -u -d "$END - 7 days" +%Y-%m-%dT%H:%M:%SZ)
d30=$(date -u -d "$END - 30 days" +%Y-%m-%dT%H:%M:%SZ)
d90=$(date -u -d "$END - 90 days" +%Y-%m-%dT%H:%M:%SZ)
for path in "/health" "/events?limit=50" "/events?status=bounced&limit=50" \
  "/events?type=bounce&limit=50" "/events?type=bounce,complaint&limit=50" \
  "/events?recipient=$RCPT&limit=50" "/events?recipient=*example*&limit=50" \
  "/stats?from=$d7&to=$now" "/stats?from=$d30&to=$now" "/stats?from=$d90&to=$now" \
  "/stats?from=$d7&to=$now&bucket=hour"; do
  echo "== GET $path"
  "$L" "${q[@]}" --path "$path"
done
echo "RSS after queries: $(rss_mib) MiB"
stop
startup_probe "$W/q.db"
