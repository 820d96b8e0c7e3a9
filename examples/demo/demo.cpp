// The main-job demo: the Python multiprocessing guide's kernels at several batch sizes; per row the plan, its
// deciding reason, and the measured time of every executor that can run the kernel, with
// the fastest marked and a verdict on whether the plan picked it (or came within 10%).
// The last time column is breakeven::map itself, deciding and running the call as a user's
// program would; the statistics at the end are of those calls.
//
//   breakeven-demo            the full table (about a minute on 2 cores)
//   breakeven-demo --quick    small batches only (the test run)
#include "../kernels/analytics.hpp"
#include "../kernels/data.hpp"
#include "../kernels/hash.hpp"
#include "../kernels/jwt.hpp"
#include "../kernels/legacy.hpp"
#include "../kernels/numerical.hpp"
#include "../kernels/pattern.hpp"

#include <breakeven/breakeven.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace be = breakeven;
namespace ex = breakeven::examples;

namespace {

using clock_type = std::chrono::steady_clock;

struct tally {
  int rows = 0, fastest = 0, within = 0;
};

// Median of `reps` runs of f, in nanoseconds; fewer runs when one run is long. Each run
// starts after 1 ms idle, as a call that arrives alone: the pools' workers have spun out
// their budget and sleep, as the plan assumes (it counts the wake-up).
template <class F>
double time_ns(F&& f) {
  std::vector<double> t;
  const auto idle = [] { std::this_thread::sleep_for(std::chrono::milliseconds(1)); };
  idle();
  const auto first0 = clock_type::now();
  f();  // warm-up, and a measure of how long one run takes
  const double first = std::chrono::duration<double, std::nano>(clock_type::now() - first0).count();
  const int reps = first > 2e8 ? 1 : first > 2e7 ? 3 : 7;
  if (reps == 1) return first;
  for (int r = 0; r < reps; ++r) {
    idle();
    const auto t0 = clock_type::now();
    f();
    t.push_back(std::chrono::duration<double, std::nano>(clock_type::now() - t0).count());
  }
  std::nth_element(t.begin(), t.begin() + reps / 2, t.end());
  return t[static_cast<std::size_t>(reps / 2)];
}

std::string fmt_ns(double ns) {
  be::detail::fixed_string<32> s;
  s.append_duration(ns);
  return std::string(s.view());
}

// Why the plan's executor beat the runner-up: estimates compared, margins, or the one admissible.
std::string deciding_reason(const be::plan& p) { return std::string(be::why_chosen(p).view()); }

template <class Kernel, class Items>
void row(tally& t, const Items& items) {
  using kt = be::kernel_traits<Kernel>;
  const Kernel k{};
  const std::size_t n = items.size();
  be::call_options o;
  o.threads_warm = true;  // every column runs on a warm pool
  o.processes_warm = true;
  const be::plan p = be::decide(be::describe<Kernel>(), n, be::runtime_profile(), o);

  std::array<std::optional<double>, be::executor_kind_count> measured{};
  auto& reg = be::executor_registry::instance();
  const auto run = [&](auto& executor, be::executor_kind kind) {
    const be::schedule s = p.of(kind).admissible ? be::schedule{p.of(kind).chunk, p.of(kind).workers, p.of(kind).dynamic}
                                                 : be::schedule{};
    std::vector<be::output_t<Kernel>> out(n);
    measured[static_cast<std::size_t>(kind)] = time_ns([&] { executor.bulk_map(k, items, out.begin(), s); });
  };
  // breakeven::map first: its pools are then as warm as the columns' (the same registry).
  const double automatic = time_ns([&] {
    const auto out = be::map(k, items);
    if (out.size() != n) std::abort();
  });
  run(reg.sequential(), be::executor_kind::sequential);
  if constexpr (be::admits_v<be::thread_pool, Kernel>) run(reg.threads(), be::executor_kind::thread_pool);
  if constexpr (be::admits_v<be::process_pool, Kernel>) run(reg.processes(), be::executor_kind::process_pool);
  if constexpr (be::admits_v<be::shared_memory_pool, Kernel>) run(reg.shared_memory(), be::executor_kind::shared_memory);

  std::size_t best = 0;
  for (std::size_t i = 0; i < measured.size(); ++i)
    if (measured[i] && *measured[i] < *measured[best]) best = i;
  const double chosen = *measured[static_cast<std::size_t>(p.kind)];
  const bool is_fastest = static_cast<std::size_t>(p.kind) == best;
  const bool close = chosen <= 1.10 * *measured[best];
  ++t.rows;
  t.fastest += is_fastest;
  t.within += close;

  std::printf("%-16.*s %8zu  %-13s", static_cast<int>(kt::name.size()), kt::name.data(), n,
              std::string(be::to_string(p.kind)).c_str());
  for (std::size_t i = 0; i < measured.size(); ++i) {
    if (!measured[i]) {
      std::printf(" %12s", "-");
      continue;
    }
    std::string cell = fmt_ns(*measured[i]);
    if (i == best) cell += "*";
    std::printf(" %12s", cell.c_str());
  }
  std::printf(" %12s", fmt_ns(automatic).c_str());
  std::printf("  %-14s %s\n", is_fastest ? "fastest" : close ? "within 10%" : "MISSED",
              deciding_reason(p).c_str());
}

}  // namespace

