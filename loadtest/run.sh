#!/usr/bin/env bash
# Load test of the catalogue query, with a trivial actix handler (/healthz) measured in the same
# run as the baseline, on SQLite and on PostgreSQL. Also measures cold start to the first 200
# from /healthz and idle RSS. Writes loadtest/reports/<date>.md and prints it.
#
#   loadtest/run.sh [DURATION_SECONDS]      (default 15; needs wrk: apt-get install -y wrk)
#
# Only loopback is targeted; every run is bounded by DURATION and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-15}"
threads=2
connections=32
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
pg_admin="${CIVICPAYTEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

cargo build --release -p civicpay --bin civicpay >&2
bin="$CARGO_TARGET_DIR/release/civicpay"
work=$(mktemp -d)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_server DATABASE_URL → sets server_pid, port, cold_ms
start_server() {
  port=$(free_port)
  local start end
  start=$(date +%s%N)
  DATABASE_URL="$1" CIVICPAY_BIND="127.0.0.1:$port" CIVICPAY_TENANTS_DIR="$PWD/tenants" \
    RUST_LOG=warn "$bin" serve >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 600); do
    if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
    sleep 0.02
  done
  end=$(date +%s%N)
  cold_ms=$(( (end - start) / 1000000 ))
}

stop_server() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""; }

# wrk_line NAME URL [SCRIPT] → "| NAME | req/s | p50 | p99 | errors |"
wrk_line() {
  local name=$1 url=$2 script=${3:-}
  local out
  if [ -n "$script" ]; then
    out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$script" "$url")
  else
    out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$url")
  fi
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' <<<"$out")
  echo "| $name | $rps | $p50 | $p99 | ${errors:-none} |"
}

report="loadtest/reports/$(date -u +%Y-%m-%d).md"
mkdir -p loadtest/reports
{
  echo "# Load test $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; wrk $threads threads, $connections connections, ${duration}s per row; server and wrk share the machine."
  echo
  for db in sqlite postgres; do
    if [ "$db" = sqlite ]; then
      url="sqlite://$work/load.db?mode=rwc"
    else
      name="civicpay_load_$$"
      psql "$pg_admin" -qc "drop database if exists $name" -c "create database $name" >/dev/null
      url="${pg_admin%/*}/$name"
    fi
    start_server "$url"
    first_start_ms=$cold_ms
    stop_server
    start_server "$url"   # second start: migrated and seeded already
    sleep 2
    rss=$(ps -o rss= -p "$server_pid" | tr -d ' ')
    echo "## $db"
    echo
    echo "- cold start to first 200 from /healthz: first start (create, migrate, load 4 councils, hash demo passwords) ${first_start_ms} ms; next start ${cold_ms} ms"
    echo "- idle RSS after start: $((rss / 1024)) MiB"
    echo
    echo "| request | req/s | p50 | p99 | errors |"
    echo "|---|---|---|---|---|"
    wrk_line "GET /healthz (trivial actix handler)" "http://127.0.0.1:$port/healthz"
    wrk_line "products of kobenhavn (21 products)" "http://127.0.0.1:$port/t/kobenhavn/graphql" loadtest/catalogue.lua
    rss=$(ps -o rss= -p "$server_pid" | tr -d ' ')
    echo
    echo "- RSS after load: $((rss / 1024)) MiB"
    echo
    stop_server
    if [ "$db" = postgres ]; then psql "$pg_admin" -qc "drop database if exists $name" >/dev/null; fi
  done
} | tee "$report"
echo "report written to $report" >&2
