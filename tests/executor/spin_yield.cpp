// Spinning yields to runnable threads: once it has waited for its CPU behind another thread
// (ran for less than the time that passed, without blocking), an idle pool worker stops
// spinning and sleeps at once, whatever its spin budget, so that the caller it just
// answered (or any other thread) gets a CPU. No timing is asserted: the budget is 60 s, and
// the workers must park while busy threads oversubscribe the CPUs.
#include <breakeven/detail/sys.hpp>
#include <breakeven/executor/spin.hpp>
#include <breakeven/executor/thread_pool.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <unistd.h>

namespace be = breakeven;
using namespace std::chrono_literals;

namespace {

// One spinning thread more than the machine has CPUs, until destroyed.
class oversubscribe {
 public:
  oversubscribe() {
    const auto cpus = static_cast<unsigned>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
    for (unsigned i = 0; i <= cpus; ++i)
      threads_.emplace_back([this] {
        while (!stop_.load(std::memory_order_relaxed)) {
        }
      });
  }
  ~oversubscribe() {
    stop_ = true;
    for (auto& t : threads_) t.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

struct increment {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{1};
  int operator()(const int& x) const { return x + 1; }
};

}  // namespace

TEST_CASE("with the rule off, a spinner never sees the CPUs oversubscribed", "[spin]") {
  oversubscribe busy;
  be::detail::spin_yields() = false;
  be::detail::spin_timer timer(200ms, true);
  const auto t0 = std::chrono::steady_clock::now();
  while (!timer.poll()) {
  }
  CHECK(std::chrono::steady_clock::now() - t0 >= 200ms);  // its whole budget
  be::detail::spin_yields() = true;
}

TEST_CASE("a thread's CPU time and its blocks are read", "[spin]") {
  CHECK(be::detail::online_cpus() >= 1);
  const auto before = be::detail::this_thread_usage();
  REQUIRE(before.cpu_us >= 0);
  REQUIRE(before.voluntary_switches >= 0);
  std::this_thread::sleep_for(2ms);  // blocks once
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < 20ms) be::detail::cpu_relax();
  const auto after = be::detail::this_thread_usage();
  CHECK(after.voluntary_switches > before.voluntary_switches);
  CHECK(after.cpu_us > before.cpu_us);
}

TEST_CASE("a spinner that no thread waits behind spins its whole budget", "[spin]") {
  be::detail::spin_yields() = true;
  const auto before = be::detail::this_thread_usage();
  be::detail::spin_timer timer(20ms, true);
  const auto t0 = std::chrono::steady_clock::now();
  while (!timer.poll()) {
  }
  const auto spun = std::chrono::steady_clock::now() - t0;
  const auto after = be::detail::this_thread_usage();
  // Other threads running elsewhere on the machine (say, other tests) do not end it early:
  // only a wait of this thread for its CPU does.
  const long long waited_us =
      std::chrono::duration_cast<std::chrono::microseconds>(spun).count() - (after.cpu_us - before.cpu_us);
  CHECK((spun >= 20ms || waited_us > be::detail::oversubscribed_wait_us));
}

TEST_CASE("a yielding spin budget ends early while the CPUs are oversubscribed", "[spin]") {
  be::detail::spin_yields() = true;  // whatever BREAKEVEN_SPIN_YIELD says
  oversubscribe busy;
  be::detail::spin_timer timer(60s, true);
  const auto t0 = std::chrono::steady_clock::now();
  bool ended = false;
  while (!ended && std::chrono::steady_clock::now() - t0 < 30s) ended = timer.poll();
  CHECK(ended);
}

TEST_CASE("idle thread-pool workers sleep at once while the CPUs are oversubscribed", "[spin][thread_pool]") {
  be::detail::spin_yields() = true;
  be::thread_pool pool(2, 60s);  // without the rule they would spin for a minute
  std::vector<int> in(64, 1), out(64);
  oversubscribe busy;
  pool.bulk_map(increment{}, in, out.begin(), be::schedule{.chunk = 16});
  // Until no worker spins at two looks 10 ms apart: a worker rung for a lane its caller took
  // back is neither spinning nor parked while it wakes, and spins a moment once awake.
  const auto t0 = std::chrono::steady_clock::now();
  for (int quiet = 0; quiet < 2 && std::chrono::steady_clock::now() - t0 < 30s;) {
    std::this_thread::sleep_for(10ms);
    quiet = pool.spinning_workers() == 0 ? quiet + 1 : 0;
  }
  CHECK(pool.spinning_workers() == 0);
  CHECK(pool.stats().parks >= 1);
  CHECK(out[0] == 2);
}
