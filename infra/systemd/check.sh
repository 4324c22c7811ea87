#!/usr/bin/env bash
# Exercises the systemd deployment path without systemd:
#
#   1. reads the env file the way systemd's EnvironmentFile= does (KEY=VALUE lines, # and ;
#      comments, optional quotes, no shell expansion) and fails on lines systemd would
#      ignore or that this reader does not model;
#   2. runs the unit's ExecStartPre= (`civicpay migrate`) and ExecStart= (`civicpay serve`)
#      with only that environment (env -i), from a temporary working directory, against a
#      temporary SQLite database on a free loopback port, with the demo councils of tenants/;
#   3. waits (about 30 s at most) for GET /healthz and GET /readyz to answer 200, and checks
#      /metrics;
#   4. runs `systemd-analyze verify` on the unit when that command exists.
#
# Usage: infra/systemd/check.sh [BINARY] [ENV_FILE]
#   BINARY    default: ${CARGO_TARGET_DIR:-target}/debug/civicpay (relative to the repository)
#   ENV_FILE  default: infra/systemd/civicpay.env.example
# Set CIVICPAY_CHECK_REDIS_URL=redis://… to keep sessions in (and check readiness of) that
# Redis; otherwise REDIS_URL from the env file is dropped and sessions stay in memory.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

absolute() {
  case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s\n' "$PWD/$1" ;;
  esac
}

