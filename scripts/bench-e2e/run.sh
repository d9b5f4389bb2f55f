#!/usr/bin/env bash
# The end-to-end benchmark of issue 14: Trove's whole job against the do-it-yourself peer an
# analyst writes (pandas, 40 regexes, VADER), on the same real texts, run back to back.
#
#   scripts/bench-e2e/run.sh [ROWS]          # default 1000000
#
# Environment: TROVE_BIN (default: target/release/trove, built if missing), WORK (default
# /tmp/trove-bench-e2e: the workload, built once per ROWS and kept until make_workload.py
# changes, and each run's outputs),
# VENV (default /tmp/trove-bench-e2e-venv: made with pandas, vaderSentiment and snowballstemmer
# from PyPI if missing). Needs ../shared/data, python3 >= 3.11 and GNU time (/usr/bin/time).
#
# Trove: `taxonomy load`, `import` with the mapping (tags and sentiment on the way in), `analyze`
# and `issues` over the 24 months, into a fresh SQLite file, each stage under `/usr/bin/time -v`.
# The peer: scripts/bench-e2e/peer.py under `/usr/bin/time -v` (its stages timed inside).
# Prints each stage's wall and CPU time and peak memory, the totals and the ratio, the load
# average before and after, and how far the two taggings agree (untimed, after the race).
set -euo pipefail
cd "$(dirname "$0")/../.."
here=scripts/bench-e2e

rows="${1:-1000000}"
work="${WORK:-/tmp/trove-bench-e2e}"
venv="${VENV:-/tmp/trove-bench-e2e-venv}"
# The analysis window: the workload's 24 months, fixed so that a later run judges the same ones.
window=(--period month --window 24 --until 2026-11-01)

[ -x /usr/bin/time ] || { echo "error: /usr/bin/time is missing (Debian: apt-get install time)" >&2; exit 1; }
[ -d ../shared/data ] || { echo "error: ../shared/data is missing: the workload needs its real texts" >&2; exit 1; }
if [ -z "${TROVE_BIN:-}" ]; then
    TROVE_BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/trove"
    [ -x "$TROVE_BIN" ] || nice cargo build --release --quiet -p trove-cli
fi
if [ ! -x "$venv/bin/python" ]; then
    echo "== making the peer's virtual environment in $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet pandas==3.1.1 vaderSentiment==3.3.2 snowballstemmer==3.0.1
fi
python="$venv/bin/python"

workload="$work/$rows"
if [ ! -s "$workload/feedback.csv" ] || [ "$here/make_workload.py" -nt "$workload/feedback.csv" ]; then
    echo "== building the workload: $rows rows in $workload"
    "$python" "$here/make_workload.py" --rows "$rows" --out "$workload"
fi
run="$work/run-$rows"
rm -rf "$run"
mkdir -p "$run/trove" "$run/peer"
export TROVE_DB="$run/trove/trove.db"

# One stage under GNU time: its output in $run/NAME.out, its figures in $run/NAME.time.
timed() {
    local name="$1"
    shift
    /usr/bin/time -v -o "$run/$name.time" "$@" >"$run/$name.out" 2>"$run/$name.err" || {
        echo "error: $name failed:" >&2
        cat "$run/$name.err" >&2
        exit 1
    }
}

cat /proc/loadavg >"$run/load-before"
echo "== load average before: $(cut -d' ' -f1-3 "$run/load-before")"
cat "$workload/feedback.csv" >/dev/null # both sides start with the file in the page cache

echo "== Trove ($TROVE_BIN)"
timed trove-taxonomy "$TROVE_BIN" taxonomy load "$workload/taxonomy.toml"
timed trove-import "$TROVE_BIN" import "$workload/feedback.csv" --mapping "$here/mapping.toml"
timed trove-analyze "$TROVE_BIN" analyze "${window[@]}"
timed trove-issues "$TROVE_BIN" issues "${window[@]}"
grep -h "imported" "$run/trove-import.out" "$run/trove-import.err" | head -2 || true

echo "== the peer (python $("$python" -c 'import sys; print(sys.version.split()[0])'), pandas, VADER)"
timed peer "$python" "$here/peer.py" "$workload" "$run/peer"
cat /proc/loadavg >"$run/load-after"

"$python" "$here/table.py" "$run"

echo "== agreement of the two taggings (untimed)"
"$TROVE_BIN" export --format csv --out "$run/trove/items.csv" >/dev/null 2>&1
"$python" "$here/agreement.py" "$workload" "$run/trove/items.csv"
