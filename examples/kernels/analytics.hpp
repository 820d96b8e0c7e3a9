// kernels/analytics.hpp - analytics over records (the Python multiprocessing guide's "Analytics calculation"): each
// item is one user's session, a short vector of event records, summarised into count, sum,
// mean, variance, extremes, percentiles, error count and a per-category breakdown.
#pragma once

#include <breakeven/traits.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace breakeven::examples {

/// Event categories a record may carry: 0 .. category_count - 1.
inline constexpr std::size_t category_count = 8;

/// One event: trivially copyable, so sessions cross process boundaries as plain bytes.
struct record {
  static constexpr bool bitwise_transport = true;  ///< plain numbers: they travel as their bytes
  std::uint64_t id = 0;
  std::uint32_t user = 0;
  std::uint16_t category = 0;  ///< 0 .. category_count - 1
  std::uint16_t status = 200;  ///< HTTP-like status; 500 and above count as errors
  std::int64_t timestamp_ms = 0;
  double value = 0;            ///< e.g. a latency in ms or an amount
};

/// One item of the analytics kernel: the records of one user's session, in time order.
using session = std::vector<record>;

/// The summary of one session.
struct session_summary {
  static constexpr bool bitwise_transport = true;
  std::uint32_t user = 0;
  std::uint32_t count = 0;
  double sum = 0;
  double mean = 0;
  double variance = 0;         ///< sample variance (n - 1); 0 below two records
  double min = 0;
  double max = 0;
  double p50 = 0;              ///< nearest-rank percentiles
  double p95 = 0;
  std::int64_t duration_ms = 0;  ///< last timestamp - first
  std::uint32_t errors = 0;      ///< records with status >= 500
  std::array<std::uint32_t, category_count> per_category{};   ///< records per category
  std::array<double, category_count> per_category_sum{};  ///< sum of values per category
  friend bool operator==(const session_summary&, const session_summary&) = default;
};

/// Summarises one session. Throws std::invalid_argument, naming the record, for a category
/// out of range, a record of another user, or a value that is not finite.
struct session_analytics {
  using input_type = session;
  using output_type = session_summary;
  static constexpr std::string_view name = "analytics";
  /// The session length `cost` was measured at.
  static constexpr std::size_t representative_records = 128;
  // Measured on the 2-vCPU development VM, Release build, sessions of 64..192 records:
  //   scripts/bench kernels  ->  kernel.analytics: 2238 ns/item
  static constexpr auto cost = std::chrono::nanoseconds{2'240};
  static constexpr std::size_t bytes_in(const session& s) noexcept { return s.size() * sizeof(record); }
  static constexpr std::size_t bytes_out = sizeof(session_summary);
  static constexpr breakeven::bound bound = breakeven::bound::cpu;
  // Session lengths vary about twofold around the mean (data.hpp): medium.
  static constexpr breakeven::variance variance = breakeven::variance::medium;
  // A pure function of its item.
  static constexpr bool thread_safe = true;

  session_summary operator()(const session& s) const {
    session_summary out;
    if (s.empty()) return out;
    out.user = s.front().user;
    out.count = static_cast<std::uint32_t>(s.size());
    out.min = out.max = s.front().value;
    std::vector<double> values;
    values.reserve(s.size());
    double mean = 0, m2 = 0;  // Welford: stable for long sessions of similar values
    for (std::size_t i = 0; i < s.size(); ++i) {
      const record& r = s[i];
      if (r.category >= category_count)
        throw std::invalid_argument("analytics: record " + std::to_string(i) + " has category " +
                                    std::to_string(r.category) + ", categories are 0.." +
                                    std::to_string(category_count - 1));
      if (r.user != out.user)
        throw std::invalid_argument("analytics: record " + std::to_string(i) + " belongs to user " +
                                    std::to_string(r.user) + ", the session to user " + std::to_string(out.user));
      if (!std::isfinite(r.value))
        throw std::invalid_argument("analytics: record " + std::to_string(i) + " has a value that is not finite");
      out.sum += r.value;
      const double delta = r.value - mean;
      mean += delta / static_cast<double>(i + 1);
      m2 += delta * (r.value - mean);
      out.min = std::min(out.min, r.value);
      out.max = std::max(out.max, r.value);
      if (r.status >= 500) ++out.errors;
      ++out.per_category[r.category];
      out.per_category_sum[r.category] += r.value;
      values.push_back(r.value);
    }
    out.mean = mean;
    out.variance = s.size() > 1 ? m2 / static_cast<double>(s.size() - 1) : 0;
    out.duration_ms = s.back().timestamp_ms - s.front().timestamp_ms;
    out.p50 = nearest_rank(values, 50);
    out.p95 = nearest_rank(values, 95);
    return out;
  }

  /// The p-th percentile by the nearest-rank method: the ceil(p/100 x n)-th smallest value.
  static double nearest_rank(std::vector<double>& values, unsigned p) {
    const std::size_t n = values.size();
    std::size_t rank = (p * n + 99) / 100;  // ceil(p n / 100)
    if (rank == 0) rank = 1;
    const auto it = values.begin() + static_cast<std::ptrdiff_t>(rank - 1);
    std::nth_element(values.begin(), it, values.end());
    return *it;
  }
};

}  // namespace breakeven::examples
