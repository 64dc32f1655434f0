#!/usr/bin/env bash
# Issue #8 figure: ingestion events/s through 1, 2 and 3 `sesami serve` nodes on one PostgreSQL,
# each as a ratio against the 1-node run of this same script (measured first and again last; the
# reference is their mean, and their spread says how steady the machine was).
#
# Two series: every node's load into one workspace (ingestion serialises per workspace), and each
# node's load into a workspace of its own. Every run: a fresh schema of the PostgreSQL database (same starting state), N nodes started one
# after the other, then N http_load processes at once — one per node, 48/N keep-alive connections
# each, so the offered concurrency is the same in every run — each posting one new EventBridge
# event per request (a distinct messageId per request and per node: nothing is deduplicated
# away). Events committed are read from the nodes' /metrics and must cover every 2xx.
#
# Usage: bench/scale_bench.sh [BUILD_DIR=build/release] [SECONDS=10] [PG_URL]
#   PG_URL defaults to SESAMI_TEST_PG or postgresql://sesami:sesami@127.0.0.1:5432/sesami_test
#   (scripts/test creates that role and database).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/release}
SECS=${2:-10}
PG=${3:-${SESAMI_TEST_PG:-postgresql://sesami:sesami@127.0.0.1:5432/sesami_test}}
S=$B/server/cli/sesami
L=$B/bench/http_load
[ -x "$S" ] && [ -x "$L" ] || { echo "build $S and $L first (targets sesami, http_load)" >&2; exit 2; }
psql "$PG" -qtAc "SELECT 1" >/dev/null || { echo "PostgreSQL unreachable at $PG" >&2; exit 2; }
W=$(mktemp -d)
openssl rand -hex 32 > "$W/metrics.token"  # /metrics answers only the operator's token
PIDS=()
SCHEMA=
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "$SCHEMA" ] && sql "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT

sql() { PGOPTIONS="-c client_min_messages=warning" psql "$PG" -qc "$1" >/dev/null; }  # no NOTICEs
url_for() { case "$PG" in *\?*) echo "$PG&options=-csearch_path%3D$1" ;; *) echo "$PG?options=-csearch_path%3D$1" ;; esac; }
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$2"; }

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo none); PostgreSQL $(psql "$PG" -qtAc 'SHOW server_version')"

# run N WORKSPACES: prints one JSON line {"nodes":N,"workspaces":...,"rps":...,"requests":...,
# "errors":...,"committed":...}. WORKSPACES "one": every node's load goes to one workspace;
# "per-node": node i's load to workspace i.
run() {
  local n=$1 wsmode=$2 i
  SCHEMA="scale_bench_$$_${n}_$RANDOM"
  sql "CREATE SCHEMA $SCHEMA"
  local db; db=$(url_for "$SCHEMA")
  local tokens=() secrets=()
  for ((i = 1; i <= n; i++)); do
    if [[ $wsmode == one && $i -gt 1 ]]; then tokens+=("${tokens[0]}"); secrets+=("${secrets[0]}"); continue; fi
    "$S" workspace create "bench$i" --db "$db" --json > "$W/ws.json"
    "$S" workspace connect-account "bench$i" 123456789012 --db "$db" >/dev/null
    tokens+=("$(field ingestToken "$W/ws.json")"); secrets+=("$(field ingestSecret "$W/ws.json")")
  done
  local ports=()
  PIDS=()
  for ((i = 1; i <= n; i++)); do
    local out="$W/out-$n-$wsmode-$i.txt"  # a new file: never an earlier run's port
    # Every node of one database shares one server key file.
    "$S" serve --db "$db" --port 0 --log-level warn --sns-cert-dir "$W/certs" \
      --secret-key-file "$W/sesami.key" --metrics-token-file "$W/metrics.token" \
      > "$out" 2>> "$W/err.txt" &
    PIDS+=($!)
    until grep -q 'listening on http://127.0.0.1:[0-9]*$' "$out" 2>/dev/null; do
      kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$W/err.txt" >&2; exit 1; }
      sleep 0.01
    done
    ports+=("$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$out")")
  done
  local lpids=()
  for ((i = 1; i <= n; i++)); do
    sed "s/\"messageId\": *\"[^\"]*\"/\"messageId\": \"bench-$n-$i-{{n}}\"/" \
      tests/fixtures/eventbridge/event-delivery.json > "$W/event$i.json"
    "$L" --port "${ports[i-1]}" --method POST --path "/ingest/eventbridge/${tokens[i-1]}" \
      --header "X-Sesami-Secret: ${secrets[i-1]}" --body-file "$W/event$i.json" --unique \
      --connections $((48 / n)) --seconds "$SECS" --threads 1 > "$W/load$i.json" &
    lpids+=($!)
  done
  local rc=0
  for p in "${lpids[@]}"; do wait "$p" || rc=1; done
  local committed=0 m
  for ((i = 1; i <= n; i++)); do
    m=$(curl -s -H "Authorization: Bearer $(cat "$W/metrics.token")" "http://127.0.0.1:${ports[i-1]}/metrics" | awk '/^sesami_events_ingested_total/ {s+=$2} END {print s+0}')
    committed=$((committed + m))
  done
  for p in "${PIDS[@]}"; do kill -TERM "$p"; wait "$p" || true; done
  PIDS=()
  sql "DROP SCHEMA $SCHEMA CASCADE"
  SCHEMA=
  python3 - "$W" "$n" "$committed" "$rc" "$wsmode" <<'PY'
import json, sys
w, n, committed, rc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
loads = [json.load(open(f"{w}/load{i}.json")) for i in range(1, n + 1)]
print(json.dumps({"nodes": n, "workspaces": sys.argv[5], "rps": round(sum(l["rps"] for l in loads), 1),
                  "requests": sum(l["requests"] for l in loads),
                  "errors": sum(l["errors"] for l in loads) + (1 if rc else 0),
                  "p95_ms": max(l["p95_ms"] for l in loads), "committed": committed}))
PY
}

for spec in "1 one" "2 one" "3 one" "2 per-node" "3 per-node" "1 one"; do
  run $spec | tee -a "$W/runs.jsonl"
done
python3 - "$W/runs.jsonl" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
ref = (runs[0]["rps"] + runs[-1]["rps"]) / 2
spread = abs(runs[0]["rps"] - runs[-1]["rps"]) / ref * 100
print(f"reference: 1 node, mean of first and last run: {ref:.0f} events/s (the two differ by {spread:.0f} %)")
for r in runs[1:-1]:
    ws = "one workspace" if r["workspaces"] == "one" else "a workspace per node"
    print(f"{r['nodes']} nodes, {ws}: {r['rps']:.0f} events/s = {r['rps'] / ref:.2f} x the 1-node run "
          f"(p95 {r['p95_ms']:.1f} ms, errors {r['errors']})")
bad = [r for r in runs if r["errors"] or r["committed"] < r["requests"] - r["errors"]]
if bad:
    print("FAILED: errors, or fewer events committed than requests answered 2xx:", bad)
    sys.exit(1)
PY
