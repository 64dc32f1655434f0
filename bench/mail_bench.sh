#!/usr/bin/env bash
# Sending figures for docs/performance.md ("#5 sending"), each against its reference in the same
# run: the offline simulator's send() called directly (the transport alone) vs
#   1. the send use case in process (validation, suppression check, attempt records, rate token);
#   2. POST /mail over HTTP on loopback (one keep-alive connection: latency, not throughput).
# Usage: bench/mail_bench.sh [BUILD_DIR=build/release] [SECONDS=10]  (WARMUP=SECONDS, default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/release}
SECS=${2:-10}
WARMUP=${WARMUP:-1}
S=$B/server/cli/sesami
L=$B/bench/http_load
M=$B/bench/mail_bench
[ -x "$S" ] && [ -x "$L" ] && [ -x "$M" ] || { echo "build sesami, http_load and mail_bench in $B" >&2; exit 2; }
W=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$W"' EXIT
PID=

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== in process: direct simulator.send() vs the use case (mailer.send)"
"$M" --sends 1000 --dir "$W/inproc"

echo "== over HTTP: POST /mail, one connection"
"$S" workspace create bench --db "$W/http.db" --json > "$W/ws.json"
KEY=$(sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p' "$W/ws.json")
"$S" serve --db "$W/http.db" --port 0 --log-level warn --simulator-rate 1000000 > "$W/out.txt" 2>> "$W/err.txt" &
PID=$!
until grep -q 'listening on' "$W/out.txt" 2>/dev/null; do sleep 0.01; done
PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$W/out.txt")
printf '%s' '{"from":"shop@example.com","to":["reader@example.org"],"subject":"Your receipt","text":"Thanks for your order.","correlationId":"order-1","tags":{"kind":"receipt"}}' > "$W/mail.json"
"$L" --port "$PORT" --method POST --path /mail --header "Authorization: Bearer $KEY" \
  --header "Content-Type: application/json" --body-file "$W/mail.json" --connections 1 \
  --seconds "$SECS" --warmup "$WARMUP"
kill -TERM "$PID"; wait "$PID" || true; PID=
