// bench/threads.cpp - the sequential executor against a hand-written loop, and the thread
// pool's round trips (spinning and asleep), start-up and speedup, side by side with OpenMP.
// Medians over many repetitions after a warm-up; figures compared as ratios are measured in
// the same run, in alternating blocks.
#include <breakeven/executor/sequential.hpp>
#include <breakeven/executor/thread_pool.hpp>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace be = breakeven;
using clk = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
}

double ns_since(clk::time_point t0) { return std::chrono::duration<double, std::nano>(clk::now() - t0).count(); }

// Keeps the compiler from eliding or merging the work around it.
inline void clobber() { asm volatile("" ::: "memory"); }

// Appends to `per_call` the mean time per call of `f` over each of `batches` batches of `calls`.
template <class F>
void time_batches(std::vector<double>& per_call, int batches, int calls, F&& f) {
  for (int b = 0; b < batches; ++b) {
    const auto t0 = clk::now();
    for (int c = 0; c < calls; ++c) f();
    per_call.push_back(ns_since(t0) / calls);
  }
}

struct tiny {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::nanoseconds{1};
  int operator()(const int& x) const { return x + 1; }
};

struct poly {
  using input_type = float;
  using output_type = float;
  static constexpr auto cost = std::chrono::nanoseconds{1};
  float operator()(const float& x) const { return x * (x * 0.5f + 1.0f) - 3.0f; }
};

// A fixed amount of arithmetic (a dependent chain): scales with cores, not with the clock.
struct heavy {
  using input_type = std::uint64_t;
  using output_type = std::uint64_t;
  static constexpr auto cost = std::chrono::milliseconds{1};
  std::uint64_t iterations;
  std::uint64_t operator()(const std::uint64_t& seed) const {
    std::uint64_t x = seed;
    for (std::uint64_t i = 0; i < iterations; ++i) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x;
  }
};

// Busy for a fixed time: a work item whose length does not depend on where it runs.
struct busy_for {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::milliseconds{2};
  std::chrono::nanoseconds length;
  int operator()(const int& x) const {
    const auto end = clk::now() + length;
    while (clk::now() < end) be::detail::cpu_relax();
    return x;
  }
};

[[gnu::noinline]] void hand_loop(const std::vector<float>& in, std::vector<float>& out) {
  const poly op;
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = op(in[i]);
}

[[gnu::noinline]] void executor_loop(const std::vector<float>& in, std::vector<float>& out) {
  be::sequential_executor{}.bulk_map(poly{}, in, out.begin());
}

void sequential_vs_loop() {
  std::vector<float> in(1 << 16), out(1 << 16);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(i % 1000) * 0.001f;
  std::vector<double> hand, exec;
  for (int rep = 0; rep < 600; ++rep) {
    const bool keep = rep >= 100;  // warm-up
    auto t0 = clk::now();
    hand_loop(in, out);
    clobber();
    if (keep) hand.push_back(ns_since(t0));
    t0 = clk::now();
    executor_loop(in, out);
    clobber();
    if (keep) exec.push_back(ns_since(t0));
  }
  std::printf("sequential_vs_loop: %.3f ratio\n", median(exec) / median(hand));
}

