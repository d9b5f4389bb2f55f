#!/usr/bin/env bash
# Two Trove binaries raced back to back on the same work, in alternation, so that the machine's
# own changes of speed (up to 1.5x between runs on the shared 2-core machine) fall on both:
#
#   scripts/bench-ab.sh OLD_BIN NEW_BIN [ROUNDS] [POSTGRES_URL]
#
# Each round, for each binary: `bench import` of 1,000,000 generated rows tagged with the demo
# taxonomy into a fresh SQLite file, `analyze --format json` twice on it; the real texts of the
# end-to-end workload (scripts/bench-e2e, built there first if missing) imported and analysed
# twice. With POSTGRES_URL (a database it may empty: the script drops and creates it as the
# `postgres` user), each binary's `bench import` and two analyses there too. Figures (wall,
# CPU, peak memory) go to $OUT/log (default /tmp/trove-bench-ab); the analyses' JSON beside
# them, compared between the two binaries at the end (they should be the same bytes).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n 2,13p "$0"; exit 2; }
old="$(realpath "$1")"; new="$(realpath "$2")"; rounds="${3:-2}"; pg="${4:-}"
out="${OUT:-/tmp/trove-bench-ab}"
workload="${WORK:-/tmp/trove-bench-e2e}/1000000"
window=(--period month --window 24 --until 2026-11-01)
[ -s "$workload/feedback.csv" ] || {
    echo "error: $workload/feedback.csv is missing: run scripts/bench-e2e/run.sh once first" >&2
    exit 1
}
rm -rf "$out"; mkdir -p "$out"
timed() { /usr/bin/time -f "wall %e s, user %U s, sys %S s, peak %M KB" "$@"; }
log() { echo "$@" | tee -a "$out/log"; }
for round in $(seq 1 "$rounds"); do
    for side in old new; do
        bin="$old"; [ "$side" = new ] && bin="$new"
        dir="$out/$side-$round"; mkdir -p "$dir"
        log "== $side, round $round: bench import (load $(cut -d' ' -f1 /proc/loadavg))"
        timed "$bin" bench import --taxonomy taxonomies/demo.toml --on "$dir/bench.db" 2>&1 \
            | grep -E "imported|  (parse|sentiment|store|feedback rows|tags|facts|running|indexes|commit) |wall" | tee -a "$out/log"
        for i in 1 2; do
            timed "$bin" --db "$dir/bench.db" analyze --format json 2>&1 >"$dir/analyze$i.json" | tail -1 | sed 's/^/analyze: /' | tee -a "$out/log"
        done
        log "-- the real texts: import"
        rm -f "$dir/e2e.db"*
        TROVE_DB="$dir/e2e.db" "$bin" taxonomy load "$workload/taxonomy.toml" >/dev/null
        TROVE_DB="$dir/e2e.db" timed "$bin" import "$workload/feedback.csv" --mapping scripts/bench-e2e/mapping.toml 2>&1 \
            | grep -E "imported|wall" | tee -a "$out/log"
        for i in 1 2; do
            TROVE_DB="$dir/e2e.db" timed "$bin" analyze "${window[@]}" --format json 2>&1 >"$dir/e2e-analyze$i.json" | tail -1 | sed 's/^/analyze: /' | tee -a "$out/log"
        done
        rm -f "$dir/bench.db"* "$dir/e2e.db"*
    done
done
if [ -n "$pg" ]; then
    name="${pg##*/}"
    for side in old new; do
        bin="$old"; [ "$side" = new ] && bin="$new"
        su postgres -c "dropdb --if-exists $name" && su postgres -c "createdb -O trove $name"
        log "== $side: PostgreSQL bench import (load $(cut -d' ' -f1 /proc/loadavg))"
        timed "$bin" bench import --taxonomy taxonomies/demo.toml --on "$pg" 2>&1 | grep -E "imported|wall" | tee -a "$out/log"
        for i in 1 2; do
            timed "$bin" --db "$pg" analyze --format json 2>&1 >/dev/null | tail -1 | sed 's/^/analyze: /' | tee -a "$out/log"
        done
    done
fi
# The run number of the analysis differs (the second analysis of a database is run 2), and so
# does when it was computed.
same() { cmp -s <(grep -Ev '"(run|computed_at)":' "$1") <(grep -Ev '"(run|computed_at)":' "$2"); }
for f in analyze1 e2e-analyze1; do
    if same "$out/old-1/$f.json" "$out/new-1/$f.json"; then log "$f: the same analysis"; else log "$f: the analyses DIFFER"; fi
done
