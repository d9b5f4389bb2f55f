#!/usr/bin/env bash
# Runs Trove's whole test suite on SQLite and PostgreSQL, then the browser tests (web-tests/:
# the real `trove serve` on a fresh demo in Debian's Chromium; screenshots in
# target/web-screenshots/). Without Chromium, Node.js or web-tests/node_modules (`npm ci` in
# web-tests) the browser tests are skipped with a note, or fail when CI=true.
#
# PostgreSQL: uses $TROVE_TEST_POSTGRES when set; otherwise starts the machine's local
# PostgreSQL 15 cluster (as root) and creates the role `trove` and the database `trove_test`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${TROVE_TEST_POSTGRES:-}" ]; then
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        pg_ctlcluster 15 main start 2>/dev/null || true
        for _ in $(seq 1 30); do
            su postgres -c "psql -qtAc 'SELECT 1'" >/dev/null 2>&1 && break
            sleep 1
        done
        su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname = 'trove'\"" | grep -q 1 \
            || su postgres -c "psql -qc \"CREATE ROLE trove LOGIN PASSWORD 'trove'\""
        su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname = 'trove_test'\"" | grep -q 1 \
            || su postgres -c "createdb -O trove trove_test"
        export TROVE_TEST_POSTGRES="postgres://trove:trove@localhost/trove_test"
    else
        echo "note: no PostgreSQL configured (set TROVE_TEST_POSTGRES); PostgreSQL tests will be skipped" >&2
    fi
fi

cargo test --workspace "$@"

# The browser tests drive the binary the Rust tests just built.
printf '\n== browser tests (%d s into this script: PostgreSQL, the Rust tests and their build)\n' "$SECONDS"
chromium="${CHROMIUM:-/usr/bin/chromium}"
web_skip() {
    if [ "${CI:-}" = true ]; then
        echo "error: browser tests cannot run: $1" >&2
        exit 1
    fi
    echo "note: browser tests skipped: $1" >&2
}
if [ ! -x "$chromium" ]; then
    web_skip "no Chromium at $chromium (apt-get install chromium)"
elif ! command -v node >/dev/null 2>&1; then
    web_skip "no Node.js (apt-get install nodejs npm)"
elif [ ! -d web-tests/node_modules ] && ! (cd web-tests && npm ci --no-audit --no-fund); then
    web_skip "npm ci failed in web-tests"
else
    export TROVE_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/trove" CHROMIUM="$chromium"
    (cd web-tests && node --test ./*.test.mjs)
fi
