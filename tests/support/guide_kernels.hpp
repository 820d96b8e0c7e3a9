// Kernels annotated with the costs of the Python multiprocessing guide (its OPERATION_COSTS), doing no work:
// the decision tests need their traits only.
#pragma once
#include <breakeven/concepts.hpp>
#include <chrono>
#include <cstdint>

namespace guide_kernels {
template <std::int64_t Ns, bool ThreadSafe = true, bool Isolation = false,
          breakeven::bound Bound = breakeven::bound::cpu>
struct kernel {
  using input_type = std::uint64_t;
  using output_type = std::uint64_t;
  static constexpr auto cost = std::chrono::nanoseconds{Ns};
  static constexpr bool thread_safe = ThreadSafe;
  static constexpr bool isolation = Isolation;
  static constexpr breakeven::bound bound = Bound;
  std::uint64_t operator()(const std::uint64_t& x) const { return x; }
};
using hash = kernel<2'000>;             // 2 us
using hash_blake2b = kernel<1'000>;     // 1 us
using analytics = kernel<10'000>;       // 10 us
using pattern_1ms = kernel<1'000'000>;  // 1 ms per text (quick reference)
using pattern = kernel<100'000>;        // 0.1 ms (OPERATION_COSTS)
using jwt = kernel<500'000>;            // 0.5 ms
using numerical = kernel<50'000'000>;   // 50 ms
using unsafe_numerical = kernel<50'000'000, false>;
using isolated = kernel<1'000, true, true>;
using io_wait = kernel<5'000'000, true, false, breakeven::bound::io>;
}  // namespace guide_kernels
