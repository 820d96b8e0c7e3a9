#!/bin/sh
# examples/server/run_test.sh SERVER CLIENT - the hash server and its load client on loopback:
#   1. a verified load (assorted sizes checked against the client's own hashes, error replies,
#      heavy requests with pings), ended by a quit request: both exit 0, small bodies were
#      hashed inline and large ones offloaded;
#   2. SIGTERM ends a server cleanly (exit 0);
#   3. its time limit ends it with exit code 3; a bad argument gives exit code 2.
# Every step is bounded: the server's --max-seconds, the client's --max-seconds.
set -u
server=$1
client=$2
dir=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$dir"/*; do echo "--- $f"; cat "$f"; done
  exit 1
}

# Starts the server with the given arguments; sets pid and port.
start() {
  : > "$dir/server.out"
  "$server" "$@" > "$dir/server.out" 2> "$dir/server.err" &
  pid=$!
  i=0
  while ! grep -q '^listening ' "$dir/server.out"; do
    i=$((i + 1))
    [ $i -gt 200 ] && fail "the server did not announce its port"
    sleep 0.05
  done
  port=$(awk '/^listening /{print $2}' "$dir/server.out")
}

# Waits for the server; fails unless its exit code is $1.
expect_exit() {
  wait "$pid"
  rc=$?
  pid=
  [ "$rc" -eq "$1" ] || fail "server exit code $rc, expected $1"
}

# 1. Verified load, then quit.
start --max-seconds 120
"$client" --port "$port" --verify --heavy 40 --heavy-bytes 262144 --ping-interval-us 500 --quit --max-seconds 60 \
  > "$dir/client.out" 2> "$dir/client.err"
crc=$?
expect_exit 0
[ "$crc" -eq 0 ] || fail "client exit code $crc"
grep -q '^errors: 0$' "$dir/client.out" || fail "client errors"
grep -q '^mismatches: 0$' "$dir/client.out" || fail "wrong replies"
grep -q '^verified: 10$' "$dir/client.out" || fail "not every check ran"
grep -q '^heavy: 40$' "$dir/client.out" || fail "heavy requests missing"
inline=$(sed -n 's/.* inline=\([0-9]*\).*/\1/p' "$dir/client.out")
offloaded=$(sed -n 's/.* offloaded=\([0-9]*\).*/\1/p' "$dir/client.out")
[ "${inline:-0}" -gt 0 ] || fail "no request was hashed inline"
[ "${offloaded:-0}" -ge 40 ] || fail "heavy requests were not offloaded"
echo "verified load: ok (inline=$inline offloaded=$offloaded)"

# 2. SIGTERM during idle connections: a clean exit.
start --max-seconds 120
"$client" --port "$port" --pings 20 --max-seconds 60 > "$dir/client.out" 2> "$dir/client.err" || fail "pings failed"
kill -TERM "$pid"
expect_exit 0
echo "SIGTERM: ok"

# 3. The time limit, and a bad argument.
start --max-seconds 0.3
expect_exit 3
"$server" --port nonsense > /dev/null 2>&1
[ $? -eq 2 ] || fail "a bad argument did not give exit code 2"
echo "time limit and bad argument: ok"
echo "1 passed, 0 failed"
