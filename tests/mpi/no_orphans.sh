#!/bin/sh
# Runs the cluster tests under mpirun, then checks that no process of the test program
# (a rank, a rank's fork server or local worker) outlives the job.
# usage: no_orphans.sh MPIEXEC NP TEST_PROGRAM [test args...]
mpiexec=$1; np=$2; prog=$3; shift 3
"$mpiexec" --oversubscribe -np "$np" "$prog" "$@"
rc=$?
for i in 1 2 3 4 5 6 7 8 9 10; do
  left=$(ps -eo pid=,args= | grep -F "$prog" | grep -v -e grep -e no_orphans.sh)
  [ -z "$left" ] && break
  sleep 0.5
done
if [ -n "$left" ]; then
  echo "processes of $prog left after the job:"; echo "$left"
  exit 1
fi
exit $rc
