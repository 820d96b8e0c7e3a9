// breakeven/cluster_policy.hpp - the decision beyond one machine: the network as one more
// overhead in the estimate, and the cluster admitted only past its break-even point.
//
// The cluster candidate runs on the worker ranks of an MPI job (the coordinating rank
// dispatches, it does not compute); each rank runs its share with the local decision for
// the cores it has. Its estimate:
//   work: ceil(tasks / worker ranks) x (one chunk on one rank, as decide() plans it for the
//         rank's cores) + a straggler share for varying item costs;
//   overhead: tasks x the coordinator's handling of one task (serialized through it)
//         + one round trip (2 x latency: the first request out, the last reply back)
//         + every byte in and out x the link's ns/byte (they all pass rank 0's link)
//         + the call's own fixed cost (call_ns: reaching ranks that have gone idle and
//           handing the replies back to the caller, measured).
// The cluster is chosen over the local plan only when its work exceeds `overhead_factor` x
// its overhead and the local plan's estimate / the cluster's exceeds `min_speedup`: the
// same margins that admit a parallel plan over sequential on one machine.
//
// Policy only: constexpr, no OS or MPI headers. The network terms come from
// breakeven-mpi-calibrate (docs/cluster.md).
#pragma once

#include <breakeven/decide.hpp>
#include <breakeven/detail/fixed_string.hpp>
#include <breakeven/plan.hpp>
#include <breakeven/profile.hpp>

#include <cstddef>
#include <cstdint>

namespace breakeven {

/// The network terms of an MPI job, in nanoseconds and bytes.
struct network_profile {
  const char* name = "none";
  unsigned ranks = 1;           ///< ranks in the job, the coordinator included
  unsigned cores_per_rank = 1;  ///< cores each worker rank's local decision may use
  double latency_ns = 0;        ///< one-way time of a small message (half a ping-pong)
  double ns_per_byte = 0;       ///< 1 / bandwidth of large messages
  double task_ns = 0;           ///< the coordinator's own handling of one task (encode, send, complete)
  /// A call's fixed cost beyond its tasks and the round trip: ranks that have gone idle wake
  /// to read it, and the progress thread hands the replies back to the caller. Small where
  /// each rank has its own cores; milliseconds where ranks outnumber the cores they share
  /// (every hand-over waits for a time slice). Measured by breakeven-mpi-calibrate.
  double call_ns = 0;

  /// Ranks that run work: all but the coordinator.
  constexpr unsigned worker_ranks() const noexcept { return ranks > 1 ? ranks - 1 : 0; }
  /// Bandwidth in bytes per second (0 when unknown).
  constexpr double bandwidth_bytes_per_s() const noexcept { return ns_per_byte > 0 ? 1e9 / ns_per_byte : 0; }
};

namespace networks {

/// No cluster: one rank (a program not started under mpirun).
inline constexpr network_profile none{};

/// Typical datacenter Ethernet (25 GbE, TCP): ~25 us one way, ~2.5 GB/s, 16-core nodes.
constexpr network_profile datacenter_ethernet(unsigned nodes) noexcept {
  return {.name = "datacenter-ethernet", .ranks = nodes + 1, .cores_per_rank = 16,
          .latency_ns = 25'000, .ns_per_byte = 0.4, .task_ns = 2'000};
}

/// Typical HPC fabric (InfiniBand HDR, RDMA): ~1.5 us one way, ~20 GB/s, 64-core nodes.
constexpr network_profile infiniband(unsigned nodes) noexcept {
  return {.name = "infiniband", .ranks = nodes + 1, .cores_per_rank = 64,
          .latency_ns = 1'500, .ns_per_byte = 0.05, .task_ns = 1'000};
}

}  // namespace networks

/// Why the cluster was or was not chosen.
enum class cluster_verdict : std::uint8_t {
  chosen,           ///< it clears both margins against the local plan
  single_rank,      ///< no worker rank (not under mpirun, or -np 1)
  not_transportable,///< the kernel's items cannot cross a process boundary
  io_bound,         ///< I/O-bound kernels stay on the caller's threads
  cost_unknown,     ///< measure first
  below_overhead,   ///< work <= overhead_factor x the cluster's overhead
  below_speedup,    ///< local estimate / cluster estimate <= min_speedup
};

constexpr std::string_view to_string(cluster_verdict v) noexcept {
  switch (v) {
    case cluster_verdict::chosen: return "cluster";
    case cluster_verdict::single_rank: return "one rank: no cluster";
    case cluster_verdict::not_transportable: return "not transportable";
    case cluster_verdict::io_bound: return "I/O-bound";
    case cluster_verdict::cost_unknown: return "cost unknown";
    case cluster_verdict::below_overhead: return "work below the overhead margin";
    case cluster_verdict::below_speedup: return "speedup below the margin";
  }
  return "?";
}

/// The cluster candidate beside the local plan.
struct cluster_plan {
  plan local;                    ///< the local decision for the whole batch on this machine
  plan per_rank;                 ///< the local decision for one chunk on one worker rank
  network_profile net;
  std::size_t batch = 0;
  unsigned worker_ranks = 0;
  std::size_t chunk = 1;         ///< items per task sent to a rank
  std::size_t tasks = 0;
  bool dynamic = false;          ///< ranks claim tasks as they finish (varying item costs)
  double work_ns = 0;            ///< critical path over the ranks
  double overhead_ns = 0;        ///< coordinator, latency, bytes
  double margin_factor = 0;      ///< the profile's overhead_factor
  double min_speedup = 1;        ///< the profile's min_speedup
  cluster_verdict verdict = cluster_verdict::single_rank;

