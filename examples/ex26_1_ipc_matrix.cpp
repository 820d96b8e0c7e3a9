// Example 26.1 of lecture 26 (multiprocessing, part 2), in C++: the IPC matrix. Light or heavy compute
// times small or large data, each quadrant timed on every executor - sequential, a thread
// pool, the process pool (items through the frames) and shared memory (items in the
// segment; only offsets cross) - beside the library's choice for it.
//
//   ex26_1_ipc_matrix [heavy_iterations]   default 10,000,000 (a heavy task: ~10-30 ms)
//
// The lecture's figures are Python's, where a heavy task is 200,000 square roots; in C++ the
// same wall time takes ~50 times as many, hence the scale. Large data is the lecture's list of
// 50,000 integers per task (400 KB here), which the process pool must copy through its
// frames and shared memory reads where the caller wrote it.
#include <breakeven/decide.hpp>
#include <breakeven/executor/sequential.hpp>
#include <breakeven/executor/shared_memory.hpp>
#include <breakeven/executor/thread_pool.hpp>
#include <breakeven/call.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace be = breakeven;

// Small data: two integers per task (the lecture's (taskId, value)).
struct small_task {
  static constexpr bool bitwise_transport = true;  // raw numbers: they travel as their bytes
  std::int64_t id;
  std::int64_t value;
};
// Large data: an id and a list of 50,000 integers.
struct large_task {
  static constexpr bool bitwise_transport = true;
  std::int64_t id;
  std::array<std::int64_t, 50'000> values;
};
struct result {
  static constexpr bool bitwise_transport = true;
  std::int64_t id;
  double total;
  friend bool operator==(const result&, const result&) = default;
};

// Lines 4-6: tiny compute, tiny data.
struct light_small {
  using input_type = small_task;
  using output_type = result;
  static constexpr auto cost = std::chrono::nanoseconds{5};
  result operator()(const small_task& t) const { return {t.id, static_cast<double>(t.value * 2)}; }
};
// Lines 7-10: heavy compute (square roots up to `value`), tiny data.
struct heavy_small {
  using input_type = small_task;
  using output_type = result;
  static constexpr auto cost = std::chrono::milliseconds{10};  // at the default size
  result operator()(const small_task& t) const {
    double total = 0;
    for (std::int64_t i = 0; i < t.value; ++i) total += std::sqrt(static_cast<double>(i));
    return {t.id, total};
  }
};
// Lines 11-13: tiny compute, huge IPC cost.
struct light_large {
  using input_type = large_task;
  using output_type = result;
  static constexpr auto cost = std::chrono::microseconds{15};
  result operator()(const large_task& t) const {
    std::int64_t s = 0;
    for (std::int64_t x : t.values) s += x;
    return {t.id, static_cast<double>(s)};
  }
};
// Lines 14-19: heavy compute (a square root per element, `passes` times), huge IPC cost.
struct heavy_large {
  using input_type = large_task;
  using output_type = result;
  static constexpr auto cost = std::chrono::milliseconds{10};  // at the default size
  static constexpr bool bitwise_transport = true;  // its parameter travels with each task
  std::int64_t passes = 200;
  result operator()(const large_task& t) const {
    double total = 0;
    for (std::int64_t p = 0; p < passes; ++p)
      for (std::int64_t x : t.values) total += std::sqrt(static_cast<double>(x + p));
    return {t.id, total};
  }
};

namespace {

using clock_type = std::chrono::steady_clock;

// The best of `runs` timings of `f`, in seconds.
template <class F>
double best_of(int runs, F&& f) {
  double best = 1e30;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = clock_type::now();
    f();
    best = std::min(best, std::chrono::duration<double>(clock_type::now() - t0).count());
  }
  return best;
}

struct executors {
  be::sequential_executor seq;
  be::thread_pool threads;
  be::shared_memory_pool shm;
};

constexpr be::executor_kind columns[] = {be::executor_kind::sequential, be::executor_kind::thread_pool,
                                         be::executor_kind::process_pool, be::executor_kind::shared_memory};

