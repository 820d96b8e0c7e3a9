// The cluster decision (cluster_policy.hpp): network terms in the estimate, the cluster
// admitted only past the same margins as a parallel plan, at compile time and in the text.
#include <breakeven/cluster_policy.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace be = breakeven;

namespace {

constexpr be::kernel_desc kernel(double cost_ns, double bytes = 16) {
  be::kernel_desc k;
  k.cost_ns = cost_ns;
  k.bytes_in = bytes;
  k.bytes_out = bytes;
  return k;
}

constexpr be::network_profile four_nodes = be::networks::datacenter_ethernet(4);
constexpr auto& local = be::profiles::conservative::value;

// Compile time: a small batch of cheap items stays local (40 us of work, ~60 us of network),
// a large one and heavy items go to the cluster, one rank never does.
static_assert(be::decide_cluster(kernel(2'000), 20, local, four_nodes).verdict == be::cluster_verdict::below_overhead);
static_assert(be::decide_cluster(kernel(2'000), 100'000, local, four_nodes).use_cluster());
static_assert(be::decide_cluster(kernel(50'000'000), 10, local, four_nodes).use_cluster());
static_assert(be::decide_cluster(kernel(50'000'000), 10, local, be::networks::none).verdict ==
              be::cluster_verdict::single_rank);
static_assert(be::decide_cluster(kernel(50'000'000), 10, local, four_nodes).worker_ranks == 4);

// Break-even batch of a kernel on a network: the smallest batch the cluster is chosen for.
constexpr std::size_t break_even(double cost_ns, const be::network_profile& net) {
  for (std::size_t n = 1; n < 100'000'000; n = n < 16 ? n + 1 : n + n / 16)
    if (be::decide_cluster(kernel(cost_ns), n, local, net).use_cluster()) return n;
  return 0;
}

}  // namespace

TEST_CASE("the cluster candidate carries the network terms into its estimate", "[core][cluster]") {
  const auto c = be::decide_cluster(kernel(1'000'000), 64, local, four_nodes);
  CHECK(c.tasks == 4);  // low variance: one task per worker rank
  CHECK(c.chunk == 16);
  CHECK_FALSE(c.dynamic);
  // overhead: 4 tasks x 2 us + 2 x 25 us latency + 64 x 32 bytes x 0.4 ns
  CHECK(c.overhead_ns == Approx(4 * 2'000 + 2 * 25'000 + 64 * 32 * 0.4));
  // each rank runs its 16 items with the local decision for 16 cores
  CHECK(c.per_rank.parallel());
  CHECK(c.work_ns == Approx(c.per_rank.estimate_ns()));
  CHECK(c.use_cluster());
  CHECK(c.speedup_vs_local() > local.min_speedup);
}

TEST_CASE("the cluster is refused for what cannot or should not leave the machine", "[core][cluster]") {
  be::kernel_desc k = kernel(10'000'000);
  k.transportable = false;
  CHECK(be::decide_cluster(k, 100, local, four_nodes).verdict == be::cluster_verdict::not_transportable);
  k = kernel(10'000'000);
  k.bound = be::bound::io;
  CHECK(be::decide_cluster(k, 100, local, four_nodes).verdict == be::cluster_verdict::io_bound);
  CHECK(be::decide_cluster(kernel(-1), 100, local, four_nodes).verdict == be::cluster_verdict::cost_unknown);
  const auto small = be::decide_cluster(kernel(2'000), 20, local, four_nodes);
  CHECK(small.verdict == be::cluster_verdict::below_overhead);
  CHECK_FALSE(small.use_cluster());
}

TEST_CASE("a call's fixed cost keeps short batches local where ranks wake slowly", "[core][cluster]") {
  // 8 items of 20 us on 2 ranks of one 2-core machine: 160 us of work, about 110 us on the
  // ranks by their latency and cost per task alone. Where ranks outnumber the cores, every
  // call waits for time slices to reach them and to hand the replies back (about 1 ms
  // measured); the estimate sees it, and the batch stays local.
  be::network_profile shared{.name = "one node", .ranks = 3, .cores_per_rank = 1, .latency_ns = 1'000, .ns_per_byte = 0.1,
                             .task_ns = 12'000};
  CHECK(be::decide_cluster(kernel(20'000), 8, local, shared).use_cluster());
  shared.call_ns = 1'000'000;
  const auto c = be::decide_cluster(kernel(20'000), 8, local, shared);
  CHECK(c.verdict == be::cluster_verdict::below_overhead);
  CHECK(c.overhead_ns >= 1'000'000);
  CHECK(std::string(be::explain(c).view()).find("per call 1 ms") != std::string::npos);
  // Work that dwarfs the call's cost still goes to ranks that have the cores for it.
  be::network_profile wide = shared;
  wide.ranks = 9;
  wide.cores_per_rank = 16;
  CHECK(be::decide_cluster(kernel(20'000'000), 64, local, wide).use_cluster());
  CHECK_FALSE(be::decide_cluster(kernel(20'000), 8, local, wide).use_cluster());
}

TEST_CASE("high variance: dynamic tasks, several per rank, each long beside a message", "[core][cluster]") {
  be::kernel_desc k = kernel(1'000'000);
  k.variance = be::variance::high;
  const auto c = be::decide_cluster(k, 1'000, local, four_nodes);
  CHECK(c.dynamic);
  CHECK(c.tasks >= 16);  // at least 4 per rank
  CHECK(static_cast<double>(c.chunk) * 1'000'000 >= 20 * (2 * four_nodes.latency_ns + four_nodes.task_ns));
}

TEST_CASE("the break-even batch falls as the kernel grows and as the network gets faster", "[core][cluster]") {
  const auto ib = be::networks::infiniband(4);
  CHECK(break_even(2'000, four_nodes) > break_even(100'000, four_nodes));
  CHECK(break_even(100'000, four_nodes) >= break_even(50'000'000, four_nodes));
  CHECK(break_even(100'000, ib) <= break_even(100'000, four_nodes));
  CHECK(break_even(50'000'000, four_nodes) >= 1);
}

TEST_CASE("explain shows the network terms and the verdict", "[core][cluster]") {
  constexpr auto text = be::explain(be::decide_cluster(kernel(50'000'000), 10, local, four_nodes));
  const std::string s(text.view());
  CHECK(s.find("[network datacenter-ethernet] 5 ranks (4 working) x 16 cores") == 0);
  CHECK(s.find("latency 25 us") != std::string::npos);
  CHECK(s.find("bandwidth 2.33 GiB/s") != std::string::npos);
  CHECK(s.find("=> cluster") != std::string::npos);
  const std::string alone(be::explain(be::decide_cluster(kernel(2'000), 10, local, be::networks::none)).view());
  CHECK(alone.find("one rank: no cluster -> local sequential") != std::string::npos);
}
