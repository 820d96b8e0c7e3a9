// breakeven/executor/spin.hpp - polite busy-waiting: a pause per poll, a time budget, then sleep.
//
// Waking a thread that sleeps on another core costs tens of microseconds on a virtual
// machine whose idle CPUs halt (~60 us measured); a thread that spins sees new work in well
// under one. Pool workers and callers waiting on them therefore spin for a bounded budget
// before they sleep, as OpenMP runtimes do.
#pragma once

#include <breakeven/detail/sys.hpp>

#include <chrono>
#include <future>

namespace breakeven {

/// How long an idle pool worker, or a caller waiting on workers, spins before it sleeps.
inline constexpr std::chrono::nanoseconds default_spin_budget{100'000};

namespace detail {

/// A spin budget being used up: `poll()` pauses once and says whether the budget is spent.
/// The clock is read every 64 polls only, so a poll costs about one pause instruction.
class spin_timer {
 public:
  /// `yields`: the budget also ends once this thread has waited for its CPU behind another
  /// (an idle worker's spin: it would hold a CPU that another thread needs).
  explicit spin_timer(std::chrono::nanoseconds budget, bool yields = false) noexcept
      : start_(std::chrono::steady_clock::now()), budget_(budget), yields_(yields) {}

  /// Pauses once; true when the budget has run out (or, yielding, the CPUs are oversubscribed).
  bool poll() noexcept {
    cpu_relax();
    if ((++polls_ & 63u) != 0) return budget_.count() <= 0;
    return std::chrono::steady_clock::now() - start_ >= budget_ || (yields_ && cpus_oversubscribed());
  }

  /// Starts the budget again (after work was found).
  void restart() noexcept {
    start_ = std::chrono::steady_clock::now();
    polls_ = 0;
  }

 private:
  std::chrono::steady_clock::time_point start_;
  std::chrono::nanoseconds budget_;
  bool yields_;
  unsigned polls_ = 0;
};

}  // namespace detail

/// Spins until `f` is ready or `budget` has passed; true when it is ready. A
/// std::future's get() sleeps at once when the value is not there yet, and the wake-up that
/// follows costs a cross-core round trip; call this first when the result is expected soon.
template <class T>
bool spin_until_ready(const std::future<T>& f, std::chrono::nanoseconds budget = default_spin_budget) {
  detail::spin_timer timer(budget);
  for (;;) {
    if (f.wait_for(std::chrono::seconds(0)) == std::future_status::ready) return true;
    if (timer.poll()) return false;
  }
}

}  // namespace breakeven
