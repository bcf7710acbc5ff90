# Start a throwaway PostgreSQL server for the test suite; `source` it from .ci/run.
#
#   source .ci/postgres.sh   # installs PostgreSQL when missing, starts a cluster in a
#                            # temporary directory on 127.0.0.1 and a free port, exports
#                            # SEATALLOC_TEST_POSTGRES_URL, and stops it when the shell exits.
#
# PostgreSQL refuses to run as root: as root the cluster belongs to user postgres.
set -euo pipefail

_pg_bin() {
    local dir
    if command -v pg_ctl >/dev/null 2>&1; then
        # The real directory (a symlink on PATH may stand alone, without createdb).
        dir=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
        if [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ]; then
            echo "$dir"
            return
        fi
    fi
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$dir" ]; then
        if [ "$(id -u)" != 0 ]; then
            echo "postgres.sh: PostgreSQL is not installed and this is not root" >&2
            return 1
        fi
        apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
        dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi
    echo "$dir"
}

_PG_BIN=$(_pg_bin)
_PG_DIR=$(mktemp -d /tmp/seatalloc-pg.XXXXXX)
_PG_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if [ "$(id -u)" = 0 ]; then
    chown postgres "$_PG_DIR"
    _pg_as() { runuser -u postgres -- "$@"; }
else
    _pg_as() { "$@"; }
fi
_pg_as "$_PG_BIN/initdb" -D "$_PG_DIR/data" -U postgres -A trust --no-sync >/dev/null
_pg_as "$_PG_BIN/pg_ctl" -D "$_PG_DIR/data" -l "$_PG_DIR/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $_PG_PORT -k $_PG_DIR -c fsync=on" start >/dev/null
_pg_stop() {
    _pg_as "$_PG_BIN/pg_ctl" -D "$_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$_PG_DIR"
}
trap _pg_stop EXIT
"$_PG_BIN/psql" -q -h 127.0.0.1 -p "$_PG_PORT" -U postgres -d postgres -c "CREATE DATABASE seatalloc_test" >/dev/null
export SEATALLOC_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$_PG_PORT/seatalloc_test"
echo "postgres.sh: server on $SEATALLOC_TEST_POSTGRES_URL (stopped on exit)" >&2
