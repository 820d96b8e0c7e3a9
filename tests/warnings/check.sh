#!/bin/sh
# check.sh CXX SOURCE_DIR - builds instantiate.cpp as a user's strict build would: every public
# header (a generated breakeven_all_headers.hpp, so a new header is covered without a list to
# keep), the API on every pool, under -Wall -Wextra -Wpedantic -Wshadow -Wconversion
# -Wsign-conversion -Werror; then runs it. A warning inside a header fails this test, with it.
set -eu
cxx=$1; src=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# The headers of the optional parts (the database sinks, the MPI cluster executor) are
# included where their client library is installed (pkg-config finds it), with its flags.
skip='^breakeven/impl/src.hpp$'
flags=""
optional() {  # optional PKG HEADER_REGEX
  if pkg-config --exists "$1"; then flags="$flags $(pkg-config --cflags --libs "$1")"
  else skip="$skip|$2"; fi
}
optional sqlite3 '^breakeven/sinks/sqlite.hpp$'
optional libpq '^breakeven/sinks/postgres.hpp$'
optional mpi '^breakeven/mpi(/.*)?.hpp$'
{ (cd "$src/concepts" && find breakeven -name '*.hpp'); (cd "$src/include" && find breakeven -name '*.hpp'); } |
  grep -Ev "$skip" | sort | sed 's|.*|#include <&>|' >"$work/breakeven_all_headers.hpp"
# shellcheck disable=SC2086 # $flags holds several words
"$cxx" -std=c++20 -O1 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Werror \
  -I"$src/concepts" -I"$src/include" -I"$work" "$src/tests/warnings/instantiate.cpp" -o "$work/instantiate" -pthread -lrt $flags
echo "$(grep -c include "$work/breakeven_all_headers.hpp") public headers: no warning under -Werror ($cxx)"
"$work/instantiate"
