#!/usr/bin/env bash
# The web server under load: loads the demo company at scale (1,000,000 items by default,
# tagged, with its people, its loop and its recorded analysis), starts `trove serve` on
# loopback, signs in, and runs wrk (20 connections, 30 s) against the Customer Room, the
# ranking and a drill-down, printing p50/p95/p99 latency per page and the server's peak
# resident memory (VmHWM, from /proc).
#
#   scripts/bench-web.sh [ITEMS]              # environment: TROVE_BIN (default: a release build),
#                                             # CONNECTIONS (20), DURATION (30s), THREADS (2)
#
# Needs wrk (Debian: apt-get install wrk) and curl. Goals (issue 11): room and ranking p95
# under 50 ms, drill-down p95 under 100 ms. wrk shares the machine with the server: on a
# small machine its own threads take CPU from the server, which the figures include.
set -euo pipefail
cd "$(dirname "$0")/.."

items="${1:-1000000}"
connections="${CONNECTIONS:-20}"
duration="${DURATION:-30s}"
threads="${THREADS:-2}"
for tool in wrk curl; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "error: $tool is missing (Debian: apt-get install $tool)" >&2
        exit 1
    }
done
if [ -z "${TROVE_BIN:-}" ]; then
    cargo build --release --quiet -p trove-cli
    TROVE_BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/trove"
fi

work="$(mktemp -d)"
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
db="$work/bench.db"

echo "== loading the demo company with $items items (tagged, people, loop, recorded analysis)"
customers=$((items / 5 < 1000000 ? items / 5 : 1000000))
started=$(date +%s)
"$TROVE_BIN" demo --db "$db" --feedback "$items" --customers "$customers" >"$work/demo.txt"
echo "loaded in $(($(date +%s) - started)) s ($(du -h "$db" | cut -f1) on disk)"
password="$(sed -n 's/^Demo password: \([^ ]*\).*/\1/p' "$work/demo.txt")"
admin="$(sed -n 's/^  \([^ ]*@[^ ]*\) *admin .*/\1/p' "$work/demo.txt" | head -1)"

"$TROVE_BIN" serve --db "$db" --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.log" &
server=$!
for _ in $(seq 1 100); do
    grep -q '^Trove serves' "$work/serve.out" 2>/dev/null && break
    sleep 0.1
done
origin="$(sed -n 's/^Trove serves .* at \(http:\/\/[^/]*\)\/.*/\1/p' "$work/serve.out")"
[ -n "$origin" ] || {
    echo "error: the server did not start:" >&2
    cat "$work/serve.log" >&2
    exit 1
}
cookie="$(curl -s -o /dev/null -D - -H "Origin: $origin" \
    --data-urlencode "email=$admin" --data-urlencode "password=$password" "$origin/signin" |
    sed -n 's/^[Ss]et-[Cc]ookie: \(trove_session=[^;]*\).*/\1/p')"
[ -n "$cookie" ] || {
    echo "error: signing in as $admin failed" >&2
    exit 1
}
echo "serving at $origin (pid $server), signed in as $admin"

cat >"$work/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("%d requests in %.1f s (%.0f/s), %d errors; latency p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    summary.requests, seconds, summary.requests / seconds,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
LUA

# The drill-down of the top chronic issue's items over the analysis window, as the room links it.
pages=(
    "room|/"
    "ranking|/ranking"
    "drill-down|/items?theme=claim-payout-delay"
)
for entry in "${pages[@]}"; do
    name="${entry%%|*}"
    path="${entry#*|}"
    status="$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$origin$path")"
    if [ "$status" != 200 ]; then
        echo "== $name ($path): answers $status, not measured (the page does not exist yet?)"
        continue
    fi
    echo "== $name ($path): wrk, $connections connections, $threads threads, $duration"
    wrk -t"$threads" -c"$connections" -d"$duration" -H "Cookie: $cookie" -s "$work/report.lua" \
        "$origin$path" | tail -1
done

echo "== server memory: peak $(awk '/^VmHWM/ {printf "%.0f MB", $2 / 1024}' "/proc/$server/status"), now $(awk '/^VmRSS/ {printf "%.0f MB", $2 / 1024}' "/proc/$server/status")"
echo "(machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
