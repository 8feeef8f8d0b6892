# Sourced by scripts/*: makes sure a PostgreSQL server is reachable and exports DATABASE_URL.
#   1. DATABASE_URL set: used as is.
#   2. A server on 127.0.0.1:${PGPORT:-5432}: postgres://${PGUSER:-postgres}@127.0.0.1:PORT/postgres.
#   3. Otherwise a throwaway cluster from the system's PostgreSQL binaries (installed from
#      Debian's packages when missing) on port ${TELEMETRY_PG_PORT:-55432}, stopped on exit.

pg_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pg_url_with_db URL NAME: URL with its database replaced by NAME.
pg_url_with_db() {
  python3 - "$1" "$2" <<'PY'
import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))
PY
}

pg_find_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

pg_install() {
  echo "postgres: installing PostgreSQL from Debian packages" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >&2
}

pg_start_throwaway() {
  local bin port dir as=()
  bin=$(pg_find_bin) || { pg_install && bin=$(pg_find_bin); } || {
    echo "postgres: no PostgreSQL binaries and could not install them" >&2; return 1; }
  port=${TELEMETRY_PG_PORT:-55432}
  dir=$(mktemp -d /tmp/telemetry-pg.XXXXXX)
  # initdb refuses to run as root: run the cluster as the postgres user.
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$dir"; as=(runuser -u postgres --)
  fi
  "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=on" start >/dev/null
  TELEMETRY_PG_STOP=("${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast stop)
  TELEMETRY_PG_DIR=$dir
  trap 'pg_stop_throwaway' EXIT
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  echo "postgres: started a throwaway cluster in $dir on port $port" >&2
}

pg_stop_throwaway() {
  [ -n "${TELEMETRY_PG_STOP:-}" ] && "${TELEMETRY_PG_STOP[@]}" >/dev/null 2>&1
  [ -n "${TELEMETRY_PG_DIR:-}" ] && rm -rf "$TELEMETRY_PG_DIR"
  return 0
}

ensure_postgres() {
  if [ -n "${DATABASE_URL:-}" ]; then
    echo "postgres: using DATABASE_URL" >&2
  elif pg_port_open "${PGPORT:-5432}"; then
    export DATABASE_URL="postgres://${PGUSER:-postgres}@127.0.0.1:${PGPORT:-5432}/postgres?sslmode=disable"
    echo "postgres: using the server on 127.0.0.1:${PGPORT:-5432}" >&2
  else
    pg_start_throwaway
  fi
}
