// breakeven/stats.hpp - per-executor statistics: calls, items, wall time and share (the
// guide's ProcessorMetrics), plus how often costs were probed. Lock-free counters.
#pragma once

#include <breakeven/executor.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>

namespace breakeven {

/// Counters of one executor kind.
struct executor_stats {
  std::uint64_t calls = 0;
  std::uint64_t items = 0;
  std::uint64_t wall_ns = 0;
  double call_share = 0;   ///< this kind's calls / all calls
  double time_share = 0;   ///< this kind's wall time / all wall time
  double avg_call_ns() const noexcept { return calls ? static_cast<double>(wall_ns) / static_cast<double>(calls) : 0; }
};

/// A snapshot of the statistics.
struct statistics_snapshot {
  std::array<executor_stats, executor_kind_count> by_kind{};
  std::uint64_t probes = 0;          ///< calls that measured unknown costs before deciding
  std::uint64_t probed_items = 0;    ///< items run while probing
  std::uint64_t explored = 0;        ///< calls that ran the runner-up to check its estimate (feedback.hpp)
  std::uint64_t explore_cost_ns = 0; ///< what those calls took beyond the winner's estimate
  const executor_stats& operator[](executor_kind k) const noexcept { return by_kind[static_cast<std::size_t>(k)]; }
  std::uint64_t total_calls() const noexcept {
    std::uint64_t n = 0;
    for (const auto& s : by_kind) n += s.calls;
    return n;
  }
  /// A table, one line per executor kind that ran.
  std::string report() const {
    std::string out = "executor        calls      items     wall ms  calls%   time%\n";
    char line[128];
    for (executor_kind k : all_executor_kinds) {
      const auto& s = (*this)[k];
      if (s.calls == 0) continue;
      std::snprintf(line, sizeof line, "%-13s %7llu %10llu %11.3f %6.1f%% %6.1f%%\n", std::string(to_string(k)).c_str(),
                    static_cast<unsigned long long>(s.calls), static_cast<unsigned long long>(s.items),
                    static_cast<double>(s.wall_ns) / 1e6, 100 * s.call_share, 100 * s.time_share);
      out += line;
    }
    if (probes != 0) {
      std::snprintf(line, sizeof line, "cost probes: %llu calls, %llu items\n",
                    static_cast<unsigned long long>(probes), static_cast<unsigned long long>(probed_items));
      out += line;
    }
    if (explored != 0) {
      std::snprintf(line, sizeof line, "explored: %llu calls (%.1f%%), cost %.3f ms over the winners' estimates\n",
                    static_cast<unsigned long long>(explored),
                    100.0 * static_cast<double>(explored) / static_cast<double>(total_calls() ? total_calls() : 1),
                    static_cast<double>(explore_cost_ns) / 1e6);
      out += line;
    }
    return out;
  }
};

namespace detail {
struct stats_counters {
  struct per_kind {
    std::atomic<std::uint64_t> calls{0}, items{0}, wall_ns{0};
  };
  std::array<per_kind, executor_kind_count> by_kind;
  std::atomic<std::uint64_t> probes{0}, probed_items{0}, explored{0}, explore_cost_ns{0};
};
inline stats_counters& stats_instance() noexcept {
  static stats_counters c;
  return c;
}
}  // namespace detail

/// Records one call on executor kind `k` of `items` items taking `wall_ns`.
inline void record_call(executor_kind k, std::uint64_t items, std::uint64_t wall_ns) noexcept {
  auto& c = detail::stats_instance().by_kind[static_cast<std::size_t>(k)];
  c.calls.fetch_add(1, std::memory_order_relaxed);
  c.items.fetch_add(items, std::memory_order_relaxed);
  c.wall_ns.fetch_add(wall_ns, std::memory_order_relaxed);
}

/// Records a call that probed `items` items of a kernel whose cost was unknown.
inline void record_probe(std::uint64_t items) noexcept {
  auto& c = detail::stats_instance();
  c.probes.fetch_add(1, std::memory_order_relaxed);
  c.probed_items.fetch_add(items, std::memory_order_relaxed);
}

/// Records a call that explored the runner-up, costing `extra_ns` beyond the winner's estimate.
inline void record_exploration(std::uint64_t extra_ns) noexcept {
  auto& c = detail::stats_instance();
  c.explored.fetch_add(1, std::memory_order_relaxed);
  c.explore_cost_ns.fetch_add(extra_ns, std::memory_order_relaxed);
}

/// The statistics so far.
inline statistics_snapshot statistics() noexcept {
  statistics_snapshot s;
  auto& c = detail::stats_instance();
  std::uint64_t calls = 0, wall = 0;
  for (std::size_t i = 0; i < executor_kind_count; ++i) {
    s.by_kind[i].calls = c.by_kind[i].calls.load(std::memory_order_relaxed);
    s.by_kind[i].items = c.by_kind[i].items.load(std::memory_order_relaxed);
    s.by_kind[i].wall_ns = c.by_kind[i].wall_ns.load(std::memory_order_relaxed);
    calls += s.by_kind[i].calls;
    wall += s.by_kind[i].wall_ns;
  }
  for (auto& k : s.by_kind) {
    k.call_share = calls ? static_cast<double>(k.calls) / static_cast<double>(calls) : 0;
    k.time_share = wall ? static_cast<double>(k.wall_ns) / static_cast<double>(wall) : 0;
  }
  s.probes = c.probes.load(std::memory_order_relaxed);
  s.probed_items = c.probed_items.load(std::memory_order_relaxed);
  s.explored = c.explored.load(std::memory_order_relaxed);
  s.explore_cost_ns = c.explore_cost_ns.load(std::memory_order_relaxed);
  return s;
}

/// Sets every counter back to zero.
inline void reset_statistics() noexcept {
  auto& c = detail::stats_instance();
  for (auto& k : c.by_kind) {
    k.calls.store(0, std::memory_order_relaxed);
    k.items.store(0, std::memory_order_relaxed);
    k.wall_ns.store(0, std::memory_order_relaxed);
  }
  c.probes.store(0, std::memory_order_relaxed);
  c.probed_items.store(0, std::memory_order_relaxed);
  c.explored.store(0, std::memory_order_relaxed);
  c.explore_cost_ns.store(0, std::memory_order_relaxed);
}

}  // namespace breakeven
