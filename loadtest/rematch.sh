#!/usr/bin/env bash
# The registry re-match (S0-8) over N active permits with the file-backed registers: generates
# N synthetic Copenhagen residents (about 2 % then move out of the zones, about 3 % change their
# name), inserts N active P-RES-K1 permits into a fresh database, then times a dry run and the
# real run and checks every count, finding, deactivation (with its PDF letter) and name update
# against what was generated. Prints insert time, run time and rate, CPU time, RSS and peak RSS
# per phase, and probes of where a permit's time goes. The benchmark itself is
# apps/civicpay/examples/rematch_bench.rs; see loadtest/README.md.
#
#   loadtest/rematch.sh [N] [sqlite|postgres]     (defaults 1000, sqlite)
#
# Environment: INSERT_CONCURRENCY (default 4), DRY_RUN_FIRST (1, the default, or 0),
# PROBE (calls per probe, default 5000; 0 skips), EXTRA_INDEXES=1 to add the indexes on permits
# the re-match's queries lack (an experiment; not in the migrations), PERF=1 to profile the real run with
# `perf record` (user-space CPU samples, flat; needs perf). PostgreSQL is looked for at
# CIVICPAYTEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres, trust auth); the
# script creates its own database and drops it at the end. Local only; the run stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000}"
backend="${2:-sqlite}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
pg_admin="${CIVICPAYTEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
case "$backend" in
  sqlite | postgres) ;;
  *) echo "usage: $0 [N] [sqlite|postgres]" >&2; exit 2 ;;
esac

cargo build --release -p civicpay --example rematch_bench >&2
bench="$CARGO_TARGET_DIR/release/examples/rematch_bench"

work=$(mktemp -d)
db="civicpay_load_rematch_$$"
cleanup() {
  if [ "$backend" = postgres ]; then
    psql "$pg_admin" -qc "drop database if exists $db" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
if [ "$backend" = postgres ]; then
  psql "$pg_admin" -qc "drop database if exists $db" -c "create database $db" >/dev/null
  url="${pg_admin%/*}/$db"
else
  url="sqlite://$work/rematch.db?mode=rwc"
fi

args=(--n "$n" --database-url "$url" --tenants tenants --work "$work"
  --insert-concurrency "${INSERT_CONCURRENCY:-4}" --probe "${PROBE:-5000}")
[ "${DRY_RUN_FIRST:-1}" = 1 ] && args+=(--dry-run-first)
[ "${EXTRA_INDEXES:-0}" = 1 ] && args+=(--with-extra-indexes)

echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "rematch benchmark: N=$n on $backend, release build"
status=0
if [ "${PERF:-0}" = 1 ]; then
  command -v perf >/dev/null || { echo "perf is missing (Debian: linux-perf)" >&2; exit 1; }
  mkfifo "$work/perf.ctl" "$work/perf.ack"
  # Sampling starts disabled (-D -1); the benchmark enables it for the real run only.
  REMATCH_PERF_CTL="$work/perf.ctl" REMATCH_PERF_ACK="$work/perf.ack" \
    perf record -q -F 499 -e cpu-clock:u -D -1 --control "fifo:$work/perf.ctl,$work/perf.ack" \
    -o "$work/perf.data" -- /usr/bin/time -v "$bench" "${args[@]}" 2>"$work/time.txt" || status=$?
else
  /usr/bin/time -v "$bench" "${args[@]}" 2>"$work/time.txt" || status=$?
fi
grep -v -E '^\s' "$work/time.txt" | grep -v '^Command' >&2 || true
echo "whole process (GNU time): max RSS $(awk -F': ' '/Maximum resident/ {printf "%.1f MiB", $2/1024}' "$work/time.txt"), wall $(awk -F': ' '/Elapsed/ {print $2}' "$work/time.txt"), user $(awk -F': ' '/User time/ {print $2}' "$work/time.txt") s, system $(awk -F': ' '/System time/ {print $2}' "$work/time.txt") s"

if [ "$backend" = postgres ]; then
  q() { psql "$url" -Atc "$1"; }
  echo "database: $(q "select pg_size_pretty(pg_database_size(current_database()))")"
else
  q() { sqlite3 "$work/rematch.db" "$1"; }
  echo "database: $(du -sh "$work"/rematch.db* | awk '{print $1 " " $2}' | sed "s|$work/||" | paste -sd' ' -)"
fi
if command -v sqlite3 >/dev/null || [ "$backend" = postgres ]; then
  echo "rows: permits $(q "select count(*) from permits"), person_lookups $(q "select count(*) from person_lookups"), rematch_findings $(q "select count(*) from rematch_findings"), letters $(q "select count(*) from letters") (PDFs $(q "select coalesce(sum(length(pdf)), 0) / 1024 from letters") KiB), audit rows $(q "select count(*) from audit_log" 2>/dev/null || echo '?')"
fi
if [ "${PERF:-0}" = 1 ] && [ -s "$work/perf.data" ]; then
  echo "perf (real run only, user-space CPU samples, top symbols by self time):"
  perf report -q -i "$work/perf.data" --no-children --sort dso,symbol --percent-limit 0.7 2>/dev/null | head -40
fi
exit "$status"
