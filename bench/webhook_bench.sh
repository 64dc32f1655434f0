#!/usr/bin/env bash
# Webhook figures for docs/performance.md ("Issue #18 — webhooks"), ratios within one run on one
# server and one database:
#   1. ingestion requests/s (one EventBridge event per request, 64 keep-alive connections) with no
#      webhook endpoint — the reference, measured before and after 2 (the endpoint disabled then),
#      their mean;
#   2. the same with one endpoint configured (every event becomes a delivery, written in the
#      event's transaction, and the worker delivers while the load runs) — goal >= 80 % of 1;
#   3. the sustained delivery rate to that one local keep-alive receiver draining a backlog (made by
#      ingesting while the receiver holds its answers; no ingestion competing) — goal >= 50 % of 1.
# The receiver is a small Node HTTP server answering 204 on kept-alive connections; it counts what
# it received and verifies nothing (tests/webhooks verifies signatures).
# Usage: bench/webhook_bench.sh [BUILD_DIR=build/release] [SECONDS=10]  (WARMUP=SECONDS, default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/release}
SECS=${2:-10}
WARMUP=${WARMUP:-1}
S=$B/server/cli/sesami
L=${HTTP_LOAD:-$B/bench/http_load}
[ -x "$S" ] && [ -x "$L" ] || { echo "build $S and $L first (targets sesami, http_load)" >&2; exit 2; }
W=$(mktemp -d)
trap 'kill $PID $RX 2>/dev/null || true; rm -rf "$W"' EXIT
PID=
RX=
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$2"; }

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo none), build: $B"

# The receiver: 204 to every POST; GET /count answers how many POSTs it has had.
cat > "$W/rx.mjs" <<'JS'
import { createServer } from 'node:http';
let n = 0;
let held = null;  // GET /close: answers wait (a backlog builds up in the outbox); GET /open: go
const s = createServer((req, res) => {
  if (req.url === '/close') { held = held ?? []; res.end(String(n)); return; }
  if (req.url === '/open') { const h = held ?? []; held = null; h.forEach((r) => r.writeHead(204).end()); res.end(String(n)); return; }
  if (req.method === 'GET') { res.end(String(n)); return; }
  req.resume();
  req.on('end', () => { n++; if (held) held.push(res); else res.writeHead(204).end(); });
});
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => console.log(s.address().port));
JS
node "$W/rx.mjs" > "$W/rx.port" &
RX=$!
until [ -s "$W/rx.port" ]; do sleep 0.01; done
RXPORT=$(cat "$W/rx.port")
count() { curl -s "http://127.0.0.1:$RXPORT/count"; }

"$S" workspace create bench --db "$W/hooks.db" --json > "$W/ws.json"
"$S" workspace connect-account bench 123456789012 --db "$W/hooks.db"
TOKEN=$(field ingestToken "$W/ws.json")
SECRET=$(field ingestSecret "$W/ws.json")
KEY=$(field apiKey "$W/ws.json")
sed 's/"messageId": *"[^"]*"/"messageId": "bench-{{n}}"/' tests/fixtures/eventbridge/event-delivery.json > "$W/event.json"
grep -q '{{n}}' "$W/event.json"
"$S" serve --db "$W/hooks.db" --port 0 --log-level warn --allow-private-webhooks > "$W/out.txt" 2>> "$W/err.txt" &
PID=$!
until grep -q 'listening on' "$W/out.txt" 2>/dev/null; do sleep 0.01; done
PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$W/out.txt")
common=(--port "$PORT" --method POST --path "/ingest/eventbridge/$TOKEN" --header "X-Sesami-Secret: $SECRET"
  --body-file "$W/event.json" --unique --connections 64 --seconds "$SECS" --warmup "$WARMUP" --threads 1)

echo "== 1. ingestion, no webhook endpoint"
"$L" "${common[@]}" | tee "$W/none1.json"

echo "== 2. ingestion, one endpoint (delivering meanwhile)"
curl -sf -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
  -d "{\"url\":\"http://127.0.0.1:$RXPORT/hook\"}" "http://127.0.0.1:$PORT/webhooks" > "$W/hook.json"
# Different messageIds than run 1 (its counter restarts): prefix them.
sed -i 's/"bench-{{n}}"/"bench-hook-{{n}}"/' "$W/event.json"
"$L" "${common[@]}" | tee "$W/one.json"
HOOK=$(field id "$W/hook.json")
api() { curl -sf -X PATCH -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$1" \
  "http://127.0.0.1:$PORT/webhooks/$HOOK" > /dev/null; }

echo "== 1'. ingestion, the endpoint disabled (no deliveries queued or sent)"
api '{"enabled":false}'
sed -i 's/"bench-hook-{{n}}"/"bench-again-{{n}}"/' "$W/event.json"
"$L" "${common[@]}" | tee "$W/none2.json"
api '{"enabled":true}'

echo "== 3. a backlog (the receiver holding its answers), then draining it"
curl -sf "http://127.0.0.1:$RXPORT/close" > /dev/null
sed -i 's/"bench-again-{{n}}"/"bench-backlog-{{n}}"/' "$W/event.json"
"$L" "${common[@]}" > "$W/backlog.json"
python3 - "$RXPORT" "$W" <<'PY'
import json, sys, time, urllib.request
port, w = sys.argv[1], sys.argv[2]
count = lambda: int(urllib.request.urlopen(f"http://127.0.0.1:{port}/count").read())
urllib.request.urlopen(f"http://127.0.0.1:{port}/open").read()
n1, one, n2 = (json.load(open(f"{w}/{n}.json")) for n in ("none1", "one", "none2"))
none = {"rps": (n1["rps"] + n2["rps"]) / 2}
# Every request of run 2 (and its warm-up and its check request) stored one new event: the
# receiver must get at least that many. Wait until the count stops rising.
t0, c0 = time.monotonic(), count()
last, still = c0, 0
while still < 20:
    time.sleep(0.1)
    c = count()
    still = still + 1 if c == last else 0
    if c != last:
        t_last, last = time.monotonic(), c
drained = last - c0
secs = (t_last - t0) if last != c0 else float("nan")
rate = drained / secs if drained else 0.0
print(json.dumps({"ingestNoneRps": round(none["rps"], 1), "deliveredDuringIngest": c0, "drained": drained, "drainSeconds": round(secs, 2),
                  "deliveriesPerSecond": round(rate, 1), "receivedTotal": last}))
print(f"ingestion with one endpoint {one['rps']:.0f} req/s vs none {none['rps']:.0f} req/s: "
      f"{100 * one['rps'] / none['rps']:.1f} % (goal >= 80 %)")
print(f"sustained delivery {rate:.0f}/s vs ingestion {none['rps']:.0f} req/s: "
      f"{100 * rate / none['rps']:.1f} % (goal >= 50 %)")
backlog = json.load(open(f"{w}/backlog.json"))
if last < one["requests"] + backlog["requests"]:
    sys.exit(f"the receiver got {last} messages, fewer than the events stored with the endpoint on")
PY
kill -TERM "$PID"; wait "$PID" || true; PID=
