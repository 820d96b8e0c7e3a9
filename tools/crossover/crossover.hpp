// crossover.hpp - the crossover profiler (seed 004, Example 26.3, in C++): a kernel of a
// chosen duration per item, swept over durations x batch sizes, timed sequentially and on
// every executor available; the measured fastest beside the plan decide() makes with the
// calibrated profile. Shared by breakeven-crossover (tools/) and bench/crossover.cpp.
//
// Executors are runners by kind (make_runners): sequential, the library's thread pool (or
// a rig of futex-parked threads) and the library's process pool (or calibration's rig of
// forked workers fed over socketpairs). Another executor plugs in as one more runner of its
// kind. A program that times the library's process pool calls
// breakeven::process_runtime::init(argc, argv) first thing in main.
#pragma once

#include <calibrate/calibrate.hpp>
#include <breakeven/decide.hpp>
#include <breakeven/executor/process_pool.hpp>
#include <breakeven/executor/thread_pool.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace breakeven::crossover {

namespace cal = breakeven::calibration;

/// The simulated work: `iterations` steps of a dependent chain (seed 004's simulateWork).
inline std::uint64_t simulate_work(std::uint64_t iterations) noexcept {
  return cal::detail::spin_work(iterations) | 1;
}

/// Iterations of simulate_work per nanosecond on this machine (median of a few runs).
inline double iterations_per_ns() {
  std::vector<double> v;
  for (int i = 0; i < 15; ++i) {
    const double t0 = cal::now_ns();
    (void)simulate_work(200'000);
    v.push_back(200'000 / (cal::now_ns() - t0));
  }
  return cal::summarize(v).median;
}

/// One executor the profiler times: runs `in` (iterations per item) into `out` with the
/// schedule of its candidate in the plan, and says how long it took.
struct runner {
  executor_kind kind;
  explicit runner(executor_kind k) : kind(k) {}
  virtual ~runner() = default;
  virtual void run(const std::vector<std::uint64_t>& in, std::vector<std::uint64_t>& out, const candidate& c) = 0;
};

struct sequential_runner final : runner {
  sequential_runner() : runner(executor_kind::sequential) {}
  void run(const std::vector<std::uint64_t>& in, std::vector<std::uint64_t>& out, const candidate&) override {
    for (std::size_t i = 0; i < in.size(); ++i) out[i] = simulate_work(in[i]);
  }
};

/// Threads parked on a futex between calls, woken together; the caller parks until the
/// last one is done. Chunks are claimed from a shared counter.
struct thread_runner final : runner {
  explicit thread_runner(unsigned workers) : runner(executor_kind::thread_pool), rig(workers, cal::thread_rig::idle::park) {}
  void run(const std::vector<std::uint64_t>& in, std::vector<std::uint64_t>& out, const candidate& c) override {
    const std::size_t chunk = std::max<std::size_t>(1, c.chunk);
    std::atomic<std::size_t> next{0};
    auto task = [&](unsigned i) {
      if (i >= c.workers) return;
      for (std::size_t b; (b = next.fetch_add(chunk)) < in.size();)
        for (std::size_t k = b; k < std::min(in.size(), b + chunk); ++k) out[k] = simulate_work(in[k]);
    };
    rig.run_all(task);
  }
  cal::thread_rig rig;
};

/// Forked worker processes blocked on their sockets between calls; items and results cross
/// the socketpairs; tasks go round-robin to the workers.
struct process_runner final : runner {
  explicit process_runner(unsigned workers)
      : runner(executor_kind::process_pool), rig(workers, cal::process_rig::idle::park, &simulate_work) {}
  void run(const std::vector<std::uint64_t>& in, std::vector<std::uint64_t>& out, const candidate& c) override {
    const std::size_t chunk = std::max<std::size_t>(1, c.chunk);
    const unsigned w = std::max(1u, std::min(c.workers, rig.workers()));
    // One round of at most one task per worker at a time: send, then collect in order.
    for (std::size_t base = 0; base < in.size(); base += chunk * w) {
      unsigned sent = 0;
      for (unsigned k = 0; k < w && base + k * chunk < in.size(); ++k, ++sent)
        rig.map_send(k, in.data() + base + k * chunk, std::min(chunk, in.size() - base - k * chunk));
      for (unsigned k = 0; k < sent; ++k)
        rig.map_receive(k, out.data() + base + k * chunk, std::min(chunk, in.size() - base - k * chunk));
    }
  }
  cal::process_rig rig;
};

/// The simulated work as a kernel the library's executors take.
struct work_kernel {
  using input_type = std::uint64_t;
  using output_type = std::uint64_t;
  static constexpr auto cost = unknown_cost;  // the sweep sets it per point
  static constexpr const char* name = "crossover.simulate_work";
  std::uint64_t operator()(const std::uint64_t& iterations) const noexcept { return simulate_work(iterations); }
};

/// The library's thread pool (breakeven::thread_pool), run with the plan's schedule.
struct library_thread_runner final : runner {
  explicit library_thread_runner(unsigned workers) : runner(executor_kind::thread_pool), pool(workers) {}
  void run(const std::vector<std::uint64_t>& in, std::vector<std::uint64_t>& out, const candidate& c) override {
    pool.bulk_map(work_kernel{}, std::span<const std::uint64_t>(in), out.begin(), breakeven::schedule{c.chunk, c.workers, c.dynamic});
  }
  breakeven::thread_pool pool;
};

/// The library's process pool (breakeven::process_pool, fork server), run with the plan's
/// schedule: items and results travel through each worker's shared-memory rings.
struct library_process_runner final : runner {
  explicit library_process_runner(unsigned workers) : runner(executor_kind::process_pool), pool(workers) {}
  void run(const std::vector<std::uint64_t>& in, std::vector<std::uint64_t>& out, const candidate& c) override {
    pool.bulk_map(work_kernel{}, std::span<const std::uint64_t>(in), out.begin(), breakeven::schedule{c.chunk, c.workers, c.dynamic});
  }
  breakeven::process_pool pool;
};

/// Which implementation times each kind.
struct runner_choice {
  bool library_thread_pool = true;   ///< breakeven::thread_pool; false: the futex rig above
  bool library_process_pool = true;  ///< breakeven::process_pool; false: the socketpair rig above
};

/// Every executor this build can time, one runner per kind.
inline std::vector<std::unique_ptr<runner>> make_runners(unsigned workers, runner_choice choice = {}) {
  std::vector<std::unique_ptr<runner>> r;
  r.push_back(std::make_unique<sequential_runner>());
  if (choice.library_thread_pool) r.push_back(std::make_unique<library_thread_runner>(workers));
  else r.push_back(std::make_unique<thread_runner>(workers));
  if (choice.library_process_pool) r.push_back(std::make_unique<library_process_runner>(workers));
  else r.push_back(std::make_unique<process_runner>(workers));
  return r;
}

/// One point of the sweep.
struct point {
  double task_ns = 0;      ///< duration of one item
  std::size_t batch = 0;
  std::array<double, executor_kind_count> measured{};  ///< median time per kind; NaN: not run
  executor_kind planned = executor_kind::sequential;
  executor_kind fastest = executor_kind::sequential;
  double plan_speedup = 1; ///< the plan's estimated speedup
  double foreign_load = 0; ///< share of the CPUs other processes used while it was timed

  double time(executor_kind k) const { return measured[static_cast<std::size_t>(k)]; }
  /// Sequential time / the best parallel time.
  double best_parallel_speedup() const {
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t k = 1; k < executor_kind_count; ++k)
      if (!std::isnan(measured[k])) best = std::min(best, measured[k]);
    return time(executor_kind::sequential) / best;
  }
  /// The plan's executor is the measured fastest or within `tolerance` of it.
  bool agrees(double tolerance = 0.10) const { return time(planned) <= (1 + tolerance) * time(fastest); }
};

struct sweep_options {
  std::vector<double> durations_ns{1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6};
  std::vector<std::size_t> batches{8, 64, 512};
  double idle_gap_ns = 1e6;  ///< before each timed call: the pools' workers park, CPUs halt
  /// A point timed while other processes used more than this share of the CPUs is timed
  /// again (up to `attempts` times in all; the least disturbed attempt is kept).
  double max_foreign_load = 0.1;
  int attempts = 3;
  runner_choice runners;
  /// Called after each point (for progress).
  std::function<void(const point&, std::size_t index, std::size_t count)> progress;
};

/// The call options the profiler's runners match: warm pools whose workers sleep between
/// calls, no shared-memory executor.
inline call_options profiler_call_options() {
  call_options o;
  o.threads_warm = true;
  o.processes_warm = true;
  o.workers_spinning = false;
  o.available = {true, true, true, false};
  return o;
}

/// The kernel description the plan is made for: `task_ns` per item, 8 bytes in and out.
inline kernel_desc profiler_kernel(double task_ns) {
  return kernel_desc{.cost_ns = task_ns, .bytes_in = 8, .bytes_out = 8};
}

/// Sweeps durations x batches; every point timed on every runner (median of a few calls).
inline std::vector<point> sweep(const machine_profile& profile, const sweep_options& opt = {}) {
  const double ipns = iterations_per_ns();
  auto runners = make_runners(profile.cores, opt.runners);
  std::vector<point> points;
  const std::size_t count = opt.durations_ns.size() * opt.batches.size();
  for (std::size_t b : opt.batches) {
    for (double d : opt.durations_ns) {
      point pt;
      pt.task_ns = d;
      pt.batch = b;
      pt.measured.fill(std::numeric_limits<double>::quiet_NaN());
      const plan pl = decide(profiler_kernel(d), b, profile, profiler_call_options());
      pt.planned = pl.kind;
      pt.plan_speedup = pl.speedup();
      const std::vector<std::uint64_t> in(b, static_cast<std::uint64_t>(std::max(1.0, d * ipns)));
      std::vector<std::uint64_t> out(b);
      const double seq_estimate = d * static_cast<double>(b);
      const int reps = seq_estimate < 2e7 ? 9 : seq_estimate < 1e8 ? 5 : 3;
      pt.foreign_load = 2;
      for (int attempt = 0; attempt < std::max(1, opt.attempts) && pt.foreign_load > opt.max_foreign_load; ++attempt) {
        const cal::load_meter load;
        std::vector<std::vector<double>> times(runners.size());
        for (int rep = 0; rep < reps; ++rep) {
          for (std::size_t r = 0; r < runners.size(); ++r) {  // interleaved: drift hits all alike
            const candidate& c = pl.of(runners[r]->kind);
            cal::sleep_ns(opt.idle_gap_ns);
            const double t0 = cal::now_ns();
            runners[r]->run(in, out, c);
            times[r].push_back(cal::now_ns() - t0);
            if (out[b - 1] == 0) std::abort();  // the work happened (and is not optimised away)
          }
        }
        const double foreign = load.foreign_share();
        if (foreign >= pt.foreign_load) continue;
        pt.foreign_load = foreign;
        for (std::size_t r = 0; r < runners.size(); ++r)
          pt.measured[static_cast<std::size_t>(runners[r]->kind)] = cal::summarize(times[r]).median;
      }
      pt.fastest = executor_kind::sequential;
      for (std::size_t k = 0; k < executor_kind_count; ++k)
        if (!std::isnan(pt.measured[k]) && pt.measured[k] < pt.time(pt.fastest)) pt.fastest = all_executor_kinds[k];
      points.push_back(pt);
      if (opt.progress) opt.progress(pt, points.size(), count);
    }
  }
  return points;
}

/// The share of points where the plan's executor is the measured fastest or within 10%.
inline double agreement(const std::vector<point>& pts) {
  std::size_t ok = 0;
  for (const auto& p : pts) ok += p.agrees();
  return pts.empty() ? 0 : static_cast<double>(ok) / static_cast<double>(pts.size());
}

/// The measured crossover of one batch size: the first swept duration from which on some
/// parallel executor beats sequential at every longer duration (NaN: never).
inline double measured_crossover_ns(const std::vector<point>& pts, std::size_t batch) {
  double cross = std::numeric_limits<double>::quiet_NaN();
  for (auto it = pts.rbegin(); it != pts.rend(); ++it) {
    if (it->batch != batch) continue;
    if (it->best_parallel_speedup() > 1) cross = it->task_ns;
    else break;
  }
  return cross;
}

/// The plan's crossover of one batch size: the shortest task duration (to 1%) from which
/// on the plan goes parallel.
inline double planned_crossover_ns(const machine_profile& profile, std::size_t batch) {
  double lo = 1, hi = 1e10;
  if (decide(profiler_kernel(hi), batch, profile, profiler_call_options()).kind == executor_kind::sequential)
    return std::numeric_limits<double>::quiet_NaN();
  while (hi / lo > 1.01) {
    const double mid = std::sqrt(lo * hi);
    if (decide(profiler_kernel(mid), batch, profile, profiler_call_options()).kind == executor_kind::sequential) lo = mid;
    else hi = mid;
  }
  return hi;
}

inline std::string duration(double ns) { return cal::format_value(ns, "ns"); }

/// The sweep as a table: times per executor, speedups, the plan, the fastest, agreement.
inline std::string table(const std::vector<point>& pts, const machine_profile& profile) {
  std::string out;
  char line[320];
  std::snprintf(line, sizeof line, "%-10s %6s %12s %12s %12s %9s %9s  %-13s %-13s %-5s %s\n", "task", "batch", "sequential",
                "thread_pool", "process_pool", "x thread", "x process", "plan", "fastest", "agree", "other load");
  out += line;
  for (const auto& p : pts) {
    const double seq = p.time(executor_kind::sequential);
    std::snprintf(line, sizeof line, "%-10s %6zu %12s %12s %12s %8.2fx %8.2fx  %-13s %-13s %-5s %3.0f%%\n", duration(p.task_ns).c_str(),
                  p.batch, duration(seq).c_str(), duration(p.time(executor_kind::thread_pool)).c_str(),
                  duration(p.time(executor_kind::process_pool)).c_str(), seq / p.time(executor_kind::thread_pool),
                  seq / p.time(executor_kind::process_pool), std::string(to_string(p.planned)).c_str(),
                  std::string(to_string(p.fastest)).c_str(), p.agrees() ? "yes" : "NO", 100 * p.foreign_load);
    out += line;
  }
  std::vector<std::size_t> batches;
  for (const auto& p : pts)
    if (std::find(batches.begin(), batches.end(), p.batch) == batches.end()) batches.push_back(p.batch);
  for (std::size_t b : batches) {
    const double m = measured_crossover_ns(pts, b), pl = planned_crossover_ns(profile, b);
    std::snprintf(line, sizeof line, "batch %5zu: measured crossover at %s, plan goes parallel from %s per item\n", b,
                  std::isnan(m) ? "(none in the sweep)" : duration(m).c_str(),
                  std::isnan(pl) ? "(never)" : duration(pl).c_str());
    out += line;
  }
  std::snprintf(line, sizeof line, "plan = fastest or within 10%%: %.0f%% of %zu points (profile \"%s\")\n",
                100 * agreement(pts), pts.size(), profile.name);
  out += line;
  return out;
}

/// The sweep as gnuplot data: one block per batch size (task_us, speedup of the best
/// parallel executor, thread and process speedups, 1 if the plan went parallel).
inline std::string plot_data(const std::vector<point>& pts) {
  std::string out;
  char line[256];
  std::size_t last = 0;
  for (const auto& p : pts) {
    if (last != 0 && p.batch != last) out += "\n\n";
    last = p.batch;
    const double seq = p.time(executor_kind::sequential);
    std::snprintf(line, sizeof line, "%g %g %g %g %d %d\n", p.task_ns / 1e3, p.best_parallel_speedup(),
                  seq / p.time(executor_kind::thread_pool), seq / p.time(executor_kind::process_pool),
                  p.planned != executor_kind::sequential ? 1 : 0, p.agrees() ? 1 : 0);
    out += line;
  }
  return out;
}

}  // namespace breakeven::crossover
