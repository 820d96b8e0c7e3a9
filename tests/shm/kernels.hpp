// Kernels the shared-memory tests run in workers: annotated, at namespace scope (so that
// spawned workers find them by name), over values, fixed-size arrays and rows, some of them
// misbehaving on purpose.
#pragma once

#include <breakeven/concepts.hpp>

#include <array>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <unistd.h>

namespace stest {

/// An embedding-sized item: 256 floats (1 KiB).
using vec256 = std::array<float, 256>;

/// y = 2x + 1, element by element: reads a whole item and writes a whole item.
struct affine_vec {
  using input_type = vec256;
  using output_type = vec256;
  static constexpr auto cost = std::chrono::nanoseconds{200};
  static constexpr std::size_t bytes_in = sizeof(vec256);
  vec256 operator()(const vec256& x) const {
    vec256 y;
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = 2 * x[i] + 1;
    return y;
  }
};

/// x * x, widened; throws std::invalid_argument("item N") for every item N % period == bad.
struct square_or_throw {
  static constexpr bool bitwise_transport = true;  // its parameters travel with each task
  using input_type = std::int32_t;
  using output_type = std::int64_t;
  static constexpr auto cost = std::chrono::nanoseconds{20};
  std::int32_t period = 0;
  std::int32_t bad = -1;
  std::int64_t operator()(const std::int32_t& x) const {
    if (period != 0 && x % period == bad) throw std::invalid_argument("item " + std::to_string(x));
    return static_cast<std::int64_t>(x) * x;
  }
};

/// x * 3; the worker dies of SIGSEGV at item `crash` (a real signal, even under ASan).
struct triple_or_crash {
  static constexpr bool bitwise_transport = true;  // its parameters travel with each task
  using input_type = std::int32_t;
  using output_type = std::int32_t;
  static constexpr auto cost = std::chrono::microseconds{1};
  std::int32_t crash = -1;
  std::int32_t operator()(const std::int32_t& x) const {
    if (x == crash) {
      std::signal(SIGSEGV, SIG_DFL);
      std::raise(SIGSEGV);
    }
    return 3 * x;
  }
};

/// x * 3; throws std::out_of_range at item `bad`, and the worker dies of SIGABRT at item `crash`.
struct throw_then_crash {
  static constexpr bool bitwise_transport = true;  // its parameters travel with each task
  using input_type = std::int32_t;
  using output_type = std::int32_t;
  static constexpr auto cost = std::chrono::microseconds{1};
  std::int32_t bad = -1;
  std::int32_t crash = -1;
  std::int32_t operator()(const std::int32_t& x) const {
    if (x == bad) throw std::out_of_range("item " + std::to_string(x));
    if (x == crash) std::abort();
    return 3 * x;
  }
};

/// The sum of a row of a matrix (a row view into shared memory).
struct row_sum {
  using input_type = breakeven::row_view<const float>;
  using output_type = double;
  static constexpr auto cost = std::chrono::microseconds{1};
  static std::size_t bytes_in(const breakeven::row_view<const float>& r) { return r.size_bytes(); }
  double operator()(const breakeven::row_view<const float>& r) const {
    double s = 0;
    for (float x : r) s += x;
    return s;
  }
};

/// Adds `by` to every element of a row, in place (an image filter).
struct brighten {
  static constexpr bool bitwise_transport = true;  // its parameters travel with each task
  using input_type = breakeven::row_view<float>;
  using output_type = void;
  static constexpr auto cost = std::chrono::microseconds{1};
  float by = 1;
  void operator()(const breakeven::row_view<float>& r) const {
    for (float& x : r) x += by;
  }
};

/// The pid of the worker that ran the item.
struct worker_pid {
  using input_type = std::int32_t;
  using output_type = std::int32_t;
  static constexpr auto cost = std::chrono::microseconds{1};
  std::int32_t operator()(const std::int32_t&) const { return static_cast<std::int32_t>(::getpid()); }
};

/// Sleeps the input's milliseconds; returns the input.
struct nap_ms {
  using input_type = std::int32_t;
  using output_type = std::int32_t;
  static constexpr auto cost = std::chrono::milliseconds{1};
  std::int32_t operator()(const std::int32_t& ms) const {
    ::usleep(static_cast<useconds_t>(ms) * 1000);
    return ms;
  }
};

}  // namespace stest
