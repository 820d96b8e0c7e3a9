// breakeven/stats.hpp - per-executor statistics: calls, items, wall time and share (the
// guide's ProcessorMetrics), plus how often costs were probed. Each thread counts its own
// calls in a block of its own (no locked instruction on a call's path); a snapshot sums them.
#pragma once

#include <breakeven/executor.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <new>
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
    return out;
  }
};

namespace detail {

// The counters of one executor kind in one thread's block: calls, items, wall_ns.
using kind_counters = std::array<std::atomic<std::uint64_t>, 3>;
using kind_totals = std::array<std::uint64_t, 3>;

// One thread's counters. Only the thread that holds the block writes `now` (a relaxed load
// and store: no locked instruction on a call's path); statistics() reads it. `base` is what
// reset_statistics() last read, written and read under the registry's mutex only. A block
// outlives its thread: the next thread to start counting takes it over and counts on.
struct alignas(64) thread_stats {
  std::array<kind_counters, executor_kind_count> now{};
  std::array<kind_totals, executor_kind_count> base{};
  thread_stats* next = nullptr;
  bool held = true;
};

struct stats_counters {
  std::mutex m;
  thread_stats* blocks = nullptr;          // every block made, held or free
  thread_stats shared;                     // counted with atomic adds when no block could be made
  std::atomic<std::uint64_t> probes{0}, probed_items{0};
};
// Never destroyed: threads that end after main returns still hand their blocks back.
inline stats_counters& stats_instance() noexcept {
  static stats_counters& c = *new stats_counters;
  return c;
}

// The calling thread's block; null until its first recorded call.
inline thread_stats*& this_thread_stats() noexcept {
  thread_local thread_stats* b = nullptr;
  return b;
}

// Hands the thread's block back when the thread ends.
struct thread_stats_holder {
  thread_stats* block = nullptr;
  ~thread_stats_holder() {
    if (block == nullptr) return;
    auto& c = stats_instance();
    const std::lock_guard lock(c.m);
    block->held = false;
  }
};

// Gives the calling thread a block (a free one, else a new one); null when none can be made.
inline thread_stats* claim_thread_stats() noexcept {
  auto& c = stats_instance();
  thread_stats* b = nullptr;
  try {
    const std::lock_guard lock(c.m);
    for (thread_stats* f = c.blocks; f != nullptr && b == nullptr; f = f->next)
      if (!f->held) b = f;
    if (b == nullptr) {
      b = new (std::nothrow) thread_stats;
      if (b == nullptr) return nullptr;
      b->next = c.blocks;
      c.blocks = b;
    }
    b->held = true;
  } catch (...) {  // the mutex could not be locked
    return nullptr;
  }
  thread_local thread_stats_holder holder;
  holder.block = b;
  this_thread_stats() = b;
  return b;
}

inline void add_owned(std::atomic<std::uint64_t>& a, std::uint64_t v) noexcept {
  a.store(a.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
}

}  // namespace detail

/// Records one call on executor kind `k` of `items` items taking `wall_ns`.
inline void record_call(executor_kind k, std::uint64_t items, std::uint64_t wall_ns) noexcept {
  detail::thread_stats* b = detail::this_thread_stats();
  if (b == nullptr) b = detail::claim_thread_stats();
  const auto i = static_cast<std::size_t>(k);
  if (b != nullptr) {
    auto& c = b->now[i];
    detail::add_owned(c[0], 1);
    detail::add_owned(c[1], items);
    detail::add_owned(c[2], wall_ns);
  } else {
    auto& c = detail::stats_instance().shared.now[i];
    c[0].fetch_add(1, std::memory_order_relaxed);
    c[1].fetch_add(items, std::memory_order_relaxed);
    c[2].fetch_add(wall_ns, std::memory_order_relaxed);
  }
}

/// Records a call that probed `items` items of a kernel whose cost was unknown.
inline void record_probe(std::uint64_t items) noexcept {
  auto& c = detail::stats_instance();
  c.probes.fetch_add(1, std::memory_order_relaxed);
  c.probed_items.fetch_add(items, std::memory_order_relaxed);
}

namespace detail {
// Calls `f(block)` for every block, the shared one included, under the registry's mutex
// (a mutex that cannot be locked ends the program: noexcept callers).
template <class F>
void each_thread_stats(F&& f) {
  auto& c = stats_instance();
  const std::lock_guard lock(c.m);
  f(c.shared);
  for (thread_stats* b = c.blocks; b != nullptr; b = b->next) f(*b);
}
}  // namespace detail

/// The statistics so far.
inline statistics_snapshot statistics() noexcept {
  statistics_snapshot s;
  detail::each_thread_stats([&](const detail::thread_stats& b) {
    for (std::size_t i = 0; i < executor_kind_count; ++i) {
      s.by_kind[i].calls += b.now[i][0].load(std::memory_order_relaxed) - b.base[i][0];
      s.by_kind[i].items += b.now[i][1].load(std::memory_order_relaxed) - b.base[i][1];
      s.by_kind[i].wall_ns += b.now[i][2].load(std::memory_order_relaxed) - b.base[i][2];
    }
  });
  std::uint64_t calls = 0, wall = 0;
  for (const auto& k : s.by_kind) {
    calls += k.calls;
    wall += k.wall_ns;
  }
  for (auto& k : s.by_kind) {
    k.call_share = calls ? static_cast<double>(k.calls) / static_cast<double>(calls) : 0;
    k.time_share = wall ? static_cast<double>(k.wall_ns) / static_cast<double>(wall) : 0;
  }
  auto& c = detail::stats_instance();
  s.probes = c.probes.load(std::memory_order_relaxed);
  s.probed_items = c.probed_items.load(std::memory_order_relaxed);
  return s;
}

/// Sets every counter back to zero.
inline void reset_statistics() noexcept {
  detail::each_thread_stats([](detail::thread_stats& b) {
    for (std::size_t i = 0; i < executor_kind_count; ++i)
      for (std::size_t j = 0; j < 3; ++j) b.base[i][j] = b.now[i][j].load(std::memory_order_relaxed);
  });
  auto& c = detail::stats_instance();
  c.probes.store(0, std::memory_order_relaxed);
  c.probed_items.store(0, std::memory_order_relaxed);
}

}  // namespace breakeven
