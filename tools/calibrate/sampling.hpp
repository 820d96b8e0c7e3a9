// calibrate/sampling.hpp - the clock calibration reads, and robust summaries of samples
// (median, 10th and 90th percentiles). Part of breakeven-calibrate (tools/).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <ctime>
#include <vector>

namespace breakeven::calibration {

/// Nanoseconds on the monotonic clock.
inline double now_ns() noexcept {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

/// Sleeps `ns` nanoseconds (lets idle CPUs halt before a wake-up is measured).
inline void sleep_ns(double ns) noexcept {
  timespec t{static_cast<std::time_t>(ns / 1e9), static_cast<long>(static_cast<long long>(ns) % 1'000'000'000)};
  while (nanosleep(&t, &t) != 0) {
  }
}

/// A robust summary of samples.
struct summary {
  double median = 0;
  double p10 = 0;
  double p90 = 0;
  std::size_t samples = 0;
  /// (p90 - p10) / median: how widely single samples scatter around the median.
  double spread() const noexcept { return median > 0 ? (p90 - p10) / median : 0; }
};

/// Summarises `v` (taken by value: it is sorted).
inline summary summarize(std::vector<double> v) {
  summary s;
  s.samples = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const auto at = [&](double q) {
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto i = static_cast<std::size_t>(pos);
    const double frac = pos - static_cast<double>(i);
    return i + 1 < v.size() ? v[i] * (1 - frac) + v[i + 1] * frac : v[i];
  };
  s.median = at(0.5);
  s.p10 = at(0.1);
  s.p90 = at(0.9);
  return s;
}

}  // namespace breakeven::calibration
