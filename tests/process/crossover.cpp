// The crossover profiler (tools/crossover) over the library's own executors: its runners
// compute what sequential computes, and a small sweep fills every point consistently (the
// measured fastest is the least time, the plan is decide()'s, agreement follows from both).
// Speed is not asserted here; bench_crossover and breakeven-crossover report it.
#include "../../tools/crossover/crossover.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace be = breakeven;
namespace xo = breakeven::crossover;

TEST_CASE("crossover profiler: every runner computes what sequential computes", "[crossover]") {
  std::vector<std::uint64_t> in(100);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = 1 + (i * 37) % 500;
  std::vector<std::uint64_t> expected(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) expected[i] = xo::simulate_work(in[i]);

  for (const bool library : {true, false}) {
    auto runners = xo::make_runners(2, {.library_thread_pool = library, .library_process_pool = library});
    REQUIRE(runners.size() == 3);
    CHECK(runners[0]->kind == be::executor_kind::sequential);
    CHECK(runners[1]->kind == be::executor_kind::thread_pool);
    CHECK(runners[2]->kind == be::executor_kind::process_pool);
    for (const be::candidate c : {be::candidate{.workers = 2, .chunk = 7}, be::candidate{.workers = 2, .chunk = 3, .dynamic = true},
                                  be::candidate{.workers = 1, .chunk = 100}}) {
      for (auto& r : runners) {
        INFO("library " << library << ", " << be::to_string(r->kind) << ", chunk " << c.chunk);
        std::vector<std::uint64_t> out(in.size(), 0);
        r->run(in, out, c);
        CHECK(out == expected);
      }
    }
  }
}

TEST_CASE("crossover profiler: a small sweep over the library's pools is consistent", "[crossover]") {
  const be::machine_profile& profile = be::profiles::conservative::value;
  xo::sweep_options opt;
  opt.durations_ns = {2e3, 2e5};
  opt.batches = {8, 64};
  opt.idle_gap_ns = 2e5;
  opt.attempts = 1;
  std::size_t progress_calls = 0;
  opt.progress = [&](const xo::point&, std::size_t k, std::size_t n) {
    ++progress_calls;
    CHECK(k == progress_calls);
    CHECK(n == 4);
  };
  const auto points = xo::sweep(profile, opt);
  REQUIRE(points.size() == 4);
  CHECK(progress_calls == 4);

  for (const auto& p : points) {
    INFO(p.task_ns << " ns x " << p.batch);
    for (auto k : {be::executor_kind::sequential, be::executor_kind::thread_pool, be::executor_kind::process_pool}) {
      REQUIRE_FALSE(std::isnan(p.time(k)));
      CHECK(p.time(k) > 0);
    }
    CHECK(std::isnan(p.time(be::executor_kind::shared_memory)));  // not available to the profiler
    CHECK(p.time(p.fastest) == std::min({p.time(be::executor_kind::sequential), p.time(be::executor_kind::thread_pool),
                                         p.time(be::executor_kind::process_pool)}));
    const be::plan pl = be::decide(xo::profiler_kernel(p.task_ns), p.batch, profile, xo::profiler_call_options());
    CHECK(p.planned == pl.kind);
    CHECK(p.agrees() == (p.time(p.planned) <= 1.10 * p.time(p.fastest)));
    // The items took real time on one CPU: their duration, give or take how much faster the
    // machine ran than when the sweep measured its speed (a loaded CI machine varies).
    CHECK(p.time(be::executor_kind::sequential) >= 0.1 * p.task_ns * static_cast<double>(p.batch));
  }
  const double share = xo::agreement(points);
  CHECK(share == static_cast<double>(std::count_if(points.begin(), points.end(), [](const xo::point& p) { return p.agrees(); })) / 4);

  // The plan's crossover: sequential just below it, parallel from it; a larger batch crosses earlier.
  const double cross8 = xo::planned_crossover_ns(profile, 8), cross64 = xo::planned_crossover_ns(profile, 64);
  REQUIRE_FALSE(std::isnan(cross8));
  REQUIRE_FALSE(std::isnan(cross64));
  CHECK(cross64 < cross8);
  CHECK(be::decide(xo::profiler_kernel(cross8), 8, profile, xo::profiler_call_options()).kind != be::executor_kind::sequential);
  CHECK(be::decide(xo::profiler_kernel(cross8 * 0.98), 8, profile, xo::profiler_call_options()).kind ==
        be::executor_kind::sequential);

  const std::string table = xo::table(points, profile);
  CHECK(table.find("batch     8: measured crossover") != std::string::npos);
  CHECK(table.find("batch    64: measured crossover") != std::string::npos);
  CHECK(table.find("profile \"conservative\"") != std::string::npos);
  const std::string data = xo::plot_data(points);
  CHECK(std::count(data.begin(), data.end(), '\n') == 4 + 2);  // 4 rows, two blocks apart
}
