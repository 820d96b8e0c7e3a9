#!/bin/sh
# run.sh SOURCE_DIR BUILD_DIR CXX [cmake|meson] - installs breakeven, then builds and runs the
# consumer against the installation as users do, and checks that every consumer of one
# installation decides with the same default profile:
#   cmake: BUILD_DIR installed with `cmake --install`; consumers through CMake's find_package,
#          Meson's dependency() and a plain `$CXX $(pkg-config --cflags --libs breakeven)`;
#   meson: BUILD_DIR installed with `meson install`; consumers through Meson and pkg-config.
# Then the same for an installation calibrated at build time (from installed_profile.json, so
# the test measures nothing): each consumer must report that profile, not `conservative`.
set -eu
src=$1; build=$2; cxx=$3; kind=${4:-cmake}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
log=$work/log
# Quiet on success; on failure, the failing step's output.
quiet() { "$@" >"$log" 2>&1 || { echo "FAILED: $*"; cat "$log"; exit 1; }; }
# The name of the profile an installation carries (conservative when it was not calibrated).
installed_name() {
  h=$(find "$1" -path '*/breakeven/profiles/calibrated.hpp' | head -n 1)
  if [ -n "$h" ]; then sed -n 's/.*\.name = "\([^"]*\)".*/\1/p' "$h" | head -n 1; else echo conservative; fi
}
# pkg_consumers TAG PCDIR SYSROOT PROFILE: Meson's dependency() and a plain pkg-config command
# line against the installation whose breakeven.pc is in PCDIR.
pkg_consumers() {
  tag=$1; pcdir=$2; sysroot=$3; profile=$4
  pcenv="PKG_CONFIG_PATH=$pcdir"
  [ -z "$sysroot" ] || pcenv="$pcenv PKG_CONFIG_SYSROOT_DIR=$sysroot"
  if command -v meson >/dev/null; then
    quiet env $pcenv CXX="$cxx" meson setup "$work/meson-$tag" "$src/tests/consumer"
    quiet meson compile -C "$work/meson-$tag"
    quiet "$work/meson-$tag/consumer" "$profile"
    echo "consumer ($tag): Meson's dependency('breakeven') decides with '$profile'"
  fi
  cflags=$(env $pcenv pkg-config --cflags breakeven); libs=$(env $pcenv pkg-config --libs breakeven)
  # shellcheck disable=SC2086 # the flags are words
  quiet "$cxx" $cflags "$src/tests/consumer/main.cpp" $libs -o "$work/pkg-config-$tag"
  quiet "$work/pkg-config-$tag" "$profile"
  echo "consumer ($tag): \$(pkg-config --cflags --libs breakeven) decides with '$profile'"
}
cmake_consumers() {  # cmake_consumers TAG PREFIX PROFILE
  tag=$1; prefix=$2; profile=$3
  quiet cmake -S "$src/tests/consumer" -B "$work/cmake-$tag" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_PREFIX_PATH="$prefix"
  quiet cmake --build "$work/cmake-$tag"
  quiet "$work/cmake-$tag/consumer" "$profile"
  quiet "$work/cmake-$tag/consumer_concepts"
  echo "consumer ($tag): CMake's find_package(breakeven) decides with '$profile'"
  pkg_consumers "$tag" "$prefix/share/pkgconfig" "" "$profile"
}
calibrated=$src/tests/consumer/installed_profile.json
if [ "$kind" = meson ]; then
  # Installed under a staging directory: the .pc file names the configured prefix, which
  # pkg-config's sysroot maps back into the staging directory.
  quiet meson install -C "$build" --no-rebuild --destdir "$work/stage"
  pc=$(find "$work/stage" -name breakeven.pc | head -n 1)
  [ -n "$pc" ] || { echo "FAILED: meson install wrote no breakeven.pc"; exit 1; }
  pkg_consumers build "$(dirname "$pc")" "$work/stage" "$(installed_name "$work/stage")"
  CXX="$cxx" quiet meson setup "$work/calibrated" "$src" -Dcalibrate=true -Dcalibrate_from="$calibrated" \
    -Dtests=false -Dexamples=false -Dtools=false
  quiet meson compile -C "$work/calibrated"
  quiet meson install -C "$work/calibrated" --no-rebuild --destdir "$work/stage-calibrated"
  pc=$(find "$work/stage-calibrated" -name breakeven.pc | head -n 1)
  pkg_consumers calibrated "$(dirname "$pc")" "$work/stage-calibrated" consumer_installed
  exit 0
fi
quiet cmake --install "$build" --prefix "$work/prefix"
cmake_consumers build "$work/prefix" "$(installed_name "$work/prefix")"
launcher=""
! command -v ccache >/dev/null || launcher=-DCMAKE_CXX_COMPILER_LAUNCHER=ccache
quiet cmake -S "$src" -B "$work/calibrated" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" $launcher \
  -DBREAKEVEN_CALIBRATE=ON -DBREAKEVEN_CALIBRATE_FROM="$calibrated" \
  -DBREAKEVEN_BUILD_TESTS=OFF -DBREAKEVEN_BUILD_EXAMPLES=OFF -DBREAKEVEN_BUILD_TOOLS=OFF
# A configure that names no build type builds Release.
grep -qx 'CMAKE_BUILD_TYPE:STRING=Release' "$work/calibrated/CMakeCache.txt" ||
  { echo "FAILED: a plain configure did not default to Release:"; grep CMAKE_BUILD_TYPE "$work/calibrated/CMakeCache.txt"; exit 1; }
quiet cmake --build "$work/calibrated"
quiet cmake --install "$work/calibrated" --prefix "$work/prefix-calibrated"
cmake_consumers calibrated "$work/prefix-calibrated" consumer_installed
