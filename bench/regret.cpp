// The decision's regret: for a grid of kernels (costs, batch sizes, payloads, thread-safe and
// not, fixed and variable item sizes, low and high variance, declared and unknown cost), every
// admissible executor is timed forced and `map` is timed choosing, under the same conditions
// (each call after 1 ms idle, map's calls and the forced ones taking turns), in one run. The
// regret of a call is its time over the best forced executor's median time in that cell.
// A thread-safe kernel has no process executor built for it, so map never plans one there:
// the always-processes baselines take those cells' process times from the shared pools named
// per call, and the best forced executor is one map may choose.
//
//   regret_geomean_first_call   map's first call of a cell, nothing learned (geometric mean)
//   regret_geomean_learned      map's calls of a cell after learning from the first nine: the
//                               median of its 10th, 11th and 12th calls over every round
//   regret_worst_learned        the worst cell's learned figure
//   regret_geomean_<baseline>   static rules on the same grid, from the forced timings:
//                               always sequential, always threads (sequential where threads are
//                               inadmissible), always processes (process pool, else shared
//                               memory, else sequential), the guide's 300 ms rule (processes
//                               when the work is estimated past 300 ms), a 500 us threshold
//                               (threads, else processes, when batch x cost > 500 us)
//   explored_share              the share of map's calls that explored a runner-up
//   explore_cost_share          what they took beyond the winners' estimates / all map time
//
// Each cell's line gives the forced medians (0: inadmissible) and what map's first and 10th
// calls ran (in the last round), read from the statistics. One call of a few
// milliseconds swings by 10 - 30% on a shared 2-core machine, so every figure is a median:
// the forced times of each executor (one forced call after each of map's calls, the
// executors in rotation: 60 calls shared among them in 5 rounds), the first call of every
// round, the learned calls (three per round) of every round.
//
// Writes <dir>/regret.dat (one row per cell), which docs/regret.gp draws as a heat map.
// Usage: bench_regret [dir] [rounds]; dir defaults to this program's folder; rounds
// (default 5): how many times each cell's twelve calls are repeated from nothing learned.
// BREAKEVEN_REGRET_TRACE=1 prints every call of map to stderr.
#include <breakeven/api.hpp>
#include <breakeven/ipc/runtime.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace be = breakeven;
using be::executor_kind;
using clock_type = std::chrono::steady_clock;

