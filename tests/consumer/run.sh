#!/bin/sh
# run.sh SOURCE_DIR BUILD_DIR CXX [cmake|meson] - installs breakeven from BUILD_DIR into a
# scratch directory, then builds and runs the consumer against the installation:
#   cmake (a CMake build): with CMake's find_package, and with Meson through pkg-config;
#   meson (a Meson build): with Meson through pkg-config (Meson installs no CMake package).
set -eu
src=$1; build=$2; cxx=$3; kind=${4:-cmake}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
log=$work/log
# Quiet on success; on failure, the failing step's output.
quiet() { "$@" >"$log" 2>&1 || { echo "FAILED: $*"; cat "$log"; exit 1; }; }
if [ "$kind" = meson ]; then
  # Installed under a staging directory: the .pc file names the configured prefix, which
  # pkg-config's sysroot maps back into the staging directory.
  quiet meson install -C "$build" --no-rebuild --destdir "$work/stage"
  pc=$(find "$work/stage" -name breakeven.pc | head -n 1)
  [ -n "$pc" ] || { echo "FAILED: meson install wrote no breakeven.pc"; exit 1; }
  PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR="$work/stage" CXX="$cxx" \
    quiet meson setup "$work/meson" "$src/tests/consumer"
  quiet meson compile -C "$work/meson"
  "$work/meson/consumer"
  echo "consumer: the Meson build's installation, through pkg-config"
  exit 0
fi
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
