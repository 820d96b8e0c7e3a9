// The cluster executor beyond the shared suite: what ran where, typed remote errors, items
// whose local worker crashed, timeouts, streams in order and in completion order, and a
// program alone (one rank, the local decision). Test cases tagged [ranks] need worker ranks
// (mpirun -np 3); [local] ones run only without mpirun.
#include "../process/kernels.hpp"
#include "../process/typed_errors.hpp"
#include "../support/executors.hpp"

#include <breakeven/mpi.hpp>
#include <breakeven/mpi/measure.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <future>
#include <numeric>
#include <set>
#include <string>
#include <vector>

namespace be = breakeven;
namespace mpi = breakeven::mpi;
using namespace std::chrono_literals;

BREAKEVEN_REGISTER_EXCEPTION(ptest::parse_error);

namespace {
std::vector<int> iota_vector(int n) {
  std::vector<int> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}
}  // namespace

TEST_CASE("tasks run on every worker rank, each with its local decision", "[mpi][ranks]") {
  mpi::cluster ex;
  REQUIRE(ex.distributed());
  REQUIRE(ex.concurrency() == 2);
  const auto before = ex.stats();
  const auto out = ex.map(test::square{}, iota_vector(2000), 50);
  for (std::size_t i = 0; i < out.size(); ++i) REQUIRE(out[i] == static_cast<long long>(i * i));
  const auto after = ex.stats();
  CHECK(after.tasks - before.tasks == 40);
  CHECK(after.tasks_by_rank[0] == 0);
  CHECK(after.tasks_by_rank[1] > before.tasks_by_rank[1]);
  CHECK(after.tasks_by_rank[2] > before.tasks_by_rank[2]);
  // 50 cheap items: every rank decides sequential for them.
  const auto seq = static_cast<std::size_t>(be::executor_kind::sequential);
  CHECK(after.by_rank[1][seq] + after.by_rank[2][seq] - before.by_rank[1][seq] - before.by_rank[2][seq] == 40);
}

TEST_CASE("a short task's submitter reads its own reply: the future is ready on return", "[mpi][ranks]") {
  mpi::cluster ex;
  mpi::session& job = *mpi::session::current();
  int ready = 0;
  for (int i = 0; i < 2000 && ready < 20; ++i) {
    const mpi::detail::echo16::input_type x{std::uint64_t(i), 7};
    auto f = ex.submit(mpi::detail::echo16{}, x);
    ready += f.wait_for(0s) == std::future_status::ready ? 1 : 0;
    REQUIRE(f.get() == x);
  }
  // Without the eager read every future waits for the progress thread, which only starts
  // once submit has returned; under load some windows pass before the reply comes.
  CHECK(ready > 0);
  // A task with a timeout is never read eagerly, and still completes (by the progress thread).
  CHECK(ex.submit(ptest::nap{}, 1, 500ms).get() == 1);
  // The serving rank sends an echo_tag message straight back (the benchmarks' raw round trip).
  const std::vector<std::byte> msg{std::byte{1}, std::byte{2}, std::byte{3}};
  std::vector<std::byte> back(msg.size());
  job.engine()->with_mpi([&](MPI_Comm comm) {
    MPI_Send(msg.data(), 3, MPI_BYTE, 2, mpi::echo_tag, comm);
    MPI_Recv(back.data(), 3, MPI_BYTE, 2, mpi::echo_tag, comm, MPI_STATUS_IGNORE);
  });
  CHECK(back == msg);
}

