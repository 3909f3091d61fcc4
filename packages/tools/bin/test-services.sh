#!/usr/bin/env bash
# Makes PostgreSQL, Redis and RabbitMQ available for the tests, in this order of preference:
# use what is already listening; else start what is installed; else (as root, with apt) install
# the Debian package and start it; else stop with one line naming what is missing and how to get it.
# Addresses come from TEST_DATABASE_URL / TEST_REDIS_URL / TEST_AMQP_URL (defaults: the standard
# local ports). Only services on this machine are started or installed.
set -uo pipefail

PG_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379}"
AMQP_URL="${TEST_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}"

hostport() { # url -> "host port"
  local rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"; rest="${rest%%\?*}"
  local host="${rest%%:*}" port="${rest##*:}"
  [ "$host" = "$rest" ] && port="$2"
  echo "$host $port"
}
listening() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_for() { # host port seconds
  local i
  for ((i = 0; i < $3 * 4; i++)); do listening "$1" "$2" && return 0; sleep 0.25; done
  return 1
}
is_local() { case "$1" in 127.*|localhost|::1) return 0 ;; *) return 1 ;; esac; }

apt_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  echo "test-services: installing $* from Debian packages" >&2
  if [ -z "${_hy_apt_updated:-}" ]; then apt-get update -qq >&2 || return 1; _hy_apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

start_postgres() {
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then apt_install postgresql || return 1; fi
  local v; v="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)"
  [ -n "$v" ] || return 1
  # Trust auth on loopback, as the tests expect (they connect without a password). Debian's new
  # clusters ask loopback TCP clients for a password, so the rules go first in pg_hba.conf; this
  # runs only for a local cluster this script starts, on a machine that runs the tests.
  local hba="/etc/postgresql/$v/main/pg_hba.conf"
  if [ -w "$hba" ] && ! grep -q '^host all all 127.0.0.1/32 trust$' "$hba"; then
    { printf 'host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n'; cat "$hba"; } > "$hba.hy-new" \
      && cat "$hba.hy-new" > "$hba"
    rm -f "$hba.hy-new"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$v" main start >&2 || true
  # Database "test", as the tests expect.
  if wait_for 127.0.0.1 5432 20; then
    su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='test'\"" 2>/dev/null | grep -q 1 \
      || su postgres -c "createdb test" >&2 2>/dev/null || true
  fi
}
start_redis() {
  if ! command -v redis-server >/dev/null 2>&1; then apt_install redis-server || return 1; fi
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log >&2
}
start_rabbitmq() {
  if ! command -v rabbitmq-server >/dev/null 2>&1; then apt_install rabbitmq-server || return 1; fi
  rabbitmq-server -detached >&2 2>/dev/null
}

missing=()
ensure() { # name url default-port starter install-hint
  local name="$1" hp host port
  hp="$(hostport "$2" "$3")"; host="${hp% *}"; port="${hp#* }"
  if listening "$host" "$port"; then echo "test-services: $name is up at $host:$port" >&2; return 0; fi
  if ! is_local "$host"; then missing+=("$name at $host:$port is not reachable (set its URL or start it)"); return 0; fi
  echo "test-services: $name is not listening on $host:$port, starting it" >&2
  "$4" || true
  if wait_for "$host" "$port" 60; then echo "test-services: $name is up at $host:$port" >&2; return 0; fi
  missing+=("$name is not running on $host:$port and could not be started: $5")
}

ensure PostgreSQL "$PG_URL" 5432 start_postgres "apt-get install postgresql (or set TEST_DATABASE_URL)"
ensure Redis "$REDIS_URL" 6379 start_redis "apt-get install redis-server (or set TEST_REDIS_URL)"
ensure RabbitMQ "$AMQP_URL" 5672 start_rabbitmq "apt-get install rabbitmq-server (or set TEST_AMQP_URL)"

if [ "${#missing[@]}" -gt 0 ]; then
  for m in "${missing[@]}"; do echo "test-services: $m" >&2; done
  exit 1
fi

# The AWS construct tests run `nginx -t` on the proxy's rendered configuration and
# `cloud-init schema --config-file` on every rendered user-data document, and the data-service tests
# run the PostgreSQL init script with `psql` (a PostgreSQL in a container brings no client): all come
# from Debian packages. Use what is installed; else install as root with apt; else name what is missing.
ensure_tools() {
  local need=() pkg bin
  for pair in nginx:nginx cloud-init:cloud-init openssl:openssl psql:postgresql-client; do
    bin="${pair%%:*}"; pkg="${pair#*:}"
    command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || need+=("$pkg")
  done
  [ "${#need[@]}" -eq 0 ] && { echo "test-services: nginx, cloud-init, openssl and psql are installed" >&2; return 0; }
  if apt_install "${need[@]}"; then
    # Only the binaries are needed: keep the packaged nginx from serving on port 80.
    if command -v systemctl >/dev/null 2>&1; then systemctl disable --now nginx >/dev/null 2>&1 || true; fi
    echo "test-services: installed ${need[*]}" >&2
    return 0
  fi
  echo "test-services: missing Debian packages for the AWS construct tests: ${need[*]} (run: sudo apt-get install ${need[*]})" >&2
  return 1
}
ensure_tools || exit 1
