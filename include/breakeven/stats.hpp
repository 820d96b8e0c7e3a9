// breakeven/stats.hpp - per-executor statistics: calls, items, wall time and share (the
// guide's ProcessorMetrics), plus how often costs were probed. Each thread counts its own
// calls in a block of its own (no locked instruction on a call's path); a snapshot sums them.
#pragma once

#include <breakeven/executor.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <new>
#include <string>
#include <thread>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#endif

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

// The counters of one executor kind in one thread's block: calls, items, wall_ns, and wall
// time in call_clock ticks (converted when a snapshot is taken).
using kind_counters = std::array<std::atomic<std::uint64_t>, 4>;
using kind_totals = std::array<std::uint64_t, 4>;

// The clock that times a call for the statistics. Where the CPU's time-stamp counter runs at
// a constant rate (x86-64, an invariant TSC), its ticks: a read costs ~28 ns on this
// project's VM, where steady_clock goes through kvm-clock and costs ~70 ns (two reads were
// most of a sequential call's fixed cost). Ticks become nanoseconds when a snapshot is taken,
// at the rate measured against steady_clock since the program started. Elsewhere, and during
// static initialization, steady_clock's nanoseconds.
struct call_stamp {
  std::uint64_t at = 0;
  bool ticks = false;
};

inline std::uint64_t steady_ns() noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

inline bool invariant_tsc() noexcept {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid(0x80000007u, &a, &b, &c, &d) != 0 && (d & (1u << 8)) != 0;
#else
  return false;
#endif
}

inline std::uint64_t read_tsc() noexcept {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  return __builtin_ia32_rdtsc();  // <x86intrin.h>'s __rdtsc without its ~50,000 lines
#else
  return 0;
#endif
}

// The time-stamp counter and steady_clock read together at program start: the origin of the
// tick rate. `usable` stays false where ticks cannot be used (and until it is initialized).
struct tsc_origin {
  bool usable = false;
  std::uint64_t tsc = 0, ns = 0;
};
inline const tsc_origin call_clock_origin = [] {
  tsc_origin o;
  o.usable = invariant_tsc();
  if (o.usable) {
    o.ns = steady_ns();
    o.tsc = read_tsc();
  }
  return o;
}();

// A call's start on the statistics' clock.
inline call_stamp call_start() noexcept {
  if (call_clock_origin.usable) return {read_tsc(), true};
  return {steady_ns(), false};
}

// Nanoseconds per tick, measured over at least 1 ms since the origin (a snapshot taken in
// the program's first millisecond waits out the rest of it).
inline double ns_per_tick() {
  const tsc_origin& o = call_clock_origin;
  if (!o.usable) return 0;
  std::uint64_t ns = steady_ns(), tsc = read_tsc();
  if (ns - o.ns < 1'000'000) {
    std::this_thread::sleep_for(std::chrono::nanoseconds(1'000'000 - (ns - o.ns)));
    ns = steady_ns();
    tsc = read_tsc();
  }
  return tsc > o.tsc ? static_cast<double>(ns - o.ns) / static_cast<double>(tsc - o.tsc) : 0;
}

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
  std::atomic<std::uint64_t> probes{0}, probed_items{0}, explored{0}, explore_cost_ns{0};
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

// Counts one call: `wall` in nanoseconds (counter 2) or in call_clock ticks (counter 3).
inline void count_call(executor_kind k, std::uint64_t items, std::uint64_t wall, std::size_t wall_counter) noexcept {
  thread_stats* b = this_thread_stats();
  if (b == nullptr) b = claim_thread_stats();
  const auto i = static_cast<std::size_t>(k);
  if (b != nullptr) {
    auto& c = b->now[i];
    add_owned(c[0], 1);
    add_owned(c[1], items);
    add_owned(c[wall_counter], wall);
  } else {
    auto& c = stats_instance().shared.now[i];
    c[0].fetch_add(1, std::memory_order_relaxed);
    c[1].fetch_add(items, std::memory_order_relaxed);
    c[wall_counter].fetch_add(wall, std::memory_order_relaxed);
  }
}

// Records one call on executor kind `k` of `items` items that started at `start`
// (call_start()): one more read of the statistics' clock. Returns the call's time in the
// clock's units (elapsed_ns() converts it).
inline std::uint64_t record_call_since(executor_kind k, std::uint64_t items, call_stamp start) noexcept {
  const std::uint64_t end = start.ticks ? read_tsc() : steady_ns();
  const std::uint64_t took = end > start.at ? end - start.at : 0;
  count_call(k, items, took, start.ticks ? 3 : 2);
  return took;
}

// Nanoseconds per tick without waiting: measured once at least 1 ms after the origin, then
// kept; 0 before that (and where ticks are not used).
inline double ns_per_tick_now() noexcept {
  static std::atomic<double> rate{0};
  const double known = rate.load(std::memory_order_relaxed);
  if (known > 0) return known;
  const tsc_origin& o = call_clock_origin;
  if (!o.usable) return 0;
  const std::uint64_t ns = steady_ns(), tsc = read_tsc();
  if (ns - o.ns < 1'000'000 || tsc <= o.tsc) return 0;
  const double r = static_cast<double>(ns - o.ns) / static_cast<double>(tsc - o.tsc);
  rate.store(r, std::memory_order_relaxed);
  return r;
}

// A time record_call_since() returned, in nanoseconds; 0 while the tick rate is unknown.
inline double elapsed_ns(call_stamp start, std::uint64_t took) noexcept {
  return start.ticks ? ns_per_tick_now() * static_cast<double>(took) : static_cast<double>(took);
}
}  // namespace detail

/// Records one call on executor kind `k` of `items` items taking `wall_ns`.
inline void record_call(executor_kind k, std::uint64_t items, std::uint64_t wall_ns) noexcept {
  detail::count_call(k, items, wall_ns, 2);
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
  const double tick_ns = detail::ns_per_tick();
  std::array<std::uint64_t, executor_kind_count> ticks{};
  detail::each_thread_stats([&](const detail::thread_stats& b) {
    for (std::size_t i = 0; i < executor_kind_count; ++i) {
      s.by_kind[i].calls += b.now[i][0].load(std::memory_order_relaxed) - b.base[i][0];
      s.by_kind[i].items += b.now[i][1].load(std::memory_order_relaxed) - b.base[i][1];
      s.by_kind[i].wall_ns += b.now[i][2].load(std::memory_order_relaxed) - b.base[i][2];
      ticks[i] += b.now[i][3].load(std::memory_order_relaxed) - b.base[i][3];
    }
  });
  for (std::size_t i = 0; i < executor_kind_count; ++i)
    s.by_kind[i].wall_ns += static_cast<std::uint64_t>(static_cast<double>(ticks[i]) * tick_ns);
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
  s.explored = c.explored.load(std::memory_order_relaxed);
  s.explore_cost_ns = c.explore_cost_ns.load(std::memory_order_relaxed);
  return s;
}

/// Sets every counter back to zero.
inline void reset_statistics() noexcept {
  detail::each_thread_stats([](detail::thread_stats& b) {
    for (std::size_t i = 0; i < executor_kind_count; ++i)
      for (std::size_t j = 0; j < b.base[i].size(); ++j) b.base[i][j] = b.now[i][j].load(std::memory_order_relaxed);
  });
  auto& c = detail::stats_instance();
  c.probes.store(0, std::memory_order_relaxed);
  c.probed_items.store(0, std::memory_order_relaxed);
  c.explored.store(0, std::memory_order_relaxed);
  c.explore_cost_ns.store(0, std::memory_order_relaxed);
}

}  // namespace breakeven