  constexpr double estimate_ns() const noexcept { return work_ns + overhead_ns; }
  constexpr double local_estimate_ns() const noexcept { return local.estimate_ns(); }
  /// The local estimate over the cluster's (0 when the cluster was not estimated).
  constexpr double speedup_vs_local() const noexcept {
    return estimate_ns() > 0 ? local_estimate_ns() / estimate_ns() : 0;
  }
  constexpr bool use_cluster() const noexcept { return verdict == cluster_verdict::chosen; }
  /// How a cluster executor cuts the batch.
  constexpr breakeven::schedule schedule() const noexcept { return {chunk, worker_ranks, dynamic}; }
};

namespace detail {
constexpr std::size_t cluster_div(std::size_t a, std::size_t b) noexcept { return b == 0 ? 0 : (a + b - 1) / b; }
}  // namespace detail

/// Items per task sent to a rank: low variance, one task per rank; otherwise tasks long
/// enough that a message's cost is at most ~5% of one, and at least 4 per rank where the
/// batch allows, claimed dynamically.
constexpr std::size_t cluster_chunk(const kernel_desc& k, std::size_t n, unsigned ranks,
                                    const network_profile& net) noexcept {
  if (n == 0 || ranks == 0) return 1;
  const std::size_t even = detail::cluster_div(n, ranks);
  if (k.variance == variance::low) return even;
  const double per_task = 2 * net.latency_ns + net.task_ns;
  const double cost = k.cost_ns > 0 ? k.cost_ns : 1;
  const auto by_latency = static_cast<std::size_t>(20.0 * per_task / cost) + 1;
  const std::size_t by_balance = detail::cluster_div(n, std::size_t{4} * ranks);
  std::size_t c = by_latency > by_balance ? by_latency : by_balance;
  return c > even ? even : (c < 1 ? 1 : c);
}

/// The cluster candidate for `n` items of the kernel `k`, against the local decision on
/// `local`, by the same margins. `o` is the local call's options.
constexpr cluster_plan decide_cluster(const kernel_desc& k, std::size_t n, const machine_profile& local,
                                      const network_profile& net, const call_options& o = {}) noexcept {
  cluster_plan c;
  c.local = decide(k, n, local, o);
  c.net = net;
  c.batch = n;
  c.margin_factor = local.overhead_factor;
  c.min_speedup = local.min_speedup;
  c.worker_ranks = net.worker_ranks();
  if (c.worker_ranks == 0) return c;
  if (!k.transportable) {
    c.verdict = cluster_verdict::not_transportable;
    return c;
  }
  if (k.bound == bound::io) {
    c.verdict = cluster_verdict::io_bound;
    return c;
  }
  if (k.cost_ns < 0) {
    c.verdict = cluster_verdict::cost_unknown;
    return c;
  }
  c.chunk = o.chunk != 0 ? o.chunk : cluster_chunk(k, n, c.worker_ranks, net);
  c.tasks = detail::cluster_div(n, c.chunk);
  c.dynamic = k.variance != variance::low;

  // One chunk on one rank, decided locally for the rank's cores (warm pools: the rank keeps them).
  machine_profile rank = local;
  rank.cores = net.cores_per_rank < 1 ? 1 : net.cores_per_rank;
  call_options ro = o;
  ro.chunk = 0;
  ro.max_workers = 0;
  c.per_rank = decide(k, c.chunk, rank, ro);
  const double chunk_ns = c.per_rank.estimate_ns();
  const double rounds = static_cast<double>(detail::cluster_div(c.tasks, c.worker_ranks));
  const double straggler = k.variance == variance::high ? 0.5 : k.variance == variance::medium ? 0.25 : 0.0;
  c.work_ns = rounds * chunk_ns + straggler * chunk_ns;

  const double bytes = static_cast<double>(n) * (k.bytes_in + k.bytes_out);
  c.overhead_ns = net.call_ns + static_cast<double>(c.tasks) * net.task_ns + 2 * net.latency_ns + bytes * net.ns_per_byte;

  const double work = static_cast<double>(n) * k.cost_ns;
  if (!(work > local.overhead_factor * c.overhead_ns)) {
    c.verdict = cluster_verdict::below_overhead;
  } else if (!(c.speedup_vs_local() > local.min_speedup)) {
    c.verdict = cluster_verdict::below_speedup;
  } else {
    c.verdict = cluster_verdict::chosen;
  }
  return c;
}

/// The cluster candidate for kernel `Op` under profile source `P`.
template <operation Op, profile_source P = default_profile>
constexpr cluster_plan cluster_plan_for(std::size_t n, const network_profile& net, const call_options& o = {}) noexcept {
  return decide_cluster(describe<Op>(), n, P::value, net, o);
}

/// The cluster decision as one line: the network terms, the cluster's estimate and the
/// local plan's, and the verdict. Usable at compile time.
template <std::size_t N = 512>
constexpr detail::fixed_string<N> explain(const cluster_plan& c) {
  detail::fixed_string<N> s;
  ((s += "[network ") += c.net.name) += "] ";
  s.append_uint(c.net.ranks);
  s += " ranks (";
  s.append_uint(c.worker_ranks);
  s += " working) x ";
  s.append_uint(c.net.cores_per_rank);
  s += " cores, latency ";
  s.append_duration(c.net.latency_ns);
  s += ", bandwidth ";
  s.append_bytes(c.net.bandwidth_bytes_per_s());
  s += "/s, per task ";
  s.append_duration(c.net.task_ns);
  s += ", per call ";
  s.append_duration(c.net.call_ns);
  if (c.verdict == cluster_verdict::single_rank || c.verdict == cluster_verdict::not_transportable ||
      c.verdict == cluster_verdict::io_bound || c.verdict == cluster_verdict::cost_unknown) {
    (s += " | ") += to_string(c.verdict);
    (s += " -> local ") += to_string(c.local.kind);
    return s;
  }
  s += " | cluster: ";
  s.append_uint(c.tasks);
  s += c.dynamic ? " dynamic tasks of " : " static tasks of ";
  s.append_uint(c.chunk);
  (s += ", each ") += to_string(c.per_rank.kind);
  s += " on its rank; est ";
  s.append_duration(c.estimate_ns());
  (s += " (overhead ").append_duration(c.overhead_ns) += ")";
  ((s += " | local ") += to_string(c.local.kind)) += " est ";
  s.append_duration(c.local_estimate_ns());
  if (c.verdict == cluster_verdict::below_overhead) {
    (s += " | work ").append_duration(static_cast<double>(c.batch) * c.local.cost_ns);
    (s += " <= ").append_fixed(c.margin_factor, 2);
    (s += " x overhead ").append_duration(c.overhead_ns);
  } else if (c.verdict == cluster_verdict::below_speedup) {
    (s += " | speedup ").append_fixed(c.speedup_vs_local(), 2);
    (s += "x <= ").append_fixed(c.min_speedup, 2) += "x";
  } else {
    (s += " | speedup ").append_fixed(c.speedup_vs_local(), 2) += "x";
  }
  (s += " => ") += c.use_cluster() ? std::string_view("cluster") : to_string(c.local.kind);
  return s;
}

}  // namespace breakeven
