// breakeven/calibrate/sampling.hpp - repeated measurement: warm-up, many samples within a
// time budget, and robust summaries (median, 10th and 90th percentiles).
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

/// How many samples to take: `warmup` discarded first, then up to `samples`, but at least
/// `min_samples` and otherwise no more than fit in `budget_ns`.
struct sampling {
  std::size_t warmup = 3;
  std::size_t samples = 100;
  std::size_t min_samples = 10;
  double budget_ns = 1e9;
};

/// Calls `once()` (which returns one sample) as `plan` says and summarises the samples.
template <class F>
summary sample(const sampling& plan, F&& once) {
  for (std::size_t i = 0; i < plan.warmup; ++i) (void)once();
  std::vector<double> v;
  v.reserve(plan.samples);
  const double start = now_ns();
  while (v.size() < plan.samples) {
    v.push_back(once());
    if (v.size() >= plan.min_samples && now_ns() - start > plan.budget_ns) break;
  }
  return summarize(std::move(v));
}

}  // namespace breakeven::calibration
