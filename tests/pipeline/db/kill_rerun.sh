#!/bin/sh
# kill_rerun.sh sqlite|postgres JOB - the job killed with SIGKILL mid-run, then run again:
# with upsert keys the table holds each row exactly once, and exactly as many as items.
# postgres reads its server from BREAKEVEN_TEST_PG (pg_fixture.sh).
set -eu
kind=$1 job=$2 n=100000
tmp=$(mktemp -d "${TMPDIR:-/tmp}/breakeven-kill-XXXXXX")
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
case $kind in
  sqlite) target=$tmp/docs.db ;;
  postgres) target=$BREAKEVEN_TEST_PG; "$job" postgres "$target" drop ;;
  *) echo "kill_rerun: unknown sink $kind" >&2; exit 2 ;;
esac
"$job" "$kind" "$target" $n 2000 >"$tmp/first.log" 2>&1 &
pid=$!
# Wait for some rows, then kill the program outright.
tries=0
while :; do
  rows=$("$job" "$kind" "$target" count | cut -d' ' -f1)
  [ "${rows:-0}" -gt 1000 ] && break
  tries=$((tries + 1))
  [ $tries -lt 600 ] || { echo "kill_rerun: no rows committed after 30 s"; cat "$tmp/first.log"; exit 1; }
  sleep 0.05
done
kill -9 "$pid"
wait "$pid" 2>/dev/null && { echo "kill_rerun: the job finished before it was killed"; exit 1; }
pid=
set -- $("$job" "$kind" "$target" count)
echo "after kill -9: $1 rows ($2 distinct) of $n"
[ "$1" -lt $n ] || { echo "kill_rerun: the job was not killed mid-run"; exit 1; }
[ "$1" -eq "$2" ] || { echo "kill_rerun: duplicate rows after the kill"; exit 1; }
"$job" "$kind" "$target" $n || { echo "kill_rerun: the re-run failed"; exit 1; }
set -- $("$job" "$kind" "$target" count)
echo "after the re-run: $1 rows ($2 distinct) of $n"
[ "$1" -eq $n ] && [ "$2" -eq $n ] || { echo "kill_rerun: expected exactly $n rows"; exit 1; }
echo "ok"
