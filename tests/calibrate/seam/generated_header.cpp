// The generated header as a build's default profile. At build time breakeven-calibrate
// --from-json writes it from fixture.json with the same writer a calibration uses; this
// translation unit makes it the default through profile.hpp's BREAKEVEN_PROFILE_HEADER seam
// and drives compile-time selection with it.
#undef BREAKEVEN_PROFILE_HEADER
#define BREAKEVEN_PROFILE_HEADER <breakeven_test_fixture_profile.hpp>
#include <breakeven/break_even_table.hpp>
#include <breakeven/select.hpp>

#include <chrono>
#include <cstdio>
#include <string_view>
#include <type_traits>

namespace be = breakeven;

template <long Us>
struct spin_kernel {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{Us};
  int operator()(const int& x) const { return x; }
};

// The seam picked the generated profile, with fixture.json's terms.
static_assert(std::is_same_v<be::default_profile, be::profiles::calibrated>);
static_assert(std::string_view(be::default_profile::value.name) == "fixture");
static_assert(be::default_profile::value.wake_ns == 50'000);
static_assert(be::default_profile::value.thread_dispatch_ns == 400);
static_assert(be::default_profile::value.memcpy_ns_per_byte == 0.07);
static_assert(be::default_profile::value.cores == 2);

// A 10 us kernel on 2 threads: overhead = wake 50 us + 2 tasks x 0.4 us = 50.8 us.
// n = 16: work 160 us > 2 x 50.8, speedup 160 / (80 + 50.8) = 1.22 > 1.2 -> threads;
// n = 15: speedup 150 / (80 + 50.8) = 1.15 -> sequential. Every larger batch is parallel.
using k10 = spin_kernel<10>;
static_assert(std::is_same_v<be::select_t<k10, 16>, be::thread_pool>);
static_assert(std::is_same_v<be::select_t<k10, 15>, be::sequential_executor>);
static_assert(be::break_even_v<k10> == 15);
// The conservative profile (wake 60 us, dispatch 2 us) keeps the same call sequential:
// the generated header, not the default, made the difference.
static_assert(std::is_same_v<be::select_t<k10, 16, be::profiles::conservative>, be::sequential_executor>);
// 1 us items never pay for 2 workers' wake-up at 8 items; 1 ms items always do.
static_assert(std::is_same_v<be::select_t<spin_kernel<1>, 8>, be::sequential_executor>);
static_assert(std::is_same_v<be::select_t<spin_kernel<1000>, 8>, be::thread_pool>);

int main() {
  const auto p = be::plan_for<k10>(16);
  const auto text = be::explain(p);
  std::printf("%.*s\n", static_cast<int>(text.view().size()), text.view().data());
  return p.kind == be::executor_kind::thread_pool ? 0 : 1;
}
