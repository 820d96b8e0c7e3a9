// 020-analytics.cpp - per-session statistics over event records (the Python multiprocessing guide: "Analytics
// calculation, <1 ms/batch: never beneficial"). Prints the compile-time choice and the plans,
// then summarises a batch of sessions.
//   020-analytics [batch size, default 10000]
#include "show.hpp"

#include <kernels/analytics.hpp>
#include <kernels/data.hpp>

#include <breakeven/select.hpp>

#include <cstdio>
#include <type_traits>

namespace be = breakeven;
namespace ex = breakeven::examples;
using guide = be::profiles::python_guide;

// The guide's example: 1,000 analytics items stay sequential under 100 ms per parallel call.
static_assert(std::is_same_v<be::select_t<ex::session_analytics, 1'000, guide>, be::sequential_executor>);
static_assert(be::break_even_v<ex::session_analytics, guide> == 300'000'000 / be::cost_ns_v<ex::session_analytics>);
// Sessions vary in length: a parallel plan claims small chunks dynamically.
static_assert(be::static_plan_v<ex::session_analytics, 1'000'000, guide>.dynamic);

int main(int argc, char** argv) {
  const std::size_t n = ex::batch_argument(argc, argv, 10'000);
  ex::show_plans<ex::session_analytics>({1'000, 100'000, 1'000'000});

  const auto sessions = ex::make_sessions(n, 2);
  std::printf("\nanalytics over %zu sessions\n", n);
  const auto summaries = ex::run_sequential(ex::session_analytics{}, sessions);
  if (!ex::run_map(ex::session_analytics{}, sessions, summaries)) return 1;
  std::size_t records = 0, counted = 0, errors = 0;
  double sum = 0, worst_p95 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    records += sessions[i].size();
    counted += summaries[i].count;
    errors += summaries[i].errors;
    sum += summaries[i].sum;
    if (summaries[i].p95 > worst_p95) worst_p95 = summaries[i].p95;
  }
  std::printf("checksum: %zu records, %zu server errors, value sum %.3f, worst p95 %.3f\n", counted, errors, sum,
              worst_p95);
  if (counted != records) {
    std::printf("FAILED: the summaries count %zu records of %zu\n", counted, records);
    return 1;
  }
}