if [[ $# -ge 1 ]]; then
  bin="$(absolute "$1")"
else
  target="${CARGO_TARGET_DIR:-target}"
  case "$target" in /*) ;; *) target="$repo/$target" ;; esac
  bin="$target/debug/civicpay"
fi
env_file="$(absolute "${2:-$repo/infra/systemd/civicpay.env.example}")"
unit="$here/civicpay.service"
tenants="$repo/tenants"

fail() { echo "check: FAIL: $*" >&2; exit 1; }
[[ -x "$bin" ]] || fail "no executable civicpay at $bin (cargo build -p civicpay, or pass its path)"
[[ -r "$env_file" ]] || fail "cannot read env file $env_file"
[[ -d "$tenants" ]] || fail "no tenants/ folder at $tenants"
command -v curl >/dev/null || fail "curl is required"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/civicpay-check.XXXXXX")"
server_pid=""
cleanup() {
  local status=$?
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 40); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.25
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. the env file, as systemd reads it -----------------------------------------------------
# systemd: leading whitespace skipped; `#` or `;` starts a comment line; KEY=VALUE with
# whitespace around key and value trimmed; a value wholly in "…" or '…' loses its quotes.
# Nothing is expanded. Not modelled here (and rejected, so the template stays simple):
# backslashes, line continuations, quotes inside a value.
declare -a file_env=()
lineno=0
while IFS= read -r line || [[ -n "$line" ]]; do
  lineno=$((lineno + 1))
  line="${line%$'\r'}"
  line="${line#"${line%%[![:space:]]*}"}"
  [[ -z "$line" || "$line" == \#* || "$line" == \;* ]] && continue
  where="$env_file:$lineno"
  [[ "$line" == *=* ]] || fail "$where: not KEY=VALUE (systemd ignores it): $line"
  key="${line%%=*}"
  value="${line#*=}"
  key="${key%"${key##*[![:space:]]}"}"
  [[ "$key" == export\ * ]] && fail "$where: 'export' is shell syntax; systemd ignores this line"
  [[ "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || fail "$where: invalid variable name '$key'"
  value="${value#"${value%%[![:space:]]*}"}"
  value="${value%"${value##*[![:space:]]}"}"
  if [[ ${#value} -ge 2 && ( ("$value" == \"*\") || ("$value" == \'*\') ) ]]; then
    value="${value:1:${#value}-2}"
  fi
  [[ "$value" == *\\* ]] && fail "$where: backslash in value: not modelled by check.sh, avoid it"
  [[ "$value" == *\"* || "$value" == *\'* ]] && fail "$where: quote inside value: avoid it"
  if [[ "$value" == *'$'* ]]; then
    echo "check: note: $where: systemd does not expand \$ in EnvironmentFile values; passed literally"
  fi
  file_env+=("$key=$value")
done <"$env_file"
echo "check: $env_file: ${#file_env[@]} variable(s): $(printf '%s ' "${file_env[@]%%=*}")"

# --- 2. overrides for a self-contained run ------------------------------------------------------
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}
port="$(free_port)" || fail "no free loopback port found"

declare -a run_env=()
for kv in "${file_env[@]}"; do
  case "${kv%%=*}" in
    # Replaced below, or dropped: the check must not reach production services.
    DATABASE_URL | CIVICPAY_BIND | CIVICPAY_SEED_DEMO | CIVICPAY_TENANTS_DIR | REDIS_URL | SENTRY_DSN) ;;
    *) run_env+=("$kv") ;;
  esac
done
run_env+=(
  "DATABASE_URL=sqlite://$tmp/civicpay.db?mode=rwc"
  "CIVICPAY_BIND=127.0.0.1:$port"
  "CIVICPAY_SEED_DEMO=true"
  "CIVICPAY_TENANTS_DIR=$tenants"
)
if [[ -n "${CIVICPAY_CHECK_REDIS_URL:-}" ]]; then
  run_env+=("REDIS_URL=$CIVICPAY_CHECK_REDIS_URL")
  echo "check: sessions in Redis at $CIVICPAY_CHECK_REDIS_URL"
else
  echo "check: REDIS_URL dropped (set CIVICPAY_CHECK_REDIS_URL to include Redis); sessions in memory"
fi

workdir="$tmp/srv"
mkdir -p "$workdir"
# What systemd itself provides to a User= service, and nothing from this shell.
base_env=(
  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  "HOME=$workdir"
  "USER=$(id -un)"
  "LOGNAME=$(id -un)"
  "LANG=C.UTF-8"
)
run() { (cd "$workdir" && exec env -i "${base_env[@]}" "${run_env[@]}" "$bin" "$@"); }

echo "check: ExecStartPre: civicpay migrate"
run migrate || fail "civicpay migrate exited $?"

echo "check: ExecStart: civicpay serve on 127.0.0.1:$port"
log="$tmp/serve.log"
(cd "$workdir" && exec env -i "${base_env[@]}" "${run_env[@]}" "$bin" serve) >"$log" 2>&1 &
server_pid=$!

# --- 3. health and readiness ----------------------------------------------------------------------
base="http://127.0.0.1:$port"
status_of() {
  curl -s -o "$tmp/body" -w '%{http_code}' --max-time 2 "$base$1" 2>/dev/null || true
}
deadline=$((SECONDS + 30))
wait_for() {
  local path="$1" code=""
  while ((SECONDS < deadline)); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "--- server log ---" >&2
      cat "$log" >&2
      fail "civicpay serve exited before $path answered 200"
    fi
    code="$(status_of "$path")"
    if [[ "$code" == 200 ]]; then
      echo "check: GET $path → 200 $(head -c 300 "$tmp/body" | tr '\n' ' ')"
      return 0
    fi
    sleep 0.5
  done
  echo "--- server log ---" >&2
  cat "$log" >&2
  fail "GET $path did not answer 200 within 30 s (last status: ${code:-none}; body: $(head -c 300 "$tmp/body" 2>/dev/null))"
}
wait_for /healthz
wait_for /readyz
code="$(status_of /metrics)"
[[ "$code" == 200 ]] || fail "GET /metrics answered ${code:-nothing}, expected 200"
grep -q '^civicpay_' "$tmp/body" || fail "GET /metrics: no civicpay_* series"
echo "check: GET /metrics → 200 ($(grep -c '^civicpay_' "$tmp/body") civicpay_* sample line(s))"

# --- 4. the unit file ---------------------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
  # verify insists that ExecStart= binaries exist: point a copy at the binary under test.
  mkdir -p "$tmp/unit"
  sed "s#/usr/local/bin/civicpay#$bin#g" "$unit" >"$tmp/unit/civicpay.service"
  # It exits 0 on unknown or malformed directives (it only warns "…, ignoring."): a unit
  # that silently loses a hardening line must fail the check too.
  if out="$(systemd-analyze verify --man=no "$tmp/unit/civicpay.service" 2>&1)" \
    && ! grep -qiE 'ignoring|unknown|failed|invalid' <<<"$out"; then
    [[ -z "$out" ]] || echo "$out"
    echo "check: systemd-analyze verify: civicpay.service OK"
  else
    echo "$out" >&2
    fail "systemd-analyze verify rejected civicpay.service (or warned about it)"
  fi
else
  echo "check: systemd-analyze not installed: unit verification skipped"
fi

echo "check: PASS (env file, migrate, serve, /healthz, /readyz, /metrics)"
