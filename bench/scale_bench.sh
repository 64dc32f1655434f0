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
# Issue #19 adds, in the same script run: CPU per event of every run (the nodes' own CPU from
# /proc, plus the CPU of the PostgreSQL backends serving their connections, found by client port),
# one node on an SQLite file at the same load (CPU per event on PostgreSQL vs SQLite), and one node
# on PostgreSQL at 8 and at 64 connections (does one node's throughput grow with concurrency, or is
# the machine the bound). Each of these prints one more JSON line, with "series".
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

# CPU seconds (user + system) a process has used, from /proc/PID/stat.
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# CPU seconds of the PostgreSQL backends serving process $1's connections (matched by client port).
pg_cpu_of() {
  local ports p sum=0
  ports=$(ss -tnpH state established 2>/dev/null | awk -v pid="pid=$1," '$0 ~ pid {n = split($3, a, ":"); print a[n]}' | paste -sd, -)
  [ -n "$ports" ] || { echo 0; return; }
  for p in $(psql "$PG" -qtAc "SELECT pid FROM pg_stat_activity WHERE client_port IN ($ports)"); do
    sum=$(awk -v a="$sum" -v b="$(cpu_of "$p")" 'BEGIN {print a + b}')
  done
  echo "$sum"
}

# run N WORKSPACES [CONNECTIONS=48] [BACKEND=pg] [SERIES]: prints one JSON line {"nodes":N,
# "workspaces":...,"rps":...,"requests":...,"errors":...,"committed":...,"cpu_node_s":...,
# "cpu_pg_s":...}. WORKSPACES "one": every node's load goes to one workspace; "per-node": node i's
# load to workspace i. BACKEND "sqlite": one SQLite file instead (one node only).
run() {
  local n=$1 wsmode=$2 conns=${3:-48} backend=${4:-pg} series=${5:-} i db
  if [[ $backend == sqlite ]]; then
    db="$W/sqlite-$RANDOM.db"
  else
    SCHEMA="scale_bench_$$_${n}_$RANDOM"
    sql "CREATE SCHEMA $SCHEMA"
    db=$(url_for "$SCHEMA")
  fi
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
    local out="$W/out-$n-$wsmode-$conns-$backend-$i.txt"  # a new file: never an earlier run's port
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
      --connections $((conns / n)) --seconds "$SECS" --threads 1 > "$W/load$i.json" &
    lpids+=($!)
  done
  local rc=0 node0=() pg0=()
  for ((i = 1; i <= n; i++)); do
    node0+=("$(cpu_of "${PIDS[i-1]}")")
    [[ $backend == pg ]] && pg0+=("$(pg_cpu_of "${PIDS[i-1]}")") || pg0+=(0)
  done
  for p in "${lpids[@]}"; do wait "$p" || rc=1; done
  local committed=0 m cpu_node=0 cpu_pg=0 v
  for ((i = 1; i <= n; i++)); do
    m=$(curl -s -H "Authorization: Bearer $(cat "$W/metrics.token")" "http://127.0.0.1:${ports[i-1]}/metrics" | awk '/^sesami_events_ingested_total/ {s+=$2} END {print s+0}')
    committed=$((committed + m))
    # CPU while the load ran (the starting values were read when it began).
    v=$(cpu_of "${PIDS[i-1]}"); cpu_node=$(awk -v a="$cpu_node" -v b="$v" -v c="${node0[i-1]}" 'BEGIN {print a + b - c}')
    if [[ $backend == pg ]]; then
      v=$(pg_cpu_of "${PIDS[i-1]}"); cpu_pg=$(awk -v a="$cpu_pg" -v b="$v" -v c="${pg0[i-1]}" 'BEGIN {print a + b - c}')
    fi
  done
  for p in "${PIDS[@]}"; do kill -TERM "$p"; wait "$p" || true; done
  PIDS=()
  if [[ $backend == pg ]]; then
    sql "DROP SCHEMA $SCHEMA CASCADE"
    SCHEMA=
  fi
  python3 - "$W" "$n" "$committed" "$rc" "$wsmode" "$conns" "$backend" "$series" "$cpu_node" "$cpu_pg" <<'PY'
import json, sys
w, n, committed, rc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
loads = [json.load(open(f"{w}/load{i}.json")) for i in range(1, n + 1)]
row = {"nodes": n, "workspaces": sys.argv[5], "rps": round(sum(l["rps"] for l in loads), 1),
       "requests": sum(l["requests"] for l in loads),
       "errors": sum(l["errors"] for l in loads) + (1 if rc else 0),
       "p95_ms": max(l["p95_ms"] for l in loads), "committed": committed,
       "connections": int(sys.argv[6]), "backend": sys.argv[7],
       "cpu_node_s": round(float(sys.argv[9]), 2), "cpu_pg_s": round(float(sys.argv[10]), 2)}
if committed:
    row["cpu_us_per_event"] = round((row["cpu_node_s"] + row["cpu_pg_s"]) * 1e6 / committed, 1)
if sys.argv[8]:
    row["series"] = sys.argv[8]
print(json.dumps(row))
PY
}

# SCALE_SERIES=nodes: only the nodes series (issue #8's six runs).
# SCALE_SERIES=extra: only issue #19's three runs (no summary of the nodes series).
if [[ ${SCALE_SERIES:-all} != extra ]]; then
  for spec in "1 one" "2 one" "3 one" "2 per-node" "3 per-node" "1 one"; do
    run $spec | tee -a "$W/runs.jsonl"
  done
fi
if [[ ${SCALE_SERIES:-all} != nodes ]]; then
  run 1 one 48 sqlite cpu | tee -a "$W/extra.jsonl"
  run 1 one 8 pg connections | tee -a "$W/extra.jsonl"
  run 1 one 64 pg connections | tee -a "$W/extra.jsonl"
fi
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
for r in runs:
    if "cpu_us_per_event" in r:
        print(f"  {r['nodes']} node(s), {r['workspaces']}: CPU {r['cpu_us_per_event']} µs per event "
              f"(nodes {r['cpu_node_s']} s, PostgreSQL backends {r['cpu_pg_s']} s)")
try:
    extra = [json.loads(l) for l in open(sys.argv[1].replace("runs.jsonl", "extra.jsonl"))]
except FileNotFoundError:
    extra = []
for r in extra:
    print(f"{r['series']}: 1 node, {r['backend']}, {r['connections']} connections: {r['rps']:.0f} events/s, "
          f"CPU {r.get('cpu_us_per_event', 0)} µs per event (errors {r['errors']})")
runs += extra
bad = [r for r in runs if r["errors"] or r["committed"] < r["requests"] - r["errors"]]
if bad:
    print("FAILED: errors, or fewer events committed than requests answered 2xx:", bad)
    sys.exit(1)
PY
