#!/usr/bin/env bash
# Latency of the staff eligibility check (issue 4) with the file-backed registers on SQLite:
# one caseworker session, wrk with few connections for latency (p50/p99), then more for
# throughput. Writes loadtest/reports/eligibility-<date>.md. Loopback only, bounded runs.
#
#   loadtest/eligibility.sh [SECONDS]     (default 10; needs wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
cargo build --release -p civicpay --bin civicpay >&2
bin="$CARGO_TARGET_DIR/release/civicpay"
work=$(mktemp -d)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export DATABASE_URL="sqlite://$work/e.db?mode=rwc"
# Council and caseworker first: the server reads its council directory at start.
"$bin" tenant apply tenants/kobenhavn >/dev/null
printf 'a long enough load password\n' | "$bin" user create --tenant kobenhavn --role caseworker --email load@kobenhavn.example >/dev/null
CIVICPAY_BIND="127.0.0.1:$port" CIVICPAY_TENANTS_DIR="$PWD/tenants" CIVICPAY_SEED_DEMO=false RUST_LOG=warn \
  "$bin" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
cookie=$(curl -s -c - -H 'Content-Type: application/json' "http://127.0.0.1:$port/t/kobenhavn/graphql" \
  -d '{"query":"mutation { login(email: \"load@kobenhavn.example\", password: \"a long enough load password\") { email } }"}' \
  | awk '$6 == "civicpay_session" {print "civicpay_session=" $7}')
[ -n "$cookie" ] || { echo "login failed" >&2; exit 1; }
export CIVICPAY_COOKIE="$cookie"
url="http://127.0.0.1:$port/t/kobenhavn/graphql"
check=$(curl -s -H "Cookie: $cookie" -H 'Content-Type: application/json' "$url" \
  -d '{"query":"{ checkEligibility(sku: \"P-RES-K1\", nationalId: \"120485-1006\", plate: \"AB12345\", purpose: \"load test\") { decision } }"}')
row() {
  local out
  out=$(wrk -t"$1" -c"$2" -d"${seconds}s" --latency -s loadtest/eligibility.lua "$url")
  echo "| $2 | $(awk '/Requests\/sec/ {print $2}' <<<"$out") | $(awk '$1=="50%" {print $2}' <<<"$out") | $(awk '$1=="99%" {print $2}' <<<"$out") | $(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' <<<"$out")|"
}
report="loadtest/reports/eligibility-$(date -u +%Y-%m-%d).md"
{
  echo "# Eligibility check load test $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Release build, SQLite, file-backed registers (kobenhavn), resident permit P-RES-K1, 8 rules; every check writes a person-look-up log row. $(nproc) cores shared with wrk; ${seconds}s per row."
  echo
  echo "Sample answer: \`$(head -c 300 <<<"$check")\`"
  echo
  echo "| connections | checks/s | p50 | p99 | errors |"
  echo "|---|---|---|---|---|"
  row 1 1
  row 2 8
  row 2 32
} | tee "$report"
