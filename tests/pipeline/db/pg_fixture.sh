#!/bin/sh
# pg_fixture.sh COMMAND [ARGS...] - runs COMMAND beside a throw-away PostgreSQL server:
# initdb into a new temporary directory (as the unprivileged user `postgres` when run as
# root; created if missing), a Unix socket in that directory, no TCP. The server is stopped
# and the directory removed at the end, whatever COMMAND's fate. COMMAND sees
#   BREAKEVEN_TEST_PG          its libpq connection string
#   BREAKEVEN_TEST_PG_STOP     a shell command that stops the server (fast: connections cut)
#   BREAKEVEN_TEST_PG_START    a shell command that starts it again
set -eu
bindir=
for v in 15 16 17 14 13; do
  if [ -x "/usr/lib/postgresql/$v/bin/initdb" ]; then bindir=/usr/lib/postgresql/$v/bin; break; fi
done
if [ -z "$bindir" ]; then
  echo "pg_fixture: no PostgreSQL server (initdb) found: scripts/deps installs postgresql-15" >&2
  exit 1
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/breakeven-pg-XXXXXX")
as=""
if [ "$(id -u)" -eq 0 ]; then
  user=postgres
  id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
  chown "$user" "$dir"
  as="runuser -u $user --"
fi
chmod 700 "$dir"
ctl="$as $bindir/pg_ctl -D $dir/data -l $dir/server.log"
cleanup() {
  $ctl -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
$as "$bindir/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 || {
  cat "$dir/initdb.log" >&2; exit 1; }
opts="-k $dir -c listen_addresses= -p 5432"
$ctl -o "$opts" -w -t 60 start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
export BREAKEVEN_TEST_PG="host=$dir port=5432 user=postgres dbname=postgres connect_timeout=5"
export BREAKEVEN_TEST_PG_STOP="$ctl -m fast -w -t 60 stop >/dev/null"
export BREAKEVEN_TEST_PG_START="$ctl -o '$opts' -w -t 60 start >/dev/null"
status=0
"$@" || status=$?
exit $status
