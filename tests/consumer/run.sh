#!/bin/sh
# run.sh SOURCE_DIR BUILD_DIR CXX - installs breakeven from BUILD_DIR into a scratch prefix,
# then builds and runs the consumer with CMake's find_package and with Meson's pkg-config.
set -eu
src=$1; build=$2; cxx=$3
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/tests/consumer" -B "$work/cmake" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cmake" >/dev/null
"$work/cmake/consumer" && "$work/cmake/consumer_concepts"
if command -v meson >/dev/null; then
  PKG_CONFIG_PATH="$work/prefix/share/pkgconfig" CXX="$cxx" meson setup "$work/meson" "$src/tests/consumer" >/dev/null
  meson compile -C "$work/meson" >/dev/null
  "$work/meson/consumer"
fi
echo "consumer: find_package and pkg-config builds ran"
