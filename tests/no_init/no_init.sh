#!/bin/sh
# no_init.sh PROGRAM RUNS [ARGS...] - runs PROGRAM (tests/no_init/no_init.cpp) RUNS times in
# a row, each under a 20 s timeout: a run that hangs or fails fails the test.
set -u
prog=$1; runs=$2; shift 2
i=0
while [ "$i" -lt "$runs" ]; do
  i=$((i + 1))
  timeout -s KILL 20 "$prog" "$@"; rc=$?
  if [ $rc -ne 0 ]; then
    [ $rc -eq 137 ] && echo "run $i of $runs hung (killed after 20 s)" || echo "run $i of $runs failed with status $rc"
    exit 1
  fi
done
echo "ok: $runs runs"