namespace {

// Spins for `ns` nanoseconds of wall time, folding the item's bytes in (so they are read).
inline std::uint64_t spin(double ns, const char* bytes, std::size_t size) {
  std::uint64_t h = 1469598103934665603ull;
  for (std::size_t i = 0; i < size; i += 64) h = (h ^ static_cast<unsigned char>(bytes[i])) * 1099511628211ull;
  const auto until = clock_type::now() + std::chrono::nanoseconds(static_cast<long long>(ns));
  while (clock_type::now() < until) h = h * 6364136223846793005ull + 1;
  return h;
}

// Item costs of a high-variance kernel: spread uniformly over [0.2, 1.8] x the mean.
inline double spread_factor(const char* bytes) { return 0.2 + 1.6 * static_cast<unsigned char>(bytes[0]) / 255.0; }

// A busy kernel: `Ns` per item (declared, or unknown when `Declared` is false), `Bytes` of input.
template <long long Ns, std::size_t Bytes, bool Safe, be::variance V = be::variance::low, bool Declared = true>
struct busy {
  using input_type = std::array<char, Bytes>;
  using output_type = std::uint64_t;
  static constexpr auto cost = [] {
    if constexpr (Declared) return std::chrono::nanoseconds{Ns};
    else return be::unknown_cost;
  }();
  static constexpr be::variance variance = V;
  static constexpr bool thread_safe = Safe;
  std::uint64_t operator()(const input_type& x) const {
    const double f = V == be::variance::high ? spread_factor(x.data()) : 1.0;
    return spin(static_cast<double>(Ns) * f, x.data(), x.size());
  }
};

// Variable-size strings (1 - 8 KiB): cost per byte, thread-safe or not.
template <bool Safe>
struct text_scan {
  using input_type = std::string;
  using output_type = std::uint64_t;
  static constexpr auto cost = std::chrono::nanoseconds{20'000};  // at 4 KiB
  static constexpr std::size_t representative_bytes = 4096;
  static constexpr std::size_t bytes_in(const std::string& s) noexcept { return s.size(); }
  static constexpr bool thread_safe = Safe;
  std::uint64_t operator()(const std::string& s) const {
    return spin(20'000.0 * static_cast<double>(s.size()) / 4096.0, s.data(), s.size());
  }
};

struct cell_result {
  std::string name;
  double work_ns = 0;                                     // estimated sequential work
  std::array<double, be::executor_kind_count> forced{};   // median ns; 0: the executor cannot run it
  std::array<bool, be::executor_kind_count> planned{};    // an executor map may choose
  double first_ns = 0;                                    // median of the first calls, every round
  double learned_ns = 0;                                  // median of the 10th - 12th calls, every round
  executor_kind first_kind{}, learned_kind{};             // what map's first and 10th calls ran (last round)
  double best() const {
    double b = 0;
    for (std::size_t i = 0; i < forced.size(); ++i)
      if (planned[i] && forced[i] > 0 && (b == 0 || forced[i] < b)) b = forced[i];
    return b;
  }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

void idle() { std::this_thread::sleep_for(std::chrono::milliseconds(1)); }

template <class F>
double timed(F&& f) {
  idle();
  const auto t0 = clock_type::now();
  f();
  return std::chrono::duration<double, std::nano>(clock_type::now() - t0).count();
}

constexpr int calls_per_round = 12;
constexpr int learned_from = 9;  // the 10th call: nine calls have taught the decision

// BREAKEVEN_REGRET_TRACE=1: every call of map to stderr (cell, round, call, what ran, time).
const bool trace = [] {
  const char* v = std::getenv("BREAKEVEN_REGRET_TRACE");
  return v != nullptr && std::strcmp(v, "1") == 0;
}();

std::uint64_t map_calls = 0;
double map_time_ns = 0;

// The executor that ran the calls between two snapshots of the statistics (read outside the
// timed call: a plan hook would take map off its sequential fast path, and cost it time the
// forced calls do not pay).
executor_kind ran_between(const be::statistics_snapshot& before, const be::statistics_snapshot& after) {
  for (executor_kind k : be::all_executor_kinds)
    if (after[k].calls != before[k].calls) return k;
  return executor_kind::sequential;
}

template <class Op, class Items>
cell_result run_cell(const std::string& name, const Items& items, int rounds) {
  cell_result r;
  r.name = name;
  const be::kernel_desc d = be::detail::describe_batch<Op>(items);
  r.work_ns = d.cost_ns > 0 ? d.cost_ns * static_cast<double>(items.size()) : 0;
  volatile std::uint64_t sink = 0;
  // Every admissible executor, forced, learning nothing, and map choosing, take turns: after
  // each of map's calls one forced call, the executors in rotation, so that a slow moment of
  // the machine (they last longer than a call here) falls on map and on every executor
  // alike. (Timing the executors first and map after made a cell's regret swing by 20% from
  // one run to the next, the same executor measuring 3.0 ms in one phase and 3.6 ms in the
  // other.) A warm-up call each first. The best of several medians is biased low (the
  // luckiest of them), which a chooser that runs one executor cannot match even when it
  // always picks a fastest one: the more samples, the smaller that bias.
  // A thread-safe kernel has no process executor built for it (map never plans one): the
  // static baselines that always use processes still get their times, from the shared pools
  // named per call (their own chunking), in the same rotation; regret is over map's choices.
  const be::plan p = be::decide(d, items.size(), be::runtime_profile());
  std::vector<executor_kind> admissible;
  for (executor_kind k : be::all_executor_kinds) {
    r.planned[static_cast<std::size_t>(k)] = p.of(k).admissible;
    const bool named = p.of(k).why_not == be::refusal::threads_suffice &&
                       (k == executor_kind::process_pool ? be::admits_v<be::process_pool, Op>
                                                         : be::admits_v<be::shared_memory_pool, Op>);
    if (p.of(k).admissible || named) admissible.push_back(k);
  }
  std::array<std::vector<double>, be::executor_kind_count> forced;
  const auto run_forced = [&](executor_kind k) {
    if (!r.planned[static_cast<std::size_t>(k)]) {
      auto& reg = be::executor_registry::instance();
      if constexpr (be::admits_v<be::process_pool, Op>)
        if (k == executor_kind::process_pool)
          return timed([&] { sink = sink + be::map(Op{}, items, reg.processes()).back(); });
      if constexpr (be::admits_v<be::shared_memory_pool, Op>)
        if (k == executor_kind::shared_memory)
          return timed([&] { sink = sink + be::map(Op{}, items, reg.shared_memory()).back(); });
    }
    const be::call_options o{.force = true, .forced = k, .learn = false};
    return timed([&] { sink = sink + be::map(Op{}, items, o).back(); });
  };
  for (executor_kind k : admissible) (void)run_forced(k);
  std::size_t turn = 0;
  // map choosing: `rounds` times twelve calls, each round from nothing learned.
  std::vector<std::vector<double>> per_call(calls_per_round);
  for (int round = 0; round < rounds; ++round) {
    be::learned_corrections().of<Op>().reset();
    be::learned_costs::global().of<Op>().reset();
    for (int c = 0; c < calls_per_round; ++c) {
      const auto before = be::statistics();
      const double ns = timed([&] { sink = sink + be::map(Op{}, items).back(); });
      const executor_kind ran = ran_between(before, be::statistics());
      per_call[static_cast<std::size_t>(c)].push_back(ns);
      if (trace) std::fprintf(stderr, "%s r%d c%d %s%s %.0f us\n", name.c_str(), round, c, std::string(be::to_string(ran)).c_str(),
                              c >= learned_from ? " learned" : "", ns / 1e3);
      if (c == 0) r.first_kind = ran;
      if (c == learned_from) r.learned_kind = ran;
      ++map_calls;
      map_time_ns += ns;
      const executor_kind k = admissible[turn++ % admissible.size()];
      forced[static_cast<std::size_t>(k)].push_back(run_forced(k));
    }
  }
  for (executor_kind k : be::all_executor_kinds) r.forced[static_cast<std::size_t>(k)] = median(forced[static_cast<std::size_t>(k)]);
  r.first_ns = median(per_call.front());
  std::vector<double> learned;
  for (int c = learned_from; c < calls_per_round; ++c)
    learned.insert(learned.end(), per_call[static_cast<std::size_t>(c)].begin(), per_call[static_cast<std::size_t>(c)].end());
  r.learned_ns = median(learned);
  return r;
}

template <std::size_t Bytes>
std::vector<std::array<char, Bytes>> fixed_items(std::size_t n) {
  std::vector<std::array<char, Bytes>> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i].fill(static_cast<char>((i * 97 + 13) & 0xff));
  return v;
}

std::vector<std::string> text_items(std::size_t n) {
  std::vector<std::string> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i].assign(1024 + (i * 2654435761u) % 7168, static_cast<char>('a' + i % 26));
  return v;
}

template <long long Ns, std::size_t Bytes, bool Safe, be::variance V = be::variance::low, bool Declared = true>
void cell(std::vector<cell_result>& out, std::size_t n, int rounds) {
  char name[96];
  std::snprintf(name, sizeof name, "%s%lldus_%zux%zuB%s%s", Safe ? "safe_" : "unsafe_", Ns / 1000, n, Bytes,
                V == be::variance::high ? "_highvar" : "", Declared ? "" : "_unknown");
  out.push_back(run_cell<busy<Ns, Bytes, Safe, V, Declared>>(name, fixed_items<Bytes>(n), rounds));
  std::fflush(stdout);
}

double geomean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += std::log(x);
  return v.empty() ? 0 : std::exp(s / static_cast<double>(v.size()));
}

// The executor a static rule picks in a cell (sequential where its pick is inadmissible).
double rule_time(const cell_result& c, executor_kind k) {
  const double t = c.forced[static_cast<std::size_t>(k)];
  return t > 0 ? t : c.forced[0] > 0 ? c.forced[0] : c.best();
}
double processes_time(const cell_result& c) {
  for (executor_kind k : {executor_kind::process_pool, executor_kind::shared_memory})
    if (c.forced[static_cast<std::size_t>(k)] > 0) return c.forced[static_cast<std::size_t>(k)];
  return rule_time(c, executor_kind::sequential);
}
double parallel_time(const cell_result& c) {
  if (c.forced[1] > 0) return c.forced[1];
  return processes_time(c);
}

}  // namespace

