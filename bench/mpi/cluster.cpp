// bench_mpi - the cluster executor under mpirun -np 3 (rank 0 coordinates, 2 ranks work):
//   mpi_rt_us               warm round trip of a 16-byte task to another rank, apply(op, x)
//                           (median)
//   mpi_submit_rt_us        the same through a future, submit(op, x).get(), alternating with it
//   mpi_rt_raw_us           a raw MPI round trip of the same request bytes to the same rank,
//                           alternating with the tasks (the rank echoes it from its receive loop)
//   mpi_rt_vs_raw           mpi_rt_us / mpi_rt_raw_us (target <= 1.5)
//   mpi_submit_rt_vs_raw    mpi_submit_rt_us / mpi_rt_raw_us
//   mpi_pingpong_us         a blocking MPI_Send/MPI_Recv ping-pong of those bytes before the
//                           ranks serve (the third rank waits in naps), for reference
//   mpi_speedup_heavy       16 items of 20 ms CPU: sequential on rank 0 / on the 2 worker ranks
//                           (the coordinator blocks in back-off sleeps; target >= 1.7)
//   mpi_heavy_coordinator_cpu  rank 0's CPU time (user + sys, every thread) over the wall time
//                           of those parallel runs: what waiting for the ranks costs a core
//   mpi_task_us, mpi_call_us  the network profile's measured terms the plans below use: the
//                           coordinator's cost per streamed task, a call's fixed cost
//   mpi_decision_agreement  costs x batch sizes: the share of points where the plan's choice
//                           between local (this rank's decision) and cluster is the measured
//                           faster or within 10% of it (target >= 90%)
// scripts/bench runs it: mpirun --oversubscribe -np 3 bench_mpi
#include <breakeven/mpi.hpp>
#include <breakeven/mpi/measure.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include <sys/resource.h>

namespace be = breakeven;
namespace mpi = breakeven::mpi;

namespace {

using clock_type = std::chrono::steady_clock;

/// Burns `NS` nanoseconds of CPU per item, and declares that cost: the plan and the
/// executor's own rules (which tasks its submitter reads back, which wait for a free rank)
/// see the same number.
template <std::int64_t NS>
struct burn {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::nanoseconds{NS};
  static constexpr bool bitwise_transport = true;  // a plain number: its bytes mean the same in a worker
  int operator()(const int& x) const {
    const auto end = clock_type::now() + std::chrono::nanoseconds(NS);
    unsigned v = static_cast<unsigned>(x);
    while (clock_type::now() < end)
      for (int i = 0; i < 64; ++i) v = v * 1664525u + 1013904223u;
    return static_cast<int>(v & 1u) + x;
  }
};

// This process's CPU time, every thread, user + sys.
double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  const auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

template <class F>
double best_of(int reps, F&& f) {
  double best = 1e300;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = clock_type::now();
    f();
    best = std::min(best, std::chrono::duration<double, std::nano>(clock_type::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  mpi::session job(argc, argv);
  if (job.size() != 3) {
    if (job.coordinator()) std::fprintf(stderr, "bench_mpi: run it under mpirun -np 3\n");
    return job.coordinator() ? 2 : 0;
  }
  // The raw ping-pong of a task message's bytes (16-byte item: header, name, count, item).
  const std::size_t request_bytes = mpi::detail::task_header_bytes + 8 + 8 + 4 + 16;
  const auto raw = mpi::ping_pong(job, request_bytes, 2000, 200);
  be::network_profile net = mpi::measure_links(job);
  if (!job.coordinator()) return job.serve();

  mpi::cluster probe(job, net);
  const mpi::round_trips rt = mpi::task_and_raw_round_trips(probe, *job.engine(), 2000);
  net.task_ns = mpi::task_throughput_ns(probe);
  net.call_ns = mpi::call_overhead_ns(probe, net);
  mpi::cluster ex(job, net);
  std::printf("mpi_rt_us: %.2f us\n", rt.task_ns / 1e3);
  std::printf("mpi_submit_rt_us: %.2f us\n", rt.future_ns / 1e3);
  std::printf("mpi_rt_raw_us: %.2f us\n", rt.raw_ns / 1e3);
  std::printf("mpi_rt_vs_raw: %.2f x\n", rt.task_ns / rt.raw_ns);
  std::printf("mpi_submit_rt_vs_raw: %.2f x\n", rt.future_ns / rt.raw_ns);
  std::printf("mpi_pingpong_us: %.2f us\n", raw.round_trip_ns / 1e3);
  std::printf("mpi_latency_us: %.2f us\n", net.latency_ns / 1e3);
  std::printf("mpi_bandwidth_gbs: %.2f GB/s\n", net.bandwidth_bytes_per_s() / 1e9);
  std::printf("mpi_task_us: %.2f us\n", net.task_ns / 1e3);
  std::printf("mpi_call_us: %.2f us\n", net.call_ns / 1e3);

  {
    const burn<20'000'000> heavy;
    std::vector<int> items(16);
    for (int i = 0; i < 16; ++i) items[static_cast<std::size_t>(i)] = i;
    const double seq = best_of(3, [&] {
      for (int x : items) (void)heavy(x);
    });
    const double cpu0 = cpu_seconds();
    const auto wall0 = clock_type::now();
    const double par = best_of(3, [&] { (void)ex.map(heavy, items); });
    const double wall = std::chrono::duration<double>(clock_type::now() - wall0).count();
    const double cpu = cpu_seconds() - cpu0;
    std::printf("mpi_speedup_heavy: %.2f x\n", seq / par);
    std::printf("mpi_heavy_coordinator_cpu: %.1f %% of a core (%.1f ms CPU over %.0f ms)\n", 100.0 * cpu / wall, cpu * 1e3,
                wall * 1e3);
  }

  {
    int points = 0, agree = 0, chose_cluster = 0, cluster_faster = 0;
    const auto sweep = [&]<std::int64_t Cost>(burn<Cost> op) {
      for (std::size_t n : {2, 8, 32, 128, 512}) {
        if (static_cast<double>(Cost) * static_cast<double>(n) > 300e6) continue;  // keep the run short
        const be::cluster_plan c = be::decide_cluster(be::describe<burn<Cost>>(), n, be::default_profile::value, ex.network());
        std::vector<int> items(n, 1);
        const double local = best_of(3, [&] { (void)ex.map_here(op, items); });
        const double cluster = best_of(3, [&] { (void)ex.map(op, items, c.chunk); });
        const bool ok = c.use_cluster() ? cluster <= 1.1 * local : local <= 1.1 * cluster;
        ++points;
        agree += ok ? 1 : 0;
        chose_cluster += c.use_cluster() ? 1 : 0;
        cluster_faster += cluster < local ? 1 : 0;
        std::fprintf(stderr, "  cost %8.3f ms x %4zu: plan %-13s local %9.3f ms, cluster %9.3f ms%s\n", Cost / 1e6, n,
                     c.use_cluster() ? "cluster" : "local", local / 1e6, cluster / 1e6, ok ? "" : "  (disagrees)");
      }
    };
    sweep(burn<2'000>{});
    sweep(burn<20'000>{});
    sweep(burn<200'000>{});
    sweep(burn<2'000'000>{});
    sweep(burn<20'000'000>{});
    std::printf("mpi_decision_agreement: %.0f %% (%d of %d points; the plan chose the cluster at %d, the cluster measured faster at %d)\n",
                100.0 * agree / points, agree, points, chose_cluster, cluster_faster);
  }
  return 0;
}
