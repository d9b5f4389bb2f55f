#!/usr/bin/env bash
# The databases' own floor under Trove's import: how long SQLite and PostgreSQL themselves take
# to store the rows an import of the 1M real texts stores (items, per-tag details, facts), with
# no parsing, masking, tagging or scoring and no values bound from Rust. Whatever Trove does,
# its import cannot be faster than this on the same machine and layout.
#
#   scripts/bench-floor.sh [ROUNDS] [POSTGRES_URL]
#
# SQLite (needs the `sqlite3` shell): Trove imports the real texts once into a source file;
# then, each round, a fresh file with Trove's schema (made by `trove taxonomy load`, so the
# themes' numbers match) takes the rows with `INSERT ... SELECT` from the source, table by
# table, in transactions of 5,000 items as the import writes them, under the settings of
# Trove's connection and bulk load (the journal synced at checkpoints only, every 20,000 pages;
# foreign keys checked per batch, so off here; the time index built at the end). Once with the
# themes' index, once without. The copies read the source's rows too: the script times that
# reading alone first.
# PostgreSQL (with POSTGRES_URL, a database it may empty, owned by the role `trove`; needs
# `psql` and the `postgres` user for server-side files): Trove's `bench import` fills it, the
# three tables are copied out, and each round one binary `COPY` per table fills clones with
# the same keys (the bulk load's deferred indexes and the key-check triggers left out).
# Environment: TROVE_BIN (default target/release/trove), WORK (the workload of
# scripts/bench-e2e, built there first if missing), OUT (default /tmp/trove-bench-floor).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-2}"; pg="${2:-}"
bin="${TROVE_BIN:-target/release/trove}"; bin="$(realpath "$bin")"
out="${OUT:-/tmp/trove-bench-floor}"
workload="${WORK:-/tmp/trove-bench-e2e}/1000000"
[ -s "$workload/feedback.csv" ] || {
    echo "error: $workload/feedback.csv is missing: run scripts/bench-e2e/run.sh once first" >&2
    exit 1
}
command -v sqlite3 >/dev/null || { echo "error: the sqlite3 shell is missing (Debian: apt-get install sqlite3)" >&2; exit 1; }
rm -rf "$out"; mkdir -p "$out"; chmod 755 "$out"
timed() { /usr/bin/time -f "wall %e s, user %U s, sys %S s" "$@"; }
import=(--taxonomy "$workload/taxonomy.toml" --file "$workload/feedback.csv" --mapping scripts/bench-e2e/mapping.toml)

echo "== Trove's own import into SQLite (the source of the rows)"
"$bin" bench import "${import[@]}" --on "$out/source.db" 2>&1 | grep -E "imported|  (store|feedback rows|tags|facts) "

# The statements that copy `table`'s rows of items `key` 1..1,000,000 in transactions of 5,000.
batched() {
    local table="$1" key="$2" low
    for low in $(seq 1 5000 1000000); do
        echo "BEGIN; INSERT INTO $table SELECT * FROM src.$table WHERE $key BETWEEN $low AND $((low + 4999)); COMMIT;"
    done
}
echo "== SQLite $(sqlite3 --version | cut -d' ' -f1) taking the same rows (Trove bundles its own SQLite)"
# What reading the source's rows costs within the copies below (every column decoded once).
read_all="SELECT sum(length(text) + length(source) + length(external_id) + received_at) FROM feedback;
    SELECT sum(feedback_id + theme + length(origin) + length(phrase) + start_offset) FROM feedback_tags;
    SELECT sum(id + received_at + length(channel) + length(customer_id) + length(themes)) FROM feedback_facts;"
echo "reading the source's rows alone: $(timed sqlite3 "$out/source.db" "$read_all" 2>&1 >/dev/null | tail -1)"
for round in $(seq 1 "$rounds"); do
    for theme_index in with without; do
        db="$out/floor.db"; rm -f "$db"*
        "$bin" --db "$db" taxonomy load "$workload/taxonomy.toml" >/dev/null
        # Trove's connection settings (the shell's own default syncs the journal at every
        # commit) and its bulk load's.
        settings="PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;
                  PRAGMA foreign_keys = OFF; PRAGMA wal_autocheckpoint = 20000;
                  ATTACH '$out/source.db' AS src;"
        drop="DROP INDEX feedback_received;"
        [ "$theme_index" = without ] && drop="$drop DROP INDEX feedback_tags_theme_items;"
        sqlite3 "$db" "$settings $drop INSERT INTO import_runs SELECT * FROM src.import_runs;" >/dev/null
        line="round $round, the themes' index $theme_index:"
        for table in feedback:id feedback_tags:feedback_id feedback_facts:id; do
            { echo "$settings"; batched "${table%%:*}" "${table##*:}"; } >"$out/copy.sql"
            line="$line ${table%%:*} $(timed sqlite3 "$db" <"$out/copy.sql" 2>&1 >/dev/null | tail -1);"
        done
        line="$line time index built $(timed sqlite3 "$db" "PRAGMA threads = 2; PRAGMA temp_store = FILE; PRAGMA cache_size = -4096;
            CREATE INDEX feedback_received ON feedback (received_at, id);" 2>&1 | tail -1)"
        echo "$line"
    done
done

[ -n "$pg" ] || exit 0
name="${pg##*/}"
# The server reads and writes the tables' copies itself, as its own user.
files="$out/postgres"; mkdir -p "$files"; chown postgres "$files"
psql_as_postgres() { su postgres -c "psql -X -q -At -d $name $*"; }
echo "== Trove's own import into PostgreSQL"
su postgres -c "dropdb --if-exists $name && createdb -O trove $name"
"$bin" bench import "${import[@]}" --on "$pg" 2>&1 | grep -E "imported|  (store|feedback rows|tags|facts) "
for table in feedback feedback_tags feedback_facts; do
    psql_as_postgres "-c \"COPY $table TO '$files/$table.bin' (FORMAT binary)\""
done
echo "== PostgreSQL $(psql_as_postgres "-c 'SHOW server_version'") taking the same rows, one COPY a table"
cat >"$out/pg.sql" <<EOF
DROP TABLE IF EXISTS floor_feedback, floor_feedback_tags, floor_feedback_facts;
CREATE TABLE floor_feedback (LIKE feedback INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
CREATE TABLE floor_feedback_tags (LIKE feedback_tags INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
CREATE TABLE floor_feedback_facts (LIKE feedback_facts INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
DO \$\$ DECLARE r record; BEGIN
  FOR r IN SELECT indexname FROM pg_indexes WHERE tablename LIKE 'floor_%'
      AND (indexdef LIKE '%(received_at, id)' OR indexdef LIKE '%(theme, feedback_id, origin)') LOOP
    EXECUTE 'DROP INDEX ' || quote_ident(r.indexname);
  END LOOP; END \$\$;
CHECKPOINT;
\timing on
COPY floor_feedback FROM '$files/feedback.bin' (FORMAT binary);
COPY floor_feedback_tags FROM '$files/feedback_tags.bin' (FORMAT binary);
COPY floor_feedback_facts FROM '$files/feedback_facts.bin' (FORMAT binary);
EOF
chmod 644 "$out/pg.sql"
for round in $(seq 1 "$rounds"); do
    echo "round $round: $(psql_as_postgres "-f $out/pg.sql" 2>&1 | grep -E '^Time' | cut -d' ' -f2,3 | tr '\n' ' ')(feedback, tags, facts)"
done
psql_as_postgres "-c 'DROP TABLE floor_feedback, floor_feedback_tags, floor_feedback_facts'"