TEST_CASE("apply runs one task on a rank and waits for it in place", "[mpi][ranks]") {
  mpi::cluster ex;
  const auto before = ex.stats();
  for (int i = 0; i < 200; ++i) {
    const mpi::detail::echo16::input_type x{std::uint64_t(i), 9};
    REQUIRE(ex.apply(mpi::detail::echo16{}, x) == x);
  }
  CHECK(ex.stats().tasks - before.tasks == 200);
  CHECK(ex.stats().tasks_by_rank[0] == before.tasks_by_rank[0]);  // every one ran on a worker rank
  // A longer task, read by the progress thread while the caller sleeps.
  CHECK(ex.apply(ptest::nap{}, 30) == 30);
  ex.apply(ptest::touch{}, 1);  // a kernel with no output
  CHECK_THROWS_MATCHES(ex.apply(ptest::touch{}, -1), std::invalid_argument, Catch::Message("negative"));
  ptest::check_errors_keep_types([&](int which) { return ptest::applied{[&ex, which] { return ex.apply(ptest::thrower{}, which); }}; });
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(ex.apply(ptest::nap{}, 5000, 200ms), be::task_timeout);
  CHECK(std::chrono::steady_clock::now() - t0 < 4s);
  CHECK_THROWS_AS(ex.apply(ptest::faulty{}, 8 + static_cast<int>(ptest::fault::segfault)), be::worker_lost);
  CHECK(ex.apply(ptest::affine{}, 3) == 7);  // the ranks go on
}

TEST_CASE("exceptions thrown on a rank keep their types", "[mpi][ranks][faults]") {
  mpi::cluster ex;
  ptest::check_errors_keep_types([&](int which) { return ex.submit(ptest::thrower{}, which); });
  CHECK(ex.submit(ptest::thrower{}, 20).get() == 20);  // the rank goes on
}

TEST_CASE("an isolation kernel that crashes on 1% of items fails only those items", "[mpi][ranks][faults]") {
  mpi::cluster ex;
  constexpr int n = 300;
  std::vector<int> in;
  for (int i = 0; i < n; ++i)
    in.push_back(i * 8 + static_cast<int>(i % 100 == 37 ? ptest::fault::segfault : ptest::fault::none));
  const auto before = ex.stats();
  std::set<std::size_t> failed, seen;
  for (auto& c : ex.imap_unordered(ptest::faulty{}, in)) {
    REQUIRE(seen.insert(c.index()).second);
    if (c.has_value()) {
      CHECK(c.get() == static_cast<int>(c.index()));
      continue;
    }
    failed.insert(c.index());
    try {
      std::rethrow_exception(c.error());
    } catch (const be::worker_lost& e) {
      CHECK(e.status().kind == be::ipc::exit_status::how::signaled);
      CHECK(e.status().code == SIGSEGV);
    }
  }
  CHECK(seen.size() == n);
  CHECK(failed == std::set<std::size_t>{37, 137, 237});
  // The kernel requires isolation: every rank ran it in its local process pool.
  const auto after = ex.stats();
  const auto proc = static_cast<std::size_t>(be::executor_kind::process_pool);
  CHECK(after.by_rank[1][proc] + after.by_rank[2][proc] - before.by_rank[1][proc] - before.by_rank[2][proc] == n - 3);
  // The job goes on.
  CHECK(ex.submit(ptest::faulty{}, 5 * 8).get() == 5);
}

TEST_CASE("a task past its timeout fails with task_timeout and the rank goes on", "[mpi][ranks][faults]") {
  mpi::cluster ex;
  const auto t0 = std::chrono::steady_clock::now();
  auto late = ex.submit(ptest::nap{}, 5000, 200ms);
  CHECK_THROWS_AS(late.get(), be::task_timeout);
  CHECK(std::chrono::steady_clock::now() - t0 < 4s);
  CHECK(ex.submit(ptest::nap{}, 1, 200ms).get() == 1);
  CHECK(ex.submit(ptest::affine{}, 3).get() == 7);
}