// Times one quadrant on every executor; prints a row. False when results differ.
template <class Op, class Task>
bool quadrant(const char* label, const Op& op, const std::vector<Task>& tasks, executors& ex, int runs) {
  const std::size_t n = tasks.size();
  std::vector<result> expect(n), got(n);
  // Shared memory gets its inputs the way a caller who chose it writes them: into the segment.
  auto shared_in = ex.shm.make_buffer<Task>(n);
  std::copy(tasks.begin(), tasks.end(), shared_in.begin());
  auto shared_out = ex.shm.make_buffer<result>(n);
  ex.shm.bulk_map(op, shared_in, shared_out.data());  // warm: workers map the segment
  ex.shm.processes().bulk_map(op, tasks, got.data());

  double t[4];
  t[0] = best_of(runs, [&] { ex.seq.bulk_map(op, tasks, expect.data()); });
  bool same = true;
  t[1] = best_of(runs, [&] { ex.threads.bulk_map(op, tasks, got.data()); });
  same = same && got == expect;
  t[2] = best_of(runs, [&] { ex.shm.processes().bulk_map(op, tasks, got.data()); });
  same = same && got == expect;
  t[3] = best_of(runs, [&] { ex.shm.bulk_map(op, shared_in, shared_out.data()); });
  same = same && std::equal(shared_out.begin(), shared_out.end(), expect.begin());

  // The library's choice with every pool warm, and with threads ruled out (the lecture's GIL:
  // a kernel that does not scale on threads), where the payload decides pipe or segment.
  be::call_options o;
  o.shm_segment_ready = ex.shm.segment_ready(n * (sizeof(Task) + sizeof(result)));
  const be::plan choice = be::decide(be::describe<Op>(), n, be::runtime_profile(), o);
  o.available[static_cast<std::size_t>(be::executor_kind::thread_pool)] = false;
  const be::plan no_threads = be::decide(be::describe<Op>(), n, be::runtime_profile(), o);

  std::printf("%-27s", label);
  for (std::size_t c = 0; c < 4; ++c) {
    const char mark = columns[c] == choice.kind ? '*' : columns[c] == no_threads.kind ? '+' : ' ';
    std::printf(" %9.2f ms%c", t[c] * 1e3, mark);
  }
  const double chosen = t[static_cast<std::size_t>(choice.kind)];
  const double ratio = t[0] / chosen;
  const char* verdict = ratio > 1.2 ? "[FASTER]" : choice.parallel() ? "[SLOWER or no gain]" : "[sequential]";
  std::printf("  %5.2fx %s\n", ratio, verdict);
  std::printf("    plan: %s\n", std::string(be::explain<2048>(choice).view()).c_str());
  std::printf("    without threads: %s\n", std::string(be::explain<2048>(no_threads).view()).c_str());
  if (!same) std::printf("    RESULTS DIFFER between executors\n");
  return same;
}

}  // namespace

int main(int argc, char** argv) {
  be::process_runtime::init(argc, argv);  // first thing: starts the fork server
  const std::int64_t heavy = argc > 1 ? std::atoll(argv[1]) : 10'000'000;
  if (heavy <= 0) {
    std::fprintf(stderr, "usage: %s [heavy_iterations > 0]\n", argv[0]);
    return 2;
  }
  const int runs = heavy >= 1'000'000 ? 3 : 1;
  const unsigned workers = std::max(2u, std::thread::hardware_concurrency());

  std::vector<small_task> small_tasks;  // line 21
  std::vector<large_task> large_tasks;  // line 22
  large_tasks.resize(8);
  for (std::int64_t i = 0; i < 8; ++i) {
    small_tasks.push_back({i, heavy});
    large_task& t = large_tasks[static_cast<std::size_t>(i)];
    t.id = i;
    for (std::size_t k = 0; k < t.values.size(); ++k) t.values[k] = static_cast<std::int64_t>(k);
  }
  const heavy_large heavy_op{std::max<std::int64_t>(1, heavy / 50'000)};

  executors ex{{}, be::thread_pool(workers), be::shared_memory_pool(workers)};
  std::printf("Example 26.1: IPC cost vs computation cost, 8 tasks, %u workers, best of %d\n", workers, runs);
  std::printf("(* the library's choice; + its choice if threads were ruled out; profile %s)\n\n",
              be::runtime_profile().name);
  std::printf("%-27s %12s %12s %12s %12s  %s\n", "", "sequential", "threads", "processes", "shared mem",
              "speedup of the choice");
  bool ok = true;
  ok &= quadrant("Heavy compute, small data", heavy_small{}, small_tasks, ex, runs);
  ok &= quadrant("Light compute, small data", light_small{}, small_tasks, ex, runs);
  ok &= quadrant("Heavy compute, large data", heavy_op, large_tasks, ex, runs);
  ok &= quadrant("Light compute, large data", light_large{}, large_tasks, ex, runs);
  std::printf("\n%s\n", ok ? "every executor computed the same results" : "RESULTS DIFFER");
  return ok ? 0 : 1;
}