constexpr const char* usage =
    "usage: breakeven-demo [--quick]\n"
    "  Every example kernel at several batch sizes: the plan, its deciding reason, and the\n"
    "  measured time of every executor that can run it (about a minute on 2 cores).\n"
    "  --quick   small batches only (a few seconds)\n"
    "  --help    this text\n";

int main(int argc, char** argv) {
  be::process_runtime::init(argc, argv);  // the fork server, before any thread exists
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::fputs(usage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "breakeven-demo: unknown option %s\n%s", argv[i], usage);
      return 2;
    }
  }
  const auto& prof = be::runtime_profile();
  std::printf("breakeven demo: profile '%s', %u cores; wake-up %s, thread dispatch %s, process round trip %s\n",
              prof.name, prof.cores, fmt_ns(prof.wake_ns).c_str(), fmt_ns(prof.thread_dispatch_ns).c_str(),
              fmt_ns(prof.process_dispatch_ns).c_str());
  std::printf("Times are medians of up to 7 runs on warm pools, each after 1 ms idle (sleeping workers, as the\n"
              "plan assumes); * marks the fastest executor; map() is breakeven::map(kernel, items), which\n"
              "decides at each call and runs the plan.\n\n");
  std::printf("%-16s %8s  %-13s %12s %12s %12s %12s %12s  %-14s %s\n", "kernel", "batch", "plan", "sequential",
              "thread_pool", "process_pool", "shared_mem", "map()", "verdict", "deciding reason");

  tally t;
  const auto sizes = [&](std::initializer_list<std::size_t> full, std::initializer_list<std::size_t> small) {
    return quick ? std::vector<std::size_t>(small) : std::vector<std::size_t>(full);
  };
  for (std::size_t n : sizes({10, 100, 1'000, 100'000}, {10, 1'000}))
    row<ex::sha256_hash>(t, ex::make_buffers(n, 1));
  for (std::size_t n : sizes({10, 1'000, 100'000}, {10, 1'000})) row<ex::session_analytics>(t, ex::make_sessions(n, 2));
  for (std::size_t n : sizes({1, 4, 100, 1'000}, {1, 20})) row<ex::pattern_match>(t, ex::make_texts(n, 3));
  for (std::size_t n : sizes({10, 100, 10'000}, {10, 200})) row<ex::jwt_validate>(t, ex::make_tokens(n, 4).tokens);
  for (std::size_t n : sizes({1, 2, 8}, {1, 2})) {
    auto params = quick ? ex::make_integrals(n, 5, 20'000) : ex::make_integrals(n, 5);
    row<ex::oscillatory_integral>(t, params);
  }
  for (std::size_t n : sizes({100, 100'000}, {100})) row<ex::legacy_tokenize>(t, ex::make_log_lines(n, 6));

  std::printf("\nThe plan picked the fastest executor in %d of %d rows, and was within 10%% of it in %d.\n",
              t.fastest, t.rows, t.within);
  std::printf("\nStatistics of the breakeven::map calls in this run (warm-up runs included):\n%s",
              be::statistics().report().c_str());
  return 0;
}
