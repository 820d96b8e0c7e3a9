#!/bin/sh
# run.sh SOURCE_DIR BUILD_DIR CXX - installs breakeven from BUILD_DIR into a scratch prefix,
# then builds and runs the consumer with CMake's find_package and with Meson's pkg-config.
set -eu
src=$1; build=$2; cxx=$3
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
log=$work/log
# Quiet on success; on failure, the failing step's output.
quiet() { "$@" >"$log" 2>&1 || { echo "FAILED: $*"; cat "$log"; exit 1; }; }
quiet cmake --install "$build" --prefix "$work/prefix"
quiet cmake -S "$src/tests/consumer" -B "$work/cmake" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_PREFIX_PATH="$work/prefix"
quiet cmake --build "$work/cmake"
"$work/cmake/consumer" && "$work/cmake/consumer_concepts"
if command -v meson >/dev/null; then
  PKG_CONFIG_PATH="$work/prefix/share/pkgconfig" CXX="$cxx" quiet meson setup "$work/meson" "$src/tests/consumer"
  quiet meson compile -C "$work/meson"
  "$work/meson/consumer"
fi
echo "consumer: find_package and pkg-config builds ran"