// Iterations of `heavy` that take ~1 ms here (the fastest of a few probes: the least disturbed).
std::uint64_t calibrate_heavy_iterations() {
  double best = 1e300;
  for (int probe = 0; probe < 9; ++probe) {
    const auto t0 = clk::now();
    volatile std::uint64_t sink = heavy{200'000}(static_cast<std::uint64_t>(probe));
    (void)sink;
    best = std::min(best, ns_since(t0));
  }
  return static_cast<std::uint64_t>(200'000 * 1e6 / best);
}

// Calls `f` until the pool's worker has taken `streak` hand-offs in a row (or 1 s has passed):
// a woken worker may wait behind the caller on its CPU until the scheduler moves it.
template <class F>
void warm_up(be::thread_pool& pool, int streak, F&& f) {
  const auto deadline = clk::now() + 1s;
  for (int row = 0; row < streak && clk::now() < deadline;) {
    const auto before = pool.stats().handoffs;
    f();
    row = pool.stats().handoffs != before ? row + 1 : 0;
  }
}

}  // namespace

int main() {
  sequential_vs_loop();

  // A pool of 2: one worker thread and the caller, as OpenMP's team of 2.
  std::vector<double> start;
  for (int rep = 0; rep < 20; ++rep) {
    std::array<int, 2> in{1, 2}, out{};
    const auto t0 = clk::now();
    std::optional<be::thread_pool> p(std::in_place, 2u);
    p->bulk_map(tiny{}, in, out.begin(), {.workers = 2});
    start.push_back(ns_since(t0));
  }
  std::printf("thread_start_us: %.1f us\n", median(start) / 1e3);

  be::thread_pool pool(2);
  std::array<int, 2> in{1, 2}, out{};
  const auto bulk_rt = [&] {
    pool.bulk_map(tiny{}, in, out.begin(), {.workers = 2});  // static: item 1 is the worker's
    clobber();
  };
  const auto submit_rt = [&] {
    out[0] = pool.submit(tiny{}, in[0]).get();
    clobber();
  };
  const auto submit_spin_rt = [&] {
    auto f = pool.submit(tiny{}, in[0]);
    be::spin_until_ready(f);
    out[0] = f.get();
    clobber();
  };
#if defined(_OPENMP)
  const auto omp_rt = [&] {
#pragma omp parallel for num_threads(2) schedule(static)
    for (int i = 0; i < 2; ++i) out[static_cast<std::size_t>(i)] = tiny{}(in[static_cast<std::size_t>(i)]);
    clobber();
  };
#endif

  // Alternating blocks, each after a pause long enough for the other side's workers to sleep
  // (libgomp spins for up to ~20 ms), each starting with a warm-up.
  std::vector<double> bulk, omp, submit, submit_spin;
  std::uint64_t handoffs = 0, calls = 0;
  for (int block = 0; block < 5; ++block) {
    std::this_thread::sleep_for(50ms);
    warm_up(pool, 2000, bulk_rt);
    const auto before = pool.stats();
    time_batches(bulk, 40, 200, bulk_rt);
    const auto after = pool.stats();
    handoffs += after.handoffs - before.handoffs;
    calls += after.bulk_calls - before.bulk_calls;
    for (int w = 0; w < 500; ++w) submit_rt();
    time_batches(submit, 20, 50, submit_rt);
    for (int w = 0; w < 500; ++w) submit_spin_rt();
    time_batches(submit_spin, 20, 50, submit_spin_rt);
#if defined(_OPENMP)
    std::this_thread::sleep_for(50ms);
    for (int w = 0; w < 2000; ++w) omp_rt();
    time_batches(omp, 40, 200, omp_rt);
#endif
  }
  const double rt = median(bulk);
  std::printf("thread_rt_us: %.3f us\n", rt / 1e3);
  std::printf("thread_rt_handoffs: %.3f ratio\n", static_cast<double>(handoffs) / static_cast<double>(calls));
  std::printf("thread_submit_rt_us: %.3f us\n", median(submit) / 1e3);
  std::printf("thread_submit_spin_rt_us: %.3f us\n", median(submit_spin) / 1e3);
#if defined(_OPENMP)
  std::printf("omp_rt_us: %.3f us\n", median(omp) / 1e3);
  std::printf("thread_rt_vs_omp: %.3f ratio\n", rt / median(omp));
#else
  std::printf("thread_rt_vs_omp: nan ratio\n");
#endif

  // Heavy items: 64 x ~1 ms over the pool of 2 against the sequential executor.
  {
    const heavy op{calibrate_heavy_iterations()};
    std::vector<std::uint64_t> seeds(64), seq_out(64), pool_out(64);
    for (std::size_t i = 0; i < seeds.size(); ++i) seeds[i] = i + 1;
    std::vector<double> seq_t, pool_t;
    pool.bulk_map(op, seeds, pool_out.begin());  // warm-up
    for (int rep = 0; rep < 5; ++rep) {
      auto t0 = clk::now();
      be::sequential_executor{}.bulk_map(op, seeds, seq_out.begin());
      seq_t.push_back(ns_since(t0));
      t0 = clk::now();
      pool.bulk_map(op, seeds, pool_out.begin());
      pool_t.push_back(ns_since(t0));
      if (seq_out != pool_out) std::printf("error: heavy results differ\n");
    }
    std::printf("thread_heavy_item_us: %.0f us\n", median(seq_t) / 64 / 1e3);
    std::printf("thread_speedup_heavy: %.3f ratio\n", median(seq_t) / median(pool_t));
  }

  // Asleep: the workers have been idle for longer than their spin budget. Items of 2 ms each
  // show how late a sleeping worker starts (round trip minus the item; the caller takes the
  // lane back when the worker is later than its own item); tiny items show that the caller
  // does not wait for it; submit() waits for it.
  {
    const busy_for item{2ms};
    std::vector<double> awake, asleep, tiny_asleep, submit_asleep;
    std::uint64_t woke_in_time = 0;
    constexpr int reps = 25;
    for (int rep = 0; rep < reps; ++rep) {
      std::this_thread::sleep_for(2ms);
      const auto before = pool.stats().handoffs;
      auto t0 = clk::now();
      pool.bulk_map(item, in, out.begin(), {.workers = 2});
      asleep.push_back(ns_since(t0) - 2e6);
      woke_in_time += pool.stats().handoffs - before;
      t0 = clk::now();
      pool.bulk_map(item, in, out.begin(), {.workers = 2});
      awake.push_back(ns_since(t0) - 2e6);
      std::this_thread::sleep_for(2ms);
      t0 = clk::now();
      bulk_rt();
      tiny_asleep.push_back(ns_since(t0));
      std::this_thread::sleep_for(2ms);
      t0 = clk::now();
      submit_rt();
      submit_asleep.push_back(ns_since(t0));
    }
    std::printf("thread_wake_us: %.1f us\n", median(asleep) / 1e3);
    std::printf("thread_wake_in_time: %.3f ratio\n", static_cast<double>(woke_in_time) / reps);
    std::printf("thread_awake_overhead_us: %.1f us\n", median(awake) / 1e3);
    std::printf("thread_wake_tiny_us: %.1f us\n", median(tiny_asleep) / 1e3);
    std::printf("thread_submit_wake_us: %.1f us\n", median(submit_asleep) / 1e3);
  }

  // A short batch on a sleeping pool: 8 items of 100 us after 2 ms idle, with the woken worker
  // steered off the caller's CPU (the default) and, side by side, left where the operating
  // system puts it. The ratio is sequential time / pool time, each the median of 25 calls.
  {
    const busy_for item{100us};
    std::vector<int> in8(8), out8(8);
    be::thread_pool steered(2), unsteered(2);
    unsteered.steer_wakes(false);
    std::vector<double> seq_t, steered_t, unsteered_t;
    for (int rep = 0; rep < 25; ++rep) {
      auto t0 = clk::now();
      be::sequential_executor{}.bulk_map(item, in8, out8.begin());
      seq_t.push_back(ns_since(t0));
      for (auto [p, times] : {std::pair{&steered, &steered_t}, std::pair{&unsteered, &unsteered_t}}) {
        std::this_thread::sleep_for(2ms);
        t0 = clk::now();
        p->bulk_map(item, in8, out8.begin(), {.workers = 2});
        times->push_back(ns_since(t0));
      }
    }
    std::printf("thread_speedup_asleep_8x100us: %.3f ratio\n", median(seq_t) / median(steered_t));
    std::printf("thread_speedup_asleep_8x100us_unsteered: %.3f ratio\n", median(seq_t) / median(unsteered_t));
  }
  return 0;
}
