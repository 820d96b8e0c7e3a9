// The parent's death: whatever start method made them and whatever they run (a long task,
// a task that never returns), a pool's workers and fork servers end within 100 ms of the
// program that owns them, whether it ends by SIGTERM, SIGINT or SIGKILL.
//
// The test runs this executable as that program (`--parent <method>`: a pool of three
// workers, two of them sleeping for a minute and one spinning for ever), waits until the
// three tasks run, kills the program, and watches every process that descended from it
// (tests/support/parent_death.hpp). This process is made a child subreaper meanwhile, so
// the orphans come to it: it sees them end and reaps them.
#include "../support/parent_death.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <future>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include <sys/prctl.h>

using namespace std::chrono_literals;
namespace pd = breakeven_test::parent_death;

TEST_CASE("the parent's death ends every worker and fork server, whatever it runs, for every start method",
          "[reliability][parent_death]") {
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  for (const char* method : {"fork", "fork_server", "spawn"}) {
    for (const int sig : {SIGTERM, SIGINT, SIGKILL}) {
      INFO("start method " << method << ", the parent killed by " << ::strsignal(sig));
      const pd::round_result r = pd::kill_parent("/proc/self/exe", method, sig);
      REQUIRE(r.running == 3);  // the three tasks ran when the parent died
      CHECK(r.watched >= 3);    // at least the three workers were watched
      CHECK(r.parent_signal == sig);
      CHECK(r.survivors.empty());
      // 100 ms on an idle machine; a loaded, instrumented run gets slack (before: 30 s, or never).
      CHECK(r.took < 2000ms);
      std::printf("parent death: %-11s %-4s: %zu processes gone in %lld ms\n", method, ::sigabbrev_np(sig), r.watched,
                  static_cast<long long>(r.took.count()));
    }
  }
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 0) == 0);
}

TEST_CASE("the parent's death is tested the same from a process that ignores SIGINT", "[reliability][parent_death]") {
  // A shell's background job (`scripts/test &`) ignores SIGINT and SIGQUIT, and the program
  // whose death is tested inherited that: SIGINT left it alive, and the harness waited for ever.
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  const auto before = std::signal(SIGINT, SIG_IGN);
  const pd::round_result r = pd::kill_parent("/proc/self/exe", "fork_server", SIGINT);
  std::signal(SIGINT, before);
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 0) == 0);
  REQUIRE(r.running == 3);
  CHECK(r.parent_signal == SIGINT);
  CHECK(r.survivors.empty());
}

TEST_CASE("a pool made on a thread that ends keeps its workers: only the parent process's death counts",
          "[reliability][parent_death]") {
  // The kernel sends the parent-death signal when the thread that started a child ends; the
  // library's handler ends the child only when its parent process changed.
  for (const auto m : {breakeven::start_method::spawn, breakeven::start_method::fork_server}) {
    INFO("start method " << breakeven::to_string(m));
    std::unique_ptr<breakeven::process_pool> pool;
    std::set<int> first;
    std::thread([&] {
      pool = std::make_unique<breakeven::process_pool>(
          breakeven::process_pool_options{.workers = 2, .method = m, .pin_workers = false});
      first.insert(pool->submit(pd::sleeper{}, 1).get());
    }).join();
    std::this_thread::sleep_for(200ms);  // the signal, had it ended them, has come
    std::vector<std::future<int>> fs;
    for (int i = 0; i < 20; ++i) fs.push_back(pool->submit(pd::sleeper{}, 1));
    for (auto& f : fs) CHECK(f.get() > 0);
    CHECK(pool->stats().workers_lost == 0);
    CHECK(pool->stats().workers_started == 2);
  }
}