TEST_CASE("imap keeps input order, imap_unordered and as_completed follow completion", "[mpi][ranks][streams]") {
  mpi::cluster ex;
  SECTION("imap, ordered, with a failed chunk") {
    std::vector<int> got;
    for (int x : ex.imap(test::square{}, iota_vector(500), 7)) got.push_back(static_cast<int>(x));
    REQUIRE(got.size() == 500);
    for (int i = 0; i < 500; ++i) REQUIRE(got[static_cast<std::size_t>(i)] == i * i);
    auto failing = ex.imap(test::fails_at{.bad = 12}, iota_vector(30), 5);
    std::vector<int> before_error;
    CHECK_THROWS_AS([&] { for (int x : failing) before_error.push_back(x); }(), std::invalid_argument);
    CHECK(before_error == std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  }
  SECTION("imap_unordered gives every index once, short items first") {
    const std::vector<int> ms{200, 1, 1, 1};
    std::vector<std::size_t> order;
    for (auto& c : ex.imap_unordered(ptest::nap{}, ms)) order.push_back(c.index());
    REQUIRE(order.size() == 4);
    CHECK(order.back() == 0);
  }
  SECTION("as_completed over submitted futures") {
    std::vector<std::future<int>> fs;
    for (int ms : {300, 5, 100}) fs.push_back(ex.submit(ptest::nap{}, ms));
    std::vector<std::size_t> order;
    for (std::size_t i : ex.as_completed(fs)) order.push_back(i);
    CHECK(order == std::vector<std::size_t>{1, 2, 0});
    CHECK(fs[0].get() == 300);
  }
  SECTION("for_each runs every item and reports the earliest failure") {
    CHECK_NOTHROW(ex.for_each(test::fails_at{}, iota_vector(100), 10));
    CHECK_THROWS_WITH(ex.for_each(test::fails_at{.bad = 42, .worse = 77}, iota_vector(100), 10), "item 42");
  }
}

TEST_CASE("the cluster plan weighs the network against the local plan", "[mpi]") {
  mpi::cluster ex;
  const be::cluster_plan cheap = ex.plan_for<test::square>(1000);
  const std::string why(be::explain(cheap).view());
  CHECK(why.find("latency") != std::string::npos);
  CHECK_FALSE(cheap.use_cluster());
  // The decided map gives the same answers wherever it runs.
  const auto out = mpi::map(ex, test::square{}, iota_vector(100));
  CHECK(out[99] == 99 * 99);
  if (ex.distributed()) {
    // Here the two worker ranks share this machine's two cores with the local pool: the
    // cluster estimate ties with the local one and stays below the 1.2x margin.
    const auto heavy = ex.plan_for<ptest::steady_nap>(8);
    CHECK(heavy.worker_ranks == 2);
    CHECK(heavy.verdict == be::cluster_verdict::below_speedup);
    // Ranks with more cores than this machine clear it.
    be::network_profile bigger = ex.network();
    bigger.cores_per_rank = 4;
    CHECK(be::decide_cluster(be::describe<ptest::steady_nap>(), 8, be::default_profile::value, bigger).use_cluster());
  } else {
    CHECK(ex.plan_for<ptest::steady_nap>(8).verdict == be::cluster_verdict::single_rank);
  }
}

TEST_CASE("alone, a program is one rank and runs with the local decision", "[mpi][local]") {
  mpi::session* job = mpi::session::current();
  REQUIRE(job != nullptr);
  CHECK_FALSE(job->distributed());
  CHECK(job->size() == 1);
  mpi::cluster ex;
  CHECK_FALSE(ex.distributed());
  CHECK(ex.map(test::square{}, iota_vector(10))[9] == 81);
  CHECK_THROWS_AS(ex.submit(ptest::faulty{}, 8 + static_cast<int>(ptest::fault::segfault)).get(), be::worker_lost);
  CHECK(ex.submit(ptest::faulty{}, 16).get() == 2);
  CHECK(ex.apply(ptest::affine{}, 3) == 7);
  CHECK_THROWS_AS(ex.apply(ptest::faulty{}, 8 + static_cast<int>(ptest::fault::segfault)), be::worker_lost);
  CHECK_THROWS_AS(ex.apply(ptest::nap{}, 5000, 200ms), be::task_timeout);
}