int main(int argc, char** argv) {
  be::process_runtime::init(argc, argv);
  // Without a folder, regret.dat goes beside this program (under the build folder), never
  // into the directory it was started from (the checkout, under scripts/bench_against).
  std::error_code exe_error;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", exe_error);
  const std::string dir = argc > 1 ? argv[1] : exe_error ? std::string(".") : exe.parent_path().string();
  const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  be::executor_registry::instance().threads();   // started: every executor warm, as in a service
  be::executor_registry::instance().processes();
  be::reset_statistics();
  std::vector<cell_result> cells;
  const auto t0 = clock_type::now();

  using be::variance;
  // Cheap, medium and dear items; small and large batches; small and large payloads.
  cell<1'000, 16, true>(cells, 16, rounds);
  cell<1'000, 16, true>(cells, 2'048, rounds);
  cell<1'000, 16, false>(cells, 2'048, rounds);
  cell<20'000, 16, true>(cells, 16, rounds);
  cell<20'000, 16, true>(cells, 256, rounds);
  cell<20'000, 16, false>(cells, 256, rounds);
  cell<20'000, 65'536, true>(cells, 64, rounds);
  cell<20'000, 65'536, false>(cells, 64, rounds);
  cell<20'000, 65'536, false>(cells, 256, rounds);
  cell<200'000, 16, true>(cells, 16, rounds);
  cell<200'000, 16, false>(cells, 16, rounds);
  cell<200'000, 16, true>(cells, 256, rounds);
  cell<200'000, 16, false>(cells, 256, rounds);
  cell<200'000, 65'536, false>(cells, 64, rounds);
  cell<2'000'000, 16, true>(cells, 4, rounds);
  cell<2'000'000, 16, false>(cells, 16, rounds);
  // High variance, and costs the kernel does not declare.
  cell<20'000, 16, true, variance::high>(cells, 256, rounds);
  cell<20'000, 16, false, variance::high>(cells, 256, rounds);
  cell<20'000, 16, true, variance::low, false>(cells, 256, rounds);
  cell<1'000, 16, true, variance::low, false>(cells, 2'048, rounds);
  cell<200'000, 16, false, variance::low, false>(cells, 64, rounds);
  // Variable-size strings, thread-safe and not.
  cells.push_back(run_cell<text_scan<true>>("safe_text_256x1-8KiB", text_items(256), rounds));
  cells.push_back(run_cell<text_scan<false>>("unsafe_text_256x1-8KiB", text_items(256), rounds));

  const double seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
  std::vector<double> first, learned, seq, threads, procs, rule300, thr500;
  double worst = 0;
  std::string worst_name;
  std::ofstream dat(dir + "/regret.dat");
  dat << "# bench/regret.cpp: regret (time / best forced time) per cell; scripts/bench regret\n"
      << "# cell first learned always_seq always_threads always_processes rule_300ms threshold_500us\n";
  for (const auto& c : cells) {
    const double best = c.best();
    const double f = c.first_ns / best, l = c.learned_ns / best;
    first.push_back(f);
    learned.push_back(l);
    if (l > worst) worst = l, worst_name = c.name;
    seq.push_back(rule_time(c, executor_kind::sequential) / best);
    threads.push_back(rule_time(c, executor_kind::thread_pool) / best);
    procs.push_back(processes_time(c) / best);
    rule300.push_back((c.work_ns > 300e6 ? processes_time(c) : rule_time(c, executor_kind::sequential)) / best);
    thr500.push_back((c.work_ns > 500e3 ? parallel_time(c) : rule_time(c, executor_kind::sequential)) / best);
    char line[256];
    std::snprintf(line, sizeof line, "%s %.4f %.4f %.4f %.4f %.4f %.4f %.4f\n", c.name.c_str(), f, l, seq.back(),
                  threads.back(), procs.back(), rule300.back(), thr500.back());
    dat << line;
    std::printf("cell %-30s forced ms seq %8.3f thr %8.3f proc %8.3f shm %8.3f | first %.3f (%s) learned %.3f (%s)\n",
                c.name.c_str(), c.forced[0] / 1e6, c.forced[1] / 1e6, c.forced[2] / 1e6, c.forced[3] / 1e6, f,
                std::string(be::to_string(c.first_kind)).c_str(), l, std::string(be::to_string(c.learned_kind)).c_str());
  }
  const auto st = be::statistics();
  std::printf("regret_profile: %s\n", std::string(be::runtime_profile().name).c_str());
  std::printf("regret_cells: %zu\n", cells.size());
  std::printf("regret_geomean_first_call: %.3f\n", geomean(first));
  std::printf("regret_geomean_learned: %.3f\n", geomean(learned));
  std::printf("regret_worst_learned: %.3f (%s)\n", worst, worst_name.c_str());
  std::printf("regret_geomean_always_sequential: %.3f\n", geomean(seq));
  std::printf("regret_geomean_always_threads: %.3f\n", geomean(threads));
  std::printf("regret_geomean_always_processes: %.3f\n", geomean(procs));
  std::printf("regret_geomean_rule_300ms: %.3f\n", geomean(rule300));
  std::printf("regret_geomean_threshold_500us: %.3f\n", geomean(thr500));
  std::printf("explored_share: %.3f (%llu of %llu map calls)\n",
              map_calls ? static_cast<double>(st.explored) / static_cast<double>(map_calls) : 0.0,
              static_cast<unsigned long long>(st.explored), static_cast<unsigned long long>(map_calls));
  std::printf("explore_cost_share: %.4f of map's time\n",
              map_time_ns > 0 ? static_cast<double>(st.explore_cost_ns) / map_time_ns : 0.0);
  std::printf("regret_run_s: %.1f s\n", seconds);
  return 0;
}
