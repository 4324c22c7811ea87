#!/usr/bin/env bash
# Load test "checkout with the sandbox gateway" against a server on PostgreSQL, with a pgbench
# TPC-B baseline on the same database server in the same run, so the ratio is comparable
# across machines. Writes loadtest/reports/checkout-<date>.md and prints it.
#
#   loadtest/checkout.sh [SECONDS] [USERS]     (defaults 30 s, 16 users)
#
# Needs PostgreSQL on 127.0.0.1:5432 (trust auth; CIVICPAYTEST_PG_URL to change) and pgbench.
# Targets only loopback; the run is bounded by SECONDS and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
users="${2:-16}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
pg_admin="${CIVICPAYTEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
command -v pgbench >/dev/null || { echo "pgbench is missing (Debian: postgresql-contrib or postgresql-client)" >&2; exit 1; }

cargo build --release -p civicpay --bin civicpay >&2
(cd loadtest/checkout && cargo build --release >&2)
bin="$CARGO_TARGET_DIR/release/civicpay"
goose="$CARGO_TARGET_DIR/release/civicpay-loadtest-checkout"

db="civicpay_load_checkout_$$"
bench="civicpay_load_pgbench_$$"
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  psql "$pg_admin" -qc "drop database if exists $db" -c "drop database if exists $bench" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
psql "$pg_admin" -qc "drop database if exists $db" -c "create database $db" -c "drop database if exists $bench" -c "create database $bench" >/dev/null
url="${pg_admin%/*}/$db"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

DATABASE_URL="$url" CIVICPAY_BIND="127.0.0.1:$port" CIVICPAY_TENANTS_DIR="$PWD/tenants" RUST_LOG=warn \
  "$bin" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
key=$(DATABASE_URL="$url" "$bin" api-key create --tenant odense --scope payments --name loadtest 2>/dev/null)

echo "pgbench baseline (TPC-B, scale 10, 8 clients, ${seconds}s)..." >&2
pgbench -i -q -s 10 "${pg_admin%/*}/$bench" >/dev/null 2>&1
tps=$(pgbench -c 8 -j 2 -T "$seconds" "${pg_admin%/*}/$bench" 2>/dev/null | awk '/^tps/ {print $3; exit}')

# A council system that accepts every webhook, for the commit-to-dispatch lag.
sink_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 - "$sink_port" >/dev/null 2>&1 <<'PY' &
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
class Sink(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200); self.end_headers()
    def log_message(self, *args):
        pass
HTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
PY
sink_pid=$!
trap 'kill $sink_pid 2>/dev/null || true; cleanup' EXIT

echo "goose: $users users for ${seconds}s..." >&2
LOADTEST_CALLBACK_URL="http://127.0.0.1:$sink_port/civicpay" LOADTEST_API_KEY="$key" LOADTEST_TENANT=odense "$goose" -H "http://127.0.0.1:$port" \
  -u "$users" -r "$users" -t "${seconds}s" --no-reset-metrics >"$work/goose.txt" 2>"$work/goose.err" || true
summary=$(grep CHECKOUT_SUMMARY "$work/goose.txt" || echo "CHECKOUT_SUMMARY completed=0 failed=0 duration_s=$seconds")
completed=$(sed -E 's/.*completed=([0-9]+).*/\1/' <<<"$summary")
failed=$(sed -E 's/.*failed=([0-9]+).*/\1/' <<<"$summary")
duration=$(sed -E 's/.*duration_s=([0-9]+).*/\1/' <<<"$summary")
rate=$(python3 -c "print(f'{$completed/max($duration,1):.1f}')")
ratio=$(python3 -c "import sys; c, d, t = float(sys.argv[1]), max(float(sys.argv[2]), 1.0), float(sys.argv[3] or 0); print(f'{c / d / t:.4f}' if t > 0 else 'n/a')" "$completed" "$duration" "${tps:-0}")

sleep 3  # let the last webhooks go out
lag=$(psql "$url" -Atc "select coalesce(round(percentile_cont(0.5) within group (order by extract(epoch from d.created_at - o.created_at)) * 1000), 0) || ' ms / ' || coalesce(round(percentile_cont(0.99) within group (order by extract(epoch from d.created_at - o.created_at)) * 1000), 0) || ' ms over ' || count(*) || ' webhooks' from webhook_deliveries d join outbox o on o.id = d.outbox_id where d.attempt = 1")
undelivered=$(psql "$url" -Atc "select count(*) from outbox where status <> 'done'")

report="loadtest/reports/checkout-$(date -u +%Y-%m-%d).md"
mkdir -p loadtest/reports
{
  echo "# Checkout load test $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(nproc) cores; server, PostgreSQL, goose and pgbench share it. ${users} goose users, ${seconds}s."
  echo
  echo "- completed checkouts: **$completed** in ${duration}s = **$rate checkouts/s**; failed: $failed"
  echo "- pgbench TPC-B baseline on the same server: **${tps:-?} tps**; checkouts per TPC-B transaction: $ratio"
  echo "- commit-to-delivered lag of the signed callbacks (p50 / p99, first attempts): $lag; not delivered at the end: $undelivered"
  echo
  echo "Per step (goose; times in ms):"
  echo
  echo '```'
  sed -n '/PER REQUEST METRICS/,/CHECKOUT_SUMMARY/p' "$work/goose.txt" | grep -v CHECKOUT_SUMMARY | head -80
  echo '```'
} | tee "$report"
echo "report written to $report" >&2
