#!/bin/sh
# registry_split.sh CXX SOURCE_DIR - the executor registry is split by kernel: a translation
# unit that maps a thread-safe kernel (bench/compile/map_int.cpp) compiles no process pool,
# shared-memory pool or process engine; the same TU with a kernel that is not thread-safe
# (-DBENCH_NOT_THREAD_SAFE) does. Read from the object file's symbols.
set -eu
cxx=$1; src=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
machinery='process_engine|shared_memory_pool|process_pool'
for mode in safe unsafe; do
  flags=""
  [ "$mode" = unsafe ] && flags=-DBENCH_NOT_THREAD_SAFE
  # shellcheck disable=SC2086 # $flags is empty or one word
  "$cxx" -std=c++20 -O0 -I"$src/concepts" -I"$src/include" $flags -c "$src/bench/compile/map_int.cpp" -o "$work/$mode.o"
  n=$(nm -C --defined-only "$work/$mode.o" | grep -cE "$machinery" || true)
  echo "$mode kernel: $n symbols of the process machinery"
  if [ "$mode" = safe ] && [ "$n" != 0 ]; then
    nm -C --defined-only "$work/$mode.o" | grep -E "$machinery" | head -5
    echo "a TU mapping a thread-safe kernel compiled process machinery" >&2
    exit 1
  fi
  if [ "$mode" = unsafe ] && [ "$n" = 0 ]; then
    echo "a TU mapping a kernel that is not thread-safe compiled no process machinery: the check reads nothing" >&2
    exit 1
  fi
done
