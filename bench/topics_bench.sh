#!/usr/bin/env bash
# What a topic costs a send (issue #20, docs/performance.md): the same message through POST /mail
# without a topic (transactional, the reference) and with "topic" (the topic looked up, the
# recipient's choice read, a topic-bound unsubscribe link signed), against one `sesami serve`,
# alternating A B / B A rounds in one run. The recipient is a contact with an explicit choice (the
# lookup finds a row: the costlier case). The figure is the ratio of the medians over the rounds
# of each path's p50.
# Usage: bench/topics_bench.sh [BUILD_DIR=build/release] [SECONDS=5]  (WARMUP=SECONDS, default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/release}
SECS=${2:-5}
WARMUP=${WARMUP:-1}
S=$B/server/cli/sesami
L=${HTTP_LOAD:-$B/bench/http_load}  # any build of the load client will do
[ -x "$S" ] && [ -x "$L" ] || { echo "build sesami and http_load in $B" >&2; exit 2; }
W=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$W"' EXIT
PID=

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$S" workspace create bench --db "$W/b.db" --json > "$W/ws.json"
KEY=$(sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p' "$W/ws.json")
"$S" serve --db "$W/b.db" --port 0 --log-level warn --simulator-rate 1000000 \
  --public-url https://mail.example.net > "$W/out.txt" 2>> "$W/err.txt" &
PID=$!
until grep -q 'listening on' "$W/out.txt" 2>/dev/null; do sleep 0.01; done
PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$W/out.txt")
api() { curl -sf -X "$1" "http://127.0.0.1:$PORT$2" -H "Authorization: Bearer $KEY" \
  -H 'Content-Type: application/json' -d "$3" > /dev/null; }
api POST /topics '{"name":"news","description":"Monthly news"}'
api POST /topics '{"name":"offers","defaultSubscribed":false}'
api PUT /contacts/reader@example.org '{"topics":{"news":"subscribed","offers":"unsubscribed"}}'
MAIL='"from":"shop@example.com","to":["reader@example.org"],"subject":"Your receipt","text":"Thanks for your order.","tags":{"kind":"receipt"}'
printf '{%s}' "$MAIL" > "$W/plain.json"
printf '{%s,"topic":"news"}' "$MAIL" > "$W/topic.json"
run() {
  "$L" --port "$PORT" --method POST --path /mail --header "Authorization: Bearer $KEY" \
    --header "Content-Type: application/json" --body-file "$W/$1.json" --connections 1 \
    --seconds "$SECS" --warmup "$WARMUP"
}
ROUNDS=${ROUNDS:-4}  # alternating short runs: a busy machine's drift hits both paths alike
for round in $(seq "$ROUNDS"); do
  if ((round % 2)); then
    echo "== round $round: POST /mail"; run plain | tee -a "$W/plain.txt"
    echo "== round $round: POST /mail with a topic"; run topic | tee -a "$W/topic.txt"
  else
    echo "== round $round: POST /mail with a topic"; run topic | tee -a "$W/topic.txt"
    echo "== round $round: POST /mail"; run plain | tee -a "$W/plain.txt"
  fi
done
p50() { sed -n 's/.*"p50_ms":\([0-9.]*\).*/\1/p' "$1" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
errs() { sed -n 's/.*"errors":\([0-9]*\).*/\1/p' "$1" | paste -sd+ | bc; }
P=$(p50 "$W/plain.txt"); T=$(p50 "$W/topic.txt")
echo "{\"figure\":\"POST /mail with a topic vs without, p50\",\"topicP50Ms\":$T,\"plainP50Ms\":$P,\"ratio\":$(echo "scale=3; $T / $P" | bc),\"errors\":$(( $(errs "$W/plain.txt") + $(errs "$W/topic.txt") ))}"
kill -TERM "$PID"; wait "$PID" || true; PID=
