#!/usr/bin/env bash
# Export figures for docs/performance.md ("Issue #21 — export"), ratios within one run on one
# server and one database:
#   1. GET /events/export: the whole workspace streamed in one answer, events/s (the client reads
#      the body and counts lines);
#   2. the same with Accept-Encoding: gzip (the client decompresses as it reads);
#   the reference: GET /events?limit=1000 paged through the same events with its cursor on one
#   keep-alive connection (the client reads each page and takes `next` from its end).
# Each is run ROUNDS times, alternating; the medians are reported. Before timing, the answers are
# checked: every way sees every event once. Also reported: the server's CPU time per event for each
# way, and its anonymous memory (RssAnon, sampled every 5 ms) while each runs — what an export of
# the whole range holds (RSS also counts SQLite's mmap of the database file, which any read
# touches).
# Usage: bench/export_bench.sh [BUILD_DIR=build/release] [EVENTS=200000] [ROUNDS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/release}
EVENTS=${2:-200000}
ROUNDS=${3:-3}
S=$B/server/cli/sesami
[ -x "$S" ] || { echo "build $S first (target sesami)" >&2; exit 2; }
W=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$W"' EXIT
PID=

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo none), build: $B"
"$S" workspace create bench --db "$W/x.db" --json > "$W/ws.json"
KEY=$(sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p' "$W/ws.json")
"$S" demo --db "$W/x.db" -w bench --events "$EVENTS" >&2
"$S" serve --db "$W/x.db" --port 0 --log-level warn > "$W/out.txt" 2>> "$W/err.txt" &
PID=$!
until grep -q 'listening on' "$W/out.txt" 2>/dev/null; do sleep 0.01; done
PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$W/out.txt")

python3 - "$PORT" "$KEY" "$ROUNDS" "$PID" <<'PY'
import http.client, json, os, statistics, sys, threading, time, zlib
port, key, rounds, pid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
auth = {"Authorization": "Bearer " + key}

def export(gzip):
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("GET", "/events/export", headers={**auth, **({"Accept-Encoding": "gzip"} if gzip else {})})
    r = c.getresponse()
    assert r.status == 200, r.status
    assert (r.getheader("Content-Encoding") == "gzip") == gzip
    d = zlib.decompressobj(16 + 15) if gzip else None
    lines, ids = 0, set()
    tail = b""
    while True:
        chunk = r.read(1 << 16)
        if not chunk:
            break
        if d:
            chunk = d.decompress(chunk)
        lines += chunk.count(b"\n")
        if check:
            tail += chunk
            *whole, tail = tail.split(b"\n")
            ids.update(l[7:39] for l in whole)
    c.close()
    return lines, ids

def paging():
    c = http.client.HTTPConnection("127.0.0.1", port)
    cursor, n, ids = None, 0, set()
    while True:
        c.request("GET", "/events?limit=1000" + (f"&cursor={cursor}" if cursor else ""), headers=auth)
        r = c.getresponse()
        body = r.read()
        assert r.status == 200, r.status
        n += body.count(b'{"id":"')
        if check:
            ids.update(e["id"].encode() for e in json.loads(body)["events"])
        nxt = body[body.rfind(b'"next":') + 7:-1]
        if nxt == b"null":
            break
        cursor = json.loads(nxt)
    c.close()
    return n, ids

def hwm_mib():
    return next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM")) / 1024

hwm_before = hwm_mib()
# The answers first: every way sees every event exactly once.
check = True
n_plain, ids_plain = export(False)
n_gzip, ids_gzip = export(True)
n_page, ids_page = paging()
assert n_plain == len(ids_plain) == n_gzip == n_page == len(ids_page), (n_plain, n_gzip, n_page)
assert ids_plain == ids_gzip == ids_page
check = False

def status_kib(field):
    return next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith(field + ":"))

def cpu_s():  # the server's user + system CPU time
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

# The server's anonymous memory (heap: pieces, pages, buffers — not SQLite's mmap of the database
# file, which RSS also counts), sampled every 5 ms while each way runs.
peak, sampling = {}, [None]
def sampler():
    while True:
        k = sampling[0]
        if k == "stop":
            return
        if k:
            peak[k] = max(peak.get(k, 0), status_kib("RssAnon"))
        time.sleep(0.005)
threading.Thread(target=sampler, daemon=True).start()
idle_anon = status_kib("RssAnon")

times = {"export": [], "gzip": [], "paging": []}
cpu = {"export": [], "gzip": [], "paging": []}
for _ in range(rounds):
    for name, fn in (("export", lambda: export(False)), ("paging", paging), ("gzip", lambda: export(True))):
        sampling[0] = name
        t, c = time.perf_counter(), cpu_s()
        fn()
        times[name].append(time.perf_counter() - t)
        cpu[name].append(cpu_s() - c)
sampling[0] = "stop"
med = {k: statistics.median(v) for k, v in times.items()}
med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
print(json.dumps({"events": n_plain,
                  "exportEventsPerSecond": round(n_plain / med["export"], 1),
                  "exportGzipEventsPerSecond": round(n_plain / med["gzip"], 1),
                  "pagingEventsPerSecond": round(n_plain / med["paging"], 1),
                  "exportEventsPerServerCpuSecond": round(n_plain / max(med_cpu["export"], 1e-9), 1),
                  "pagingEventsPerServerCpuSecond": round(n_plain / max(med_cpu["paging"], 1e-9), 1),
                  "rounds": rounds,
                  "serverAnonIdleMiB": round(idle_anon / 1024, 1),
                  "serverAnonPeakExportMiB": round(peak.get("export", 0) / 1024, 1),
                  "serverAnonPeakGzipMiB": round(peak.get("gzip", 0) / 1024, 1),
                  "serverAnonPeakPagingMiB": round(peak.get("paging", 0) / 1024, 1),
                  "serverPeakRssMiB": round(hwm_mib(), 1)}))
PY
