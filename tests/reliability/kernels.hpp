// Kernels the reliability tests run in shared-memory workers: at namespace scope (a spawned
// worker finds them by name).
#pragma once

#include <breakeven/concepts.hpp>

#include <array>
#include <chrono>
#include <cstdint>

#include <unistd.h>

namespace rtest {

/// The pid of the worker that ran the item (a shared-memory kernel).
struct worker_pid {
  using input_type = std::int32_t;
  using output_type = std::int32_t;
  static constexpr auto cost = std::chrono::microseconds{1};
  std::int32_t operator()(const std::int32_t&) const { return static_cast<std::int32_t>(::getpid()); }
};

/// x + 1 over 4 KiB items (a shared-memory kernel with a payload).
struct page_plus_one {
  using input_type = std::array<std::int32_t, 1024>;
  using output_type = std::array<std::int32_t, 1024>;
  static constexpr auto cost = std::chrono::microseconds{1};
  output_type operator()(const input_type& x) const {
    output_type y;
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = x[i] + 1;
    return y;
  }
};

}  // namespace rtest
