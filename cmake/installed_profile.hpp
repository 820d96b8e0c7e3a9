// breakeven/installed_profile.hpp - installed only by a build calibrated at build time: the
// profile that installation was calibrated with. profile.hpp includes it when the including
// build names no BREAKEVEN_PROFILE_HEADER, so every consumer of one installation (CMake's
// package, Meson's dependency, pkg-config, a plain -I) decides with the same profile.
#pragma once
#include "profiles/calibrated.hpp"
