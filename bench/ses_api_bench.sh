#!/usr/bin/env bash
# The SES API's cost over POST /mail (issue #22, docs/performance.md): the same message sent
# through SES v2 SendEmail (SigV4 verified in full on every request, SES's JSON translated) and
# through POST /mail (bearer key), against one `sesami serve`, alternating A B A B in one run.
# Both go through the same send use case to the offline simulator; the ratio of their p50
# latencies (the median over alternating rounds) is the adapter's overhead. Needs tests/sesapi's npm install (the SDK's signer).
# Usage: bench/ses_api_bench.sh [BUILD_DIR=build/release] [SECONDS=5]  (WARMUP=SECONDS, default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/release}
SECS=${2:-5}
WARMUP=${WARMUP:-1}
S=$B/server/cli/sesami
L=$B/bench/http_load
[ -x "$S" ] && [ -x "$L" ] || { echo "build sesami and http_load in $B" >&2; exit 2; }
[ -d tests/sesapi/node_modules/@smithy/signature-v4 ] || { echo "run npm ci in tests/sesapi" >&2; exit 2; }
W=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$W"' EXIT
PID=

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$S" workspace create bench --db "$W/b.db" --json > "$W/ws.json"
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$W/ws.json"; }
KEY=$(field apiKey); AKID=$(field accessKeyId); SECRET=$(field secretAccessKey)
"$S" serve --db "$W/b.db" --port 0 --log-level warn --simulator-rate 1000000 > "$W/out.txt" 2>> "$W/err.txt" &
PID=$!
until grep -q 'listening on' "$W/out.txt" 2>/dev/null; do sleep 0.01; done
PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$W/out.txt")
printf '%s' '{"from":"shop@example.com","to":["reader@example.org"],"subject":"Your receipt","text":"Thanks for your order.","tags":{"kind":"receipt"}}' > "$W/mail.json"
printf '%s' '{"FromEmailAddress":"shop@example.com","Destination":{"ToAddresses":["reader@example.org"]},"Content":{"Simple":{"Subject":{"Data":"Your receipt"},"Body":{"Text":{"Data":"Thanks for your order."}}}},"EmailTags":[{"Name":"kind","Value":"receipt"}]}' > "$W/ses.json"
node bench/ses_api_sign.mjs "$AKID" "$SECRET" "$W/ses.json" > "$W/ses.headers"
SES_HEADERS=()
while IFS= read -r h; do SES_HEADERS+=(--header "$h"); done < "$W/ses.headers"
run_mail() {
  "$L" --port "$PORT" --method POST --path /mail --header "Authorization: Bearer $KEY" \
    --header "Content-Type: application/json" --body-file "$W/mail.json" --connections 1 \
    --seconds "$SECS" --warmup "$WARMUP"
}
run_ses() {
  "$L" --port "$PORT" --method POST --path /v2/email/outbound-emails "${SES_HEADERS[@]}" \
    --body-file "$W/ses.json" --connections 1 --seconds "$SECS" --warmup "$WARMUP"
}
ROUNDS=${ROUNDS:-4}  # alternating short runs: a busy machine's drift hits both paths alike
for round in $(seq "$ROUNDS"); do
  if ((round % 2)); then  # the order alternates too: neither path always runs on a fuller database
    echo "== round $round: POST /mail"; run_mail | tee -a "$W/mail.txt"
    echo "== round $round: SES v2 SendEmail"; run_ses | tee -a "$W/ses.txt"
  else
    echo "== round $round: SES v2 SendEmail"; run_ses | tee -a "$W/ses.txt"
    echo "== round $round: POST /mail"; run_mail | tee -a "$W/mail.txt"
  fi
done
# The median over the rounds of each path's p50.
p50() { sed -n 's/.*"p50_ms":\([0-9.]*\).*/\1/p' "$1" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
errs() { sed -n 's/.*"errors":\([0-9]*\).*/\1/p' "$1" | paste -sd+ | bc; }
M=$(p50 "$W/mail.txt"); X=$(p50 "$W/ses.txt")
echo "{\"figure\":\"SES v2 SendEmail vs POST /mail, p50\",\"sesP50Ms\":$X,\"mailP50Ms\":$M,\"ratio\":$(echo "scale=3; $X / $M" | bc),\"errors\":$(( $(errs "$W/mail.txt") + $(errs "$W/ses.txt") ))}"
kill -TERM "$PID"; wait "$PID" || true; PID=
