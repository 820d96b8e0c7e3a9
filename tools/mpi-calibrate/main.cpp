// breakeven-mpi-calibrate - measures the network terms of the MPI job it runs in and writes
// them to a profile file's "network" section, which BREAKEVEN_NETWORK then names:
//
//   mpirun -np 3 breakeven-mpi-calibrate --json breakeven-network.json
//   BREAKEVEN_NETWORK=breakeven-network.json mpirun -np 3 my_program
//
// A raw ping-pong between ranks 0 and 1 over 16 B .. 4 MiB gives the latency (half the
// smallest round trip) and the bandwidth (the 4 MiB one-way time beyond it); a stream of
// one-item tasks through the cluster executor gives the coordinator's cost per task.
// Ranks and cores per rank are the job's own, recorded for reference.
#include <breakeven/mpi.hpp>
#include <breakeven/mpi/measure.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {
int usage() {
  std::fprintf(stderr,
               "usage: mpirun -np N breakeven-mpi-calibrate [--json FILE] [--quiet]   (N >= 2)\n"
               "       breakeven-mpi-calibrate --model [NETWORK_JSON]   (the model's table for 1 to 1,024 nodes)\n");
  return 2;
}

// The smallest batch the cluster plan is chosen for (0: none up to 10^9).
std::size_t break_even(const breakeven::kernel_desc& k, const breakeven::network_profile& net) {
  for (std::size_t n = 1; n < 1'000'000'000; n = n < 32 ? n + 1 : n + n / 32)
    if (breakeven::decide_cluster(k, n, breakeven::default_profile::value, net).use_cluster()) return n;
  return 0;
}

// docs/cluster.md's table: for the guide's kernels, the break-even batch and the expected
// speedup over the local plan at 10,000 items, for 1 to 1,024 worker nodes of `base`.
void print_model(const breakeven::network_profile& base) {
  struct row {
    const char* name;
    double cost_ns;
    double bytes;
  };
  const row kernels[] = {{"hash 2 us", 2'000, 64},           {"pattern 0.1 ms", 100'000, 256},
                         {"token validation 0.5 ms", 500'000, 512}, {"pattern 1 ms", 1'000'000, 256},
                         {"numerical 50 ms", 50'000'000, 64}};
  const unsigned nodes[] = {1, 2, 4, 16, 64, 256, 1024};
  std::printf("network %s: latency %.1f us, %.2f GB/s, %.1f us per task, %u cores per node; local profile %s\n\n",
              base.name, base.latency_ns / 1e3, base.bandwidth_bytes_per_s() / 1e9, base.task_ns / 1e3, base.cores_per_rank,
              breakeven::default_profile::value.name);
  std::printf("| kernel | nodes:");
  for (unsigned n : nodes) std::printf(" | %u", n);
  std::printf(" |\n|---|---|");
  for (unsigned n : nodes) std::printf("---|"), (void)n;
  std::printf("\n");
  for (const row& r : kernels) {
    breakeven::kernel_desc k;
    k.cost_ns = r.cost_ns;
    k.bytes_in = r.bytes;
    k.bytes_out = 8;
    std::printf("| %s | break-even batch", r.name);
    for (unsigned n : nodes) {
      breakeven::network_profile net = base;
      net.ranks = n + 1;
      const std::size_t b = break_even(k, net);
      if (b == 0) std::printf(" | never");
      else std::printf(" | %zu", b);
    }
    std::printf(" |\n| | speedup at 10,000");
    for (unsigned n : nodes) {
      breakeven::network_profile net = base;
      net.ranks = n + 1;
      const auto c = breakeven::decide_cluster(k, 10'000, breakeven::default_profile::value, net);
      std::printf(" | %.1fx", c.speedup_vs_local());
    }
    std::printf(" |\n");
  }
}
}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "--model") == 0) {
    if (argc == 3) {
      setenv("BREAKEVEN_NETWORK", argv[2], 1);
      int one = 1;
      char* none[] = {argv[0], nullptr};
      char** p = none;
      breakeven::mpi::session alone(one, p);
      breakeven::network_profile net = alone.network();
      net.cores_per_rank = 16;  // nodes as the datacenter rows have them: only the links are this machine's
      print_model(net);
    } else {
      print_model(breakeven::networks::datacenter_ethernet(1));
      std::printf("\n");
      print_model(breakeven::networks::infiniband(1));
    }
    return 0;
  }
  breakeven::mpi::session job(argc, argv);
  std::string json = "breakeven-network.json";
  bool quiet = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0 && i + 1 < argc) json = argv[++i];
    else if (std::strcmp(argv[i], "--quiet") == 0) quiet = true;
    else return job.coordinator() ? usage() : 2;
  }
  if (job.size() < 2) {
    std::fprintf(stderr, "breakeven-mpi-calibrate: needs at least 2 ranks: run it under mpirun -np 2 or more\n");
    return 2;
  }
  std::vector<breakeven::mpi::ping_pong_result> sizes;
  breakeven::network_profile net = breakeven::mpi::measure_links(job, &sizes);
  if (!job.coordinator()) return job.serve();

  breakeven::mpi::cluster ex(job, net);
  const double rt = breakeven::mpi::task_round_trip_ns(ex);
  net.task_ns = breakeven::mpi::task_throughput_ns(ex);
  net.call_ns = breakeven::mpi::call_overhead_ns(ex, net);
  net.ranks = static_cast<unsigned>(job.size());
  net.cores_per_rank = job.cores_per_rank();

  if (!quiet) {
    for (const auto& s : sizes) std::printf("ping-pong %8zu B: round trip %10.1f us\n", s.bytes, s.round_trip_ns / 1e3);
    std::printf("latency %.2f us, bandwidth %.2f GB/s, task round trip %.2f us, per task (streamed) %.2f us, per call %.2f us\n",
                net.latency_ns / 1e3, net.bandwidth_bytes_per_s() / 1e9, rt / 1e3, net.task_ns / 1e3, net.call_ns / 1e3);
    std::printf("ranks %u, cores per rank %u\n", net.ranks, net.cores_per_rank);
  }
  std::FILE* f = std::fopen(json.c_str(), "w");
  if (f == nullptr) {
    std::fprintf(stderr, "breakeven-mpi-calibrate: cannot write %s\n", json.c_str());
    return 1;
  }
  std::fprintf(f,
               "{\n  \"network\": {\n    \"latency_ns\": %.1f,\n    \"ns_per_byte\": %.6f,\n    \"task_ns\": %.1f,\n    \"call_ns\": %.1f,\n"
               "    \"task_round_trip_ns\": %.1f,\n    \"ranks\": %u,\n    \"cores_per_rank\": %u\n  }\n}\n",
               net.latency_ns, net.ns_per_byte, net.task_ns, net.call_ns, rt, net.ranks, net.cores_per_rank);
  std::fclose(f);
  if (!quiet) std::printf("wrote %s\n", json.c_str());
  return 0;
}
