#!/usr/bin/env bash
# Validates the API's OpenAPI document, as `trove serve` serves it at /api/openapi.json,
# with openapi-spec-validator (PyPI) in a virtual environment of its own.
#
# Usage: scripts/check-openapi.sh [path to the trove binary] (default: target/debug/trove,
# built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

TROVE="${1:-${CARGO_TARGET_DIR:-target}/debug/trove}"
[ -x "$TROVE" ] || cargo build --locked -p trove-cli
work="$(mktemp -d)"
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

venv="${TROVE_OPENAPI_VENV:-${TMPDIR:-/tmp}/trove-openapi-venv}"
if [ ! -x "$venv/bin/openapi-spec-validator" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "openapi-spec-validator==0.9.0"
fi

"$TROVE" migrate --db "$work/empty.db" >/dev/null
"$TROVE" serve --listen 127.0.0.1:0 --db "$work/empty.db" >"$work/out" 2>"$work/log" &
server=$!
address=""
for _ in $(seq 1 100); do
    address="$(sed -n 's|^Trove serves .* at http://\([^/]*\)/.*|\1|p' "$work/out")"
    [ -n "$address" ] && break
    sleep 0.1
done
[ -n "$address" ] || { echo "trove serve did not start:" >&2; cat "$work/log" >&2; exit 1; }

"$venv/bin/python" - "http://$address/api/openapi.json" "$work/openapi.json" <<'PY'
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=30) as response:
    open(sys.argv[2], "wb").write(response.read())
PY
"$venv/bin/openapi-spec-validator" "$work/openapi.json"
