// The build's default profile: the calibrated one when the build calibrated this machine
// (BREAKEVEN_CALIBRATE / -Dcalibrate=true), the conservative one otherwise.
#include <breakeven/profile_io.hpp>
#include <breakeven/select.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <type_traits>

namespace be = breakeven;

#if defined(BREAKEVEN_PROFILE_HEADER)
static_assert(std::is_same_v<be::default_profile, be::profiles::calibrated>);
#else
static_assert(std::is_same_v<be::default_profile, be::profiles::conservative>);
#endif

TEST_CASE("the build's default profile is a valid profile", "[calibrate][build]") {
  CHECK_NOTHROW(be::validate_profile(be::default_profile::value));
#if defined(BREAKEVEN_PROFILE_HEADER)
  CHECK(std::string(be::default_profile::value.name) == "calibrated");
  CHECK(be::default_profile::value.wake_ns > 0);
  CHECK(be::default_profile::value.thread_dispatch_ns > 0);
#endif
  // Selection at compile time goes through it.
  constexpr auto p = be::decide(be::kernel_desc{.cost_ns = 1e6}, 1'000, be::default_profile::value);
  STATIC_REQUIRE(p.kind != be::executor_kind::sequential);
}
