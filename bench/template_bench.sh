#!/usr/bin/env bash
# The cost of a stored template over a plain send (issue #20, docs/performance.md): POST /mail with
# "template": "receipt" (the template read from the store and rendered with SES's rules by the
# core, sesami/template.hpp) against POST /mail with the same subject and text written out,
# against one `sesami serve`, alternating A B A B in one run. Both go through the same send use
# case to the offline simulator; the ratio of their p50 latencies (the median over alternating
# rounds) is the template's overhead. The answer is checked before timing: the rendered subject
# must be the plain send's.
# Usage: bench/template_bench.sh [BUILD_DIR=build/release] [SECONDS=5]  (WARMUP=SECONDS, default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/release}
SECS=${2:-5}
WARMUP=${WARMUP:-1}
S=$B/server/cli/sesami
L=$B/bench/http_load
[ -x "$S" ] && [ -x "$L" ] || { echo "build sesami and http_load in $B" >&2; exit 2; }
W=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$W"' EXIT
PID=

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$S" workspace create bench --db "$W/b.db" --json > "$W/ws.json"
KEY=$(sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p' "$W/ws.json")
"$S" serve --db "$W/b.db" --port 0 --log-level warn --simulator-rate 1000000 > "$W/out.txt" 2>> "$W/err.txt" &
PID=$!
until grep -q 'listening on' "$W/out.txt" 2>/dev/null; do sleep 0.01; done
PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$W/out.txt")
URL="http://127.0.0.1:$PORT"
AUTH=(-H "Authorization: Bearer $KEY" -H "Content-Type: application/json")
# A receipt as shops write them: nested data, a loop, a condition.
curl -sf "${AUTH[@]}" "$URL/templates" -d '{"name":"receipt","subject":"Your receipt {{order.id}}",
  "text":"Hi {{name}},\n{{#each items}}\n- {{title}} x{{qty}}\n{{/each}}\n{{#if vip}}Thanks, VIP!{{/if}}\nThanks for your order.",
  "html":"<p>Hi {{name}},</p><ul>{{#each items}}<li>{{title}} x{{qty}}</li>{{/each}}</ul>"}' > /dev/null
printf '%s' '{"from":"shop@example.com","to":["reader@example.org"],"template":"receipt","templateData":{"name":"Ann","order":{"id":"A-1042"},"items":[{"title":"Tea","qty":2},{"title":"Cups","qty":4}],"vip":true},"tags":{"kind":"receipt"}}' > "$W/tmpl.json"
# The same message written out (what the template renders to).
printf '%s' '{"from":"shop@example.com","to":["reader@example.org"],"subject":"Your receipt A-1042","text":"Hi Ann,\n- Tea x2\n- Cups x4\nThanks, VIP!\nThanks for your order.","html":"<p>Hi Ann,</p><ul><li>Tea x2</li><li>Cups x4</li></ul>","tags":{"kind":"receipt"}}' > "$W/mail.json"
# Check the answer before timing: the template renders to the plain message.
R=$(curl -sf "${AUTH[@]}" "$URL/templates/receipt/render" -d '{"data":{"name":"Ann","order":{"id":"A-1042"},"items":[{"title":"Tea","qty":2},{"title":"Cups","qty":4}],"vip":true}}')
echo "$R" | grep -q '"subject":"Your receipt A-1042","text":"Hi Ann,\\n- Tea x2\\n- Cups x4\\nThanks, VIP!\\nThanks for your order."' \
  || { echo "the template does not render to the plain message: $R" >&2; exit 1; }
run() {
  "$L" --port "$PORT" --method POST --path /mail --header "Authorization: Bearer $KEY" \
    --header "Content-Type: application/json" --body-file "$1" --connections 1 \
    --seconds "$SECS" --warmup "$WARMUP"
}
ROUNDS=${ROUNDS:-4}  # alternating short runs: a busy machine's drift hits both paths alike
for round in $(seq "$ROUNDS"); do
  if ((round % 2)); then  # the order alternates too: neither path always runs on a fuller database
    echo "== round $round: plain"; run "$W/mail.json" | tee -a "$W/mail.txt"
    echo "== round $round: template"; run "$W/tmpl.json" | tee -a "$W/tmpl.txt"
  else
    echo "== round $round: template"; run "$W/tmpl.json" | tee -a "$W/tmpl.txt"
    echo "== round $round: plain"; run "$W/mail.json" | tee -a "$W/mail.txt"
  fi
done
p50() { sed -n 's/.*"p50_ms":\([0-9.]*\).*/\1/p' "$1" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
errs() { sed -n 's/.*"errors":\([0-9]*\).*/\1/p' "$1" | paste -sd+ | bc; }
M=$(p50 "$W/mail.txt"); T=$(p50 "$W/tmpl.txt")
# Also the median of each round's own ratio (its two runs back to back): on a machine whose load
# swings between rounds, the paired ratio drifts less than the ratio of the two medians.
PAIRED=$(paste <(sed -n 's/.*"p50_ms":\([0-9.]*\).*/\1/p' "$W/tmpl.txt") \
               <(sed -n 's/.*"p50_ms":\([0-9.]*\).*/\1/p' "$W/mail.txt") |
  awk '{print $1 / $2}' | sort -n | awk '{a[NR]=$1} END {printf "%.3f", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
echo "{\"figure\":\"POST /mail with a stored template vs plain, p50\",\"templateP50Ms\":$T,\"mailP50Ms\":$M,\"ratio\":$(echo "scale=3; $T / $M" | bc),\"pairedRatio\":$PAIRED,\"errors\":$(( $(errs "$W/mail.txt") + $(errs "$W/tmpl.txt") ))}"
kill -TERM "$PID"; wait "$PID" || true; PID=
