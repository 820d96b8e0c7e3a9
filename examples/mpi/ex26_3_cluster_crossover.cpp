// The lecture's crossover example (Example 26.3: 8 tasks of 1 ms to 500 ms each) on the
// cluster executor: for each duration, the local verdict (the lecture's own profile: a warm
// pool of 4, 5 ms round trip, 1.2x margin; and this machine's build profile), the cluster
// plan's verdict with the job's network terms (against this build's local plan), and what
// the ranks measure against running the 8 tasks one after another.
//
//   mpirun -np 3 ex26_3_cluster_crossover [max_ms]     (max_ms: longest duration, default 500)
#include <breakeven/mpi.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace be = breakeven;
namespace mpi = breakeven::mpi;

namespace {

using clock_type = std::chrono::steady_clock;

/// One task of the lecture: `ms` of CPU work.
struct task {
  using input_type = int;
  using output_type = long long;
  static constexpr auto cost = std::chrono::milliseconds{1};  // the run-time description below says how long
  static constexpr bool bitwise_transport = true;  // a plain number: its bytes mean the same in a worker
  int ms = 1;
  long long operator()(const int& seed) const {
    const auto end = clock_type::now() + std::chrono::milliseconds(ms);
    long long v = seed;
    while (clock_type::now() < end)
      for (int i = 0; i < 64; ++i) v = v * 6364136223846793005LL + 1442695040888963407LL;
    return v;
  }
};

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  mpi::session job(argc, argv);
  if (!job.coordinator()) return job.serve();
  const int max_ms = argc > 1 ? std::atoi(argv[1]) : 500;
  mpi::cluster ex(job);
  constexpr std::size_t tasks = 8;
  std::printf("%d rank(s): %u working; network %s, latency %.1f us, %.2f GB/s\n", job.size(),
              ex.distributed() ? ex.concurrency() : 0u, ex.network().name, ex.network().latency_ns / 1e3,
              ex.network().bandwidth_bytes_per_s() / 1e9);
  std::printf("%8s | %-12s %-12s | %-12s | %10s %10s %8s  %s\n", "task", "lecture", "this build", "cluster plan",
              "sequential", "cluster", "speedup", "vs sequential, measured");
  for (int ms : {1, 5, 10, 50, 100, 500}) {
    if (ms > max_ms) break;
    be::kernel_desc k = be::describe<task>();
    k.cost_ns = ms * 1e6;
    be::call_options one_each;  // the lecture submits each task on its own
    one_each.chunk = 1;
    const be::plan lecture = be::decide(k, tasks, be::profiles::lecture::value, one_each);
    const be::cluster_plan c = be::decide_cluster(k, tasks, be::default_profile::value, ex.network(), one_each);
    const task op{ms};
    std::vector<int> seeds(tasks);
    for (std::size_t i = 0; i < tasks; ++i) seeds[i] = static_cast<int>(i);
    auto t0 = clock_type::now();
    (void)op(0);
    const double seq = seconds_since(t0) * tasks;  // one task, times 8: the sequential run without waiting for it
    t0 = clock_type::now();
    const auto out = ex.distributed() ? ex.map(op, seeds, c.chunk) : ex.map_here(op, seeds);
    const double par = seconds_since(t0);
    const double speedup = seq / par;
    std::printf("%5d ms | %-12s %-12s | %-12s | %8.1f ms %8.1f ms %7.2fx  %s\n", ms,
                lecture.parallel() ? "parallel" : "sequential", c.local.parallel() ? "parallel" : "sequential",
                c.use_cluster() ? "cluster" : "local", seq * 1e3, par * 1e3, speedup,
                speedup > be::default_profile::value.min_speedup ? "cluster pays" : "cluster does not pay");
    if (out.size() != tasks) return 1;
    if (be::debug_enabled()) std::printf("         %s\n", std::string(be::explain(c).view()).c_str());
  }
  return 0;
}
