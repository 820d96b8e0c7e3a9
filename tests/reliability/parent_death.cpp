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
      // 100 ms on an idle machine; a shared test machine gets slack, not seconds.
      CHECK(r.took < 1000ms);
      std::printf("parent death: %-11s %-4s: %zu processes gone in %lld ms\n", method, ::sigabbrev_np(sig), r.watched,
                  static_cast<long long>(r.took.count()));
    }
  }
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 0) == 0);
}
